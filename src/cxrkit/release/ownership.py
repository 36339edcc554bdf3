"""The release follows the source: what in OUT a build of this workspace wrote, and pruning.

A file in OUT is this workspace's when it is one of the release's tables, or an image or report
whose path carries identifiers this workspace's keystore handed out (a dicom_id is a keyed hash
of a SOP Instance UID: another key never gives it). A build refuses an OUT holding anything else
(another workspace's release, a file someone put there), and, once its images and reports are
written, removes every file of its own that this build did not produce: the images and reports
of studies whose source is gone or whose patient was withdrawn, and images a dead worker wrote
but never reported.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from cxrkit.errors import ReleaseRefusedError
from cxrkit.pipeline.quarantine import safe_name
from cxrkit.release.assemble import TABLE_FILES, TEST_SET_FILES
from cxrkit.release.layout import is_beside_release, report_path

IMAGE = re.compile(
    r"(?:jpg/)?files/p(?P<nn>\d\d)/p(?P<subject>\d{8})/s(?P<study>\d{8})/"
    r"(?P<dicom_id>[0-9a-f]{8}(?:-[0-9a-f]{8}){4})\.(?:dcm|dcm\.gz|jpg)"
)
REPORT = re.compile(r"files/p(?P<nn>\d\d)/p(?P<subject>\d{8})/s(?P<study>\d{8})\.txt")
FOREIGN_LIST = "foreign-files.txt"


def release_files(out: Path) -> list[str]:
    """Every file under ``out`` (relative, sorted), temporary and database files left out."""
    found = []
    for folder, dirs, names in os.walk(out):
        dirs.sort()
        for name in names:
            rel = (Path(folder) / name).relative_to(out).as_posix()
            if not is_beside_release(rel):
                found.append(rel)
    return sorted(found)


def is_ours(rel: str, dicom_ids: set[str], studies: set[tuple[int, int]]) -> bool:
    """Whether a release path is one a build with this keystore writes."""
    if rel in TABLE_FILES:
        return True
    match = IMAGE.fullmatch(rel) or REPORT.fullmatch(rel)
    if match is None or match["nn"] != match["subject"][:2]:
        return False
    if (int(match["subject"]), int(match["study"])) not in studies:
        return False
    dicom_id = match.groupdict().get("dicom_id")
    return dicom_id is None or dicom_id in dicom_ids


def refuse_foreign(
    out: Path, private: Path, dicom_ids: set[str], studies: set[tuple[int, int]]
) -> None:
    """Refuse an OUT holding files no build of this workspace wrote (they are listed in the
    private workspace: their names may hold PHI)."""
    if not out.is_dir():
        return
    foreign = [rel for rel in release_files(out) if not is_ours(rel, dicom_ids, studies)]
    if foreign:
        listing = private / FOREIGN_LIST
        listing.write_text("".join(f"{safe_name(r)}\n" for r in foreign), encoding="utf-8")
        raise ReleaseRefusedError(
            f"OUT {out} holds {len(foreign)} files that no build of the private workspace "
            f"{private} wrote (listed in {listing}): move them away or choose another OUT"
        )


def produced(
    images: Iterable[str], reports: Iterable[tuple[int, int]], jpg: bool, test_set: bool = False
) -> set[str]:
    """Every file a build writes: its images (and JPGs), its reports and the tables (the
    manual labels with ``test_set``)."""
    tables = TABLE_FILES if test_set else TABLE_FILES - TEST_SET_FILES
    files = set(tables if jpg else {t for t in tables if not t.startswith("jpg/")})
    for rel in images:
        files.add(rel)
        if jpg:
            files.add("jpg/" + rel.removesuffix(".gz").removesuffix(".dcm") + ".jpg")
    files.update(report_path(s, t).as_posix() for s, t in reports)
    return files


def prune(out: Path, keep: set[str]) -> list[str]:
    """Remove every file of ``out`` not in ``keep`` (and folders left empty); return them."""
    removed = [rel for rel in release_files(out) if rel not in keep]
    for rel in removed:
        (out / rel).unlink(missing_ok=True)
    for folder in sorted((Path(f) for f, _, _ in os.walk(out)), key=lambda p: -len(p.parts)):
        if folder != out and not any(folder.iterdir()):
            folder.rmdir()
    return removed
