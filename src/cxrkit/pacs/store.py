"""``SRC/dicom/`` as ``pull`` and ``receive`` fill it: ``<study uid>/<sop uid>.dcm``, written
atomically (a temporary file linked into place), never twice."""

from __future__ import annotations

import os
import re
from pathlib import Path

from cxrkit.errors import NotDicomError, PacsError
from cxrkit.sources.discover import iter_files, read_header

_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_NAMED = re.compile(r"^([0-9]+(?:\.[0-9]+)*)\.dcm$")
PART_PREFIX = ".cxrkit-"
PART_SUFFIX = ".part"


def checked_uid(value: str) -> str:
    """``value`` if it is a DICOM UID (it names a file or folder), else :class:`PacsError`."""
    value = value.strip().rstrip("\x00")
    if not (_UID.match(value) and len(value) <= 64):
        raise PacsError("the PACS sent a malformed UID; it cannot name a file")
    return value


def instance_path(dicom: Path, study_uid: str, sop_uid: str) -> Path:
    return dicom / checked_uid(study_uid) / f"{checked_uid(sop_uid)}.dcm"


def present_instances(dicom: Path) -> set[str]:
    """SOP Instance UIDs already under ``dicom``: from the names ``pull`` writes, else from the
    header of any other DICOM file. Leftover partial files of a killed run are removed."""
    found: set[str] = set()
    if not dicom.is_dir():
        return found
    for path in iter_files(dicom):
        if path.name.startswith(PART_PREFIX) and path.name.endswith(PART_SUFFIX):
            path.unlink(missing_ok=True)
            continue
        named = _NAMED.match(path.name)
        if named:
            found.add(named.group(1))
            continue
        try:
            sop = read_header(path).get("SOPInstanceUID")
        except NotDicomError:
            continue
        if sop:
            found.add(str(sop))
    return found


def write_instance(dicom: Path, study_uid: str, sop_uid: str, data: bytes) -> bool:
    """Write one instance atomically; ``False`` (nothing written) if it is already there."""
    final = instance_path(dicom, study_uid, sop_uid)
    if final.exists():
        return False
    final.parent.mkdir(parents=True, exist_ok=True)
    part = final.with_name(f"{PART_PREFIX}{final.name}.{os.getpid()}.{id(data)}{PART_SUFFIX}")
    with part.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(part, final)  # fails if another writer got there first: never overwritten
    except FileExistsError:
        return False
    finally:
        part.unlink()
    return True
