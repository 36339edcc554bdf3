"""Release layout (S19): where each file of a MIMIC-CXR-style release goes, and how it is written.

``files/p<first 2 digits of subject_id>/p<subject_id>/s<study_id>/<dicom_id>.dcm`` and the
report beside the study folder as ``s<study_id>.txt``.

Every release file is written by :func:`write_atomic`: through a temporary name that starts
with :data:`TEMPORARY_PREFIX` in the target's folder, then renamed into place. A process killed
between the two leaves only such a name, which the checksums and ``verify`` skip
(:func:`is_temporary`) and the next build removes (:func:`clean_temporaries`).
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

#: The name prefix of every temporary file a writer of release files leaves while it writes.
TEMPORARY_PREFIX = ".tmp-"
#: The database ``cxrkit db`` makes in a release folder by default (and DuckDB's log beside
#: it): made from the release, not part of it — no checksum, never foreign, never pruned.
DATABASE_FILES = frozenset({"cxr.duckdb", "cxr.duckdb.wal"})


def patient_dir(subject_id: int | str) -> PurePosixPath:
    """``files/pNN/p<subject_id>``.

    Examples
    --------
    >>> str(patient_dir(10000032))
    'files/p10/p10000032'
    """
    s = str(subject_id)
    return PurePosixPath("files", f"p{s[:2]}", f"p{s}")


def study_dir(subject_id: int | str, study_id: int | str) -> PurePosixPath:
    return patient_dir(subject_id) / f"s{study_id}"


def image_path(
    subject_id: int, study_id: int, dicom_id: str, suffix: str = ".dcm"
) -> PurePosixPath:
    """The release path of an image, relative to the release root.

    Examples
    --------
    >>> str(image_path(10000032, 50414267, "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014"))
    'files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.dcm'
    """
    return study_dir(subject_id, study_id) / f"{dicom_id}{suffix}"


def report_path(subject_id: int | str, study_id: int | str) -> PurePosixPath:
    """The release path of a study's report, relative to the release root.

    Examples
    --------
    >>> str(report_path(10000032, 50414267))
    'files/p10/p10000032/s50414267.txt'
    """
    return patient_dir(subject_id) / f"s{study_id}.txt"


def is_temporary(name: str) -> bool:
    """Whether a file name is a writer's temporary name (not part of the release)."""
    return name.startswith(TEMPORARY_PREFIX)


def is_beside_release(rel: str) -> bool:
    """Whether a path relative to the release root is a temporary or a database file: kept
    in the folder but not part of the release."""
    return is_temporary(rel.rsplit("/", 1)[-1]) or rel in DATABASE_FILES


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` through a temporary name in the same folder, then rename into place.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> write_atomic(root / "a" / "b.txt", b"x").read_bytes()
    b'x'
    >>> sorted(p.name for p in root.rglob("*"))
    ['a', 'b.txt']
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{TEMPORARY_PREFIX}{os.getpid()}-{path.name}")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_report(root: Path, subject_id: int | str, study_id: int | str, text: str) -> Path:
    """Write a released report (one final line end) to ``root / report_path(...)`` atomically."""
    data = (text if text.endswith("\n") else text + "\n").encode("utf-8")
    return write_atomic(root / report_path(subject_id, study_id), data)


def clean_temporaries(root: Path) -> int:
    """Remove the temporary files an interrupted writer left under ``root``; return how many."""
    removed = 0
    for path in root.rglob(f"{TEMPORARY_PREFIX}*"):
        if path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed
