"""Finding and reading the metadata files of a public dataset (plain or gzipped CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from cxrkit.errors import DataFileError


def find_file(root: Path, *names: str, required: bool = True) -> Path | None:
    """Return the first of ``names`` (each also tried with/without ``.gz``) found in ``root``.

    Raises
    ------
    DataFileError
        If ``required`` and none exists; the message names the files looked for.

    Examples
    --------
    >>> find_file(Path("."), "no-such-file.csv", required=False) is None
    True
    """
    for name in names:
        variants = (name, name[:-3]) if name.endswith(".gz") else (name, name + ".gz")
        for variant in variants:
            path = root / variant
            if path.is_file():
                return path
    if required:
        raise DataFileError(
            f"{' or '.join(names)} not found in {root}; pass the dataset's root folder "
            "(the one holding its metadata files)"
        )
    return None


def read_csv(path: Path, root: Path, **options: Any) -> pd.DataFrame:
    """Read a CSV file (gzip by extension), turning parse errors into :class:`DataFileError`.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.csv").write_text("x,y\\n1,2\\n")
    >>> read_csv(folder / "a.csv", folder).shape
    (1, 2)
    """
    try:
        frame: pd.DataFrame = pd.read_csv(path, **options)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DataFileError(f"{relative(path, root)} cannot be read as CSV: {exc}") from exc
    return frame


def require_columns(frame: pd.DataFrame, columns: list[str], path: Path, root: Path) -> None:
    """Raise :class:`DataFileError` naming the file and the columns it lacks.

    Examples
    --------
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a"], Path("f.csv"), Path("."))
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataFileError(
            f"{relative(path, root)} lacks the column(s) {', '.join(missing)}; "
            "is it the dataset's original file?"
        )


def relative(path: Path, root: Path) -> str:
    """Return ``path`` relative to ``root`` when inside it, else as given.

    Examples
    --------
    >>> relative(Path("/data/nih/images/x.png"), Path("/data/nih"))
    'images/x.png'
    """
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
