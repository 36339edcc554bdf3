"""Quarantine: items left out of a release, with the stage and the kind of fault, kept private.

Every path under ``SRC/dicom`` and every report row or message ends either in the release or
here, as one :class:`Quarantined` record: where it is (relative to the source root), the stage
that left it out, the *kind* of fault (a fixed identifier from :data:`KINDS`: the only part
that is counted and printed) and a detail (an error name, an element keyword). Paths may hold
PHI, so records are written only to ``<private>/quarantine.csv`` (rewritten by every run),
never to the release or the terminal. A path that is not valid UTF-8 is written with its bad
bytes escaped (``\\xe9``), so the list can always be written.

This module imports only the standard library and the release writer: every reader (the
report intake too) can make its records.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cxrkit.release.layout import write_atomic

QUARANTINE_FILE = "quarantine.csv"
STAGES = ("discover", "plan", "link", "image", "report")
#: Every kind of fault, with the PHI-free line the summary prints for it.
KINDS: dict[str, str] = {
    "not-dicom": "not DICOM",
    "unreadable-dicom": "DICOM that cannot be parsed",
    "unreadable-file": "a file that cannot be read (permission or I/O error)",
    "unreadable-folder": "a folder that cannot be listed",
    "bad-link": "a symbolic link that loops, points nowhere or at a folder (not followed)",
    "special-file": "not a regular file (FIFO, socket or device)",
    "missing-element": "a required header element is missing",
    "not-chest": "not a chest radiograph",
    "duplicate-image": "a second file with the same SOP Instance UID",
    "study-conflict": "a study whose images or report name more than one patient",
    "withdrawn": "a patient withdrawn from the release (--withdraw)",
    "no-report": "no report for this study",
    "duplicate-report": "a second report with the same accession number",
    "report-without-images": "a report without chest images",
    "report-file-unreadable": "a report file that cannot be read (permission, binary, a loop)",
    "csv-file-unusable": "a RIS CSV file without a usable header row (delimiter, columns)",
    "csv-row-unusable": "a RIS CSV row with an empty required value, extra cells or bad quoting",
    "hl7-file-unusable": "an HL7 file with no message, or segments before its first message",
    "hl7-message-unusable": "an HL7 message that is incomplete, cut short or badly escaped",
    "no-pixel-data": "no pixel data",
    "unreadable-pixels": "pixel data that cannot be read",
    "burned-in-unproven": "burned-in text not proven clean",
    "deid-failed": "de-identification failed",
    "worker-died": "its worker process died twice",
}
_KIND = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


@dataclass(frozen=True)
class Quarantined:
    """One item left out of the release."""

    source: str  # path relative to the source root (private)
    stage: str  # one of STAGES
    kind: str  # a key of KINDS (or a reader's own identifier of the same shape)
    item: str = ""  # a row or message inside ``source``, if any
    detail: str = ""  # an error name or element keyword: written to the private list only

    def __post_init__(self) -> None:
        if self.stage not in STAGES or not _KIND.fullmatch(self.kind):
            raise ValueError(f"not a quarantine stage and kind: {self.stage!r}, {self.kind!r}")


def safe_name(name: str) -> str:
    """``name`` as valid UTF-8 text: bytes that were not UTF-8 are escaped.

    Examples
    --------
    >>> safe_name(os.fsdecode(b"caf\\xe9/IM1"))
    'caf\\\\xe9/IM1'
    """
    return os.fsencode(name).decode("utf-8", errors="backslashreplace")


def write_quarantine(private: Path, items: Iterable[Quarantined]) -> Path:
    """Write the last run's quarantine list to the workspace (replacing the previous one)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["source", "item", "stage", "kind", "detail"])
    for q in sorted(items, key=lambda q: (q.stage, q.source, q.item, q.kind)):
        writer.writerow([safe_name(q.source), q.item, q.stage, q.kind, safe_name(q.detail)])
    path = private / QUARANTINE_FILE
    write_atomic(path, buf.getvalue().encode("utf-8"))
    return path


def count_kinds(items: Iterable[Quarantined]) -> dict[str, int]:
    """Kinds with their counts, most frequent first: safe to print (no paths, no values)."""
    counts = Counter(item.kind for item in items)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def summary_lines(counts: dict[str, int]) -> list[str]:
    """One printable line per kind: its count, the kind and what it means."""
    return [f"{n:6d}  {kind}: {KINDS.get(kind, kind)}" for kind, n in counts.items()]
