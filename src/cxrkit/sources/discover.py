"""DICOM discovery by content (SYSTEM.md S9a): never by file name or extension.

A file is DICOM if it has the ``DICM`` marker at byte 128, or if, without it, pydicom parses a
dataset from it that has a SOP Class UID and a SOP Instance UID (old exports without the
preamble). Anything else is reported as not DICOM.
"""

from __future__ import annotations

import gzip
import io
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from cxrkit.errors import NotDicomError

PREAMBLE = 128


def iter_files(root: Path) -> Iterator[Path]:
    """Every regular file under ``root``, in a stable (sorted) order; hidden files too."""
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_file():
                yield path


def has_dicm_marker(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(PREAMBLE + 4)
    return len(head) == PREAMBLE + 4 and head[PREAMBLE:] == b"DICM"


def read_dataset(path: Path, *, pixels: bool = True) -> Dataset:
    """Read a DICOM file, ``.gz``-compressed or not, with pydicom's warnings silenced.

    The file is read through bytes, so no pydicom message can name its path (which may hold
    PHI in a source tree). Errors are pydicom's own.
    """
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(io.BytesIO(data), stop_before_pixels=not pixels)


def read_header(path: Path) -> Dataset:
    """The dataset of ``path`` without pixel data; :class:`NotDicomError` if it is not DICOM.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "notes.txt"
    >>> _ = p.write_text("not an image")
    >>> read_header(p)
    Traceback (most recent call last):
    ...
    cxrkit.errors.NotDicomError: not DICOM: no DICM marker and no SOP identifiers
    """
    marker = has_dicm_marker(path)
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, force=not marker)
    except (InvalidDicomError, EOFError, OSError, ValueError, KeyError, TypeError) as exc:
        raise NotDicomError(f"not readable as DICOM ({type(exc).__name__})") from exc
    if not marker and not ("SOPClassUID" in ds and "SOPInstanceUID" in ds):
        raise NotDicomError("not DICOM: no DICM marker and no SOP identifiers")
    return ds
