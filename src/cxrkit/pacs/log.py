"""``SRC/pull-log.csv``: one row per study found (or accession without one), what came and what
did not. The log lives in SRC, which is private: it names accessions and UIDs. The console only
ever shows its counts."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

LOG_NAME = "pull-log.csv"
#: Status of a row; every accession of ``SRC/reports/`` ends in one of these, none is dropped.
COMPLETE, NO_STUDY, NO_CHEST, FAILED = "complete", "no-study", "no-chest-images", "failed"
STATUSES = (COMPLETE, NO_STUDY, NO_CHEST, FAILED)


@dataclass(frozen=True)
class PullRecord:
    accession: str
    study_found: bool = False
    study_uid: str = ""
    series: int = 0  # chest (CR/DX) series of the study
    expected: int = 0  # instances the PACS lists in them
    received: int = 0  # of those, now in SRC/dicom (before this run or by it)
    fetched: int = 0  # of those, written by this run
    status: str = COMPLETE
    reason: str = ""  # PHI-free: an HTTP status, a DIMSE status, an error kind


def write_log(src: Path, records: Iterable[PullRecord]) -> Path:
    """Write the log atomically (a killed run leaves the previous one whole)."""
    path = src / LOG_NAME
    part = path.with_name(f".{LOG_NAME}.part")
    names = [f.name for f in fields(PullRecord)]
    with part.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=names)
        writer.writeheader()
        for record in records:
            row = asdict(record)
            row["study_found"] = "yes" if record.study_found else "no"
            writer.writerow(row)
    part.replace(path)
    return path


def read_log(src: Path) -> list[PullRecord]:
    """The rows of ``SRC/pull-log.csv`` (empty if there is none)."""
    path = src / LOG_NAME
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as fh:
        return [_record(row) for row in csv.DictReader(fh)]


def _record(row: dict[str, str]) -> PullRecord:
    ints = {k: int(row.get(k) or 0) for k in ("series", "expected", "received", "fetched")}
    return PullRecord(
        accession=row.get("accession", ""),
        study_found=row.get("study_found") == "yes",
        study_uid=row.get("study_uid", ""),
        status=row.get("status", ""),
        reason=row.get("reason", ""),
        **ints,
    )


def counts(records: Iterable[PullRecord]) -> dict[str, int]:
    """Rows by status (every status present, zero or not), and instances expected / received."""
    records = list(records)
    by_status = Counter(r.status for r in records)
    out = {status: by_status.get(status, 0) for status in STATUSES}
    out["instances expected"] = sum(r.expected for r in records)
    out["instances received"] = sum(r.received for r in records)
    return out
