"""Quarantine: items left out of a release, with the reason, kept in the private workspace.

Reasons never hold PHI; an item is named by its path relative to the source root, which may
itself hold PHI and is therefore written only here, in the private workspace
(``<private>/quarantine.csv``, rewritten by every run), never to the release or the terminal.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

QUARANTINE_FILE = "quarantine.csv"


@dataclass(frozen=True)
class Quarantined:
    source: str  # path relative to the source root
    stage: str  # "discover", "plan", "image", "report"
    reason: str


def write_quarantine(private: Path, items: Iterable[Quarantined]) -> Path:
    """Write the last run's quarantine list to the workspace (replacing the previous one)."""
    path = private / QUARANTINE_FILE
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["source", "stage", "reason"])
        for item in items:
            writer.writerow([item.source, item.stage, item.reason])
    return path


def count_reasons(items: Iterable[Quarantined]) -> Counter[str]:
    """Reasons with their counts: safe to print (no paths, no values)."""
    return Counter(item.reason for item in items)
