"""``python -m cxrkit.cli``: the command line without the installed script."""

from cxrkit.cli import main

main()
