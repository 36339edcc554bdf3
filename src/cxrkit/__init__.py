"""cxrkit: hospital chest radiographs and reports to a de-identified, labeled research database.

See ``README.md`` for the commands; the library entry points are named there too.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cxrkit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
