"""DICOM discovery by content (S9a): never by file name or extension.

A file is DICOM if it has the ``DICM`` marker at byte 128, or if, without it, pydicom parses a
dataset from it that has a SOP Class UID and a SOP Instance UID (old exports without the
preamble). Anything else is reported as not DICOM. The plan and the image stage read a source
file the same way (:func:`read_source`), so what the plan counts the image stage can read.

:func:`walk` lists every entry under a source folder: regular files to read, and each entry
that cannot be one (an unreadable folder, a symbolic link loop, a FIFO) with its
quarantine kind, so that nothing under the folder vanishes unlisted.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID, ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from cxrkit.errors import NotDicomError

PREAMBLE = 128
#: What pydicom (and the data it decodes) may raise on a malformed file: an input fault, which
#: quarantines the file. Anything else is a programming error and stops the run.
PARSER_ERRORS: tuple[type[BaseException], ...] = (
    InvalidDicomError,
    EOFError,
    OSError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    NotImplementedError,
    RecursionError,
    OverflowError,
    MemoryError,
    struct.error,
)
_ENCODINGS: dict[tuple[bool | None, bool | None], str] = {
    (True, True): ImplicitVRLittleEndian,
    (False, True): ExplicitVRLittleEndian,
    (False, False): ExplicitVRBigEndian,
}


@dataclass(frozen=True)
class Entry:
    """One entry under a source folder: a regular file (``problem`` empty) or what it is not."""

    path: Path
    problem: str = ""  # a quarantine kind: unreadable-folder, bad-link, special-file
    detail: str = ""  # an error name or a file type, never a value


def _kind_of(path: Path) -> Entry:
    try:
        mode = path.stat().st_mode
    except OSError as exc:  # a dangling link or a link loop (ELOOP)
        return Entry(path, "bad-link", type(exc).__name__)
    if stat.S_ISREG(mode):
        return Entry(path)
    if stat.S_ISDIR(mode):  # a link to a folder: not followed (it could loop)
        return Entry(path, "bad-link", "link to a folder, not followed")
    kind = "FIFO" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device"
    return Entry(path, "special-file", kind)


def walk(root: Path) -> Iterator[Entry]:
    """Every entry under ``root``, in a stable (sorted) order, hidden ones too.

    Regular files come with an empty ``problem``; a folder that cannot be listed, a symbolic
    link that loops or points nowhere (or at a folder) and a FIFO, socket or device come with
    their quarantine kind.
    """
    failed: list[OSError] = []
    for folder, dirs, names in os.walk(root, onerror=failed.append):
        while failed:
            exc = failed.pop()
            yield Entry(Path(exc.filename or root), "unreadable-folder", type(exc).__name__)
        dirs.sort()
        for name in sorted(dirs + names):
            path = Path(folder) / name
            if name in dirs and not path.is_symlink():
                continue  # a real folder: os.walk goes into it
            yield _kind_of(path)
    for exc in failed:  # the root itself, or the last folder listed
        yield Entry(Path(exc.filename or root), "unreadable-folder", type(exc).__name__)


def iter_files(root: Path) -> Iterator[Path]:
    """Every regular file under ``root``, in a stable (sorted) order; hidden files too."""
    return (entry.path for entry in walk(root) if not entry.problem)


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


def _complete_file_meta(ds: Dataset) -> None:
    """Give a dataset read without file meta the transfer syntax it was read with."""
    meta = getattr(ds, "file_meta", None)
    if meta is not None and "TransferSyntaxUID" in meta:
        return
    meta = meta if meta is not None else FileMetaDataset()
    encoding = _ENCODINGS.get(ds.original_encoding, ExplicitVRLittleEndian)
    meta.TransferSyntaxUID = UID(encoding)
    ds.file_meta = meta


def read_source(path: Path, *, pixels: bool = True) -> Dataset:
    """A source file's dataset; :class:`NotDicomError` if it is not DICOM or cannot be parsed.

    The plan reads headers (``pixels=False``) and the image stage whole files through this one
    function: a dataset without the preamble or file meta is read (forced) by both, and given
    the transfer syntax it was read with. The file is read through a file object, so no
    pydicom message can name its path.
    """
    try:
        marker = has_dicm_marker(path)
    except OSError as exc:
        raise NotDicomError(
            f"cannot be read ({type(exc).__name__})", kind="unreadable-file"
        ) from None
    try:
        with path.open("rb") as fh, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom's warnings could quote values
            ds = pydicom.dcmread(fh, stop_before_pixels=not pixels, force=not marker)
            if not marker and not ("SOPClassUID" in ds and "SOPInstanceUID" in ds):
                raise NotDicomError(
                    "not DICOM: no DICM marker and no SOP identifiers", kind="not-dicom"
                )
            _complete_file_meta(ds)
    except PARSER_ERRORS as exc:
        raise NotDicomError(
            f"not readable as DICOM ({type(exc).__name__})", kind="unreadable-dicom"
        ) from None
    return ds


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
    return read_source(path, pixels=False)
