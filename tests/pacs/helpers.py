"""What a pull should bring: the source's chest instances of the reported accessions."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from cxrkit.pacs.pull import accessions
from cxrkit.sources.discover import iter_files, read_source


def pixel_hash(path: Path) -> str:
    ds = read_source(path)
    return hashlib.sha256(bytes(ds.get("PixelData", b""))).hexdigest()


def expected_instances(export: Path, src: Path) -> dict[str, str]:
    """SOP Instance UID → pixel hash of every source CR/DX instance whose accession is in
    ``src``'s reports, as the export's truth lists them (the PACS refused the truncated and
    not-DICOM files; it holds the one without pixel data)."""
    wanted = set(accessions(src))
    out = {}
    with (export / "truth" / "images.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            refused = row["broken"] in ("truncated", "not-dicom")
            if row["accession"] in wanted and row["modality"] in ("CR", "DX") and not refused:
                out[row["sop_instance_uid"]] = pixel_hash(export / row["file"])
    return out


def pulled_instances(src: Path) -> dict[str, str]:
    """SOP Instance UID → pixel hash of what ``SRC/dicom/`` holds, checking each file's name."""
    out = {}
    for path in iter_files(src / "dicom"):
        ds = read_source(path, pixels=False)
        assert path.name == f"{ds.SOPInstanceUID}.dcm"
        assert path.parent.name == str(ds.StudyInstanceUID)
        out[str(ds.SOPInstanceUID)] = pixel_hash(path)
    return out


def tree(src: Path) -> dict[str, bytes]:
    """Every file of ``SRC/dicom/`` by relative path, with its bytes."""
    root = src / "dicom"
    return {str(p.relative_to(root)): p.read_bytes() for p in iter_files(root)}
