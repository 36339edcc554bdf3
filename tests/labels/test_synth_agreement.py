"""Agreement with the intended labels of a synthetic export (``truth/labels.csv``).

The labeler reads the section named by ``label_section`` in ``truth/sections.jsonl`` and must
give exactly the intended value for >= 98 % of the reports, per label.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from cxrkit.labels import LABELS, label_text
from cxrkit.labels.schema import format_value


def _agreement(root: Path, labeler: str) -> dict[str, float]:
    sections = {}
    for line in (root / "truth" / "sections.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        sections[rec["accession"]] = rec["sections"][rec["label_section"]]
    with (root / "truth" / "labels.csv").open(encoding="utf-8", newline="") as fh:
        truth = list(csv.DictReader(fh))
    assert len(truth) >= 30
    agree = dict.fromkeys(LABELS, 0)
    total = dict.fromkeys(LABELS, 0)
    for row in truth:
        text = sections[row["accession"]]
        labels = label_text(text, labeler=labeler)
        for name in LABELS:
            total[name] += 1
            agree[name] += format_value(labels[name]) == row[name]
    return {name: agree[name] / total[name] for name in LABELS}


@pytest.mark.parametrize("labeler", ["chexpert", "negbio"])
def test_exact_agreement_per_label(export50_root: Path, labeler: str) -> None:
    agreement = _agreement(export50_root, labeler)
    low = {k: round(v, 3) for k, v in agreement.items() if v < 0.98}
    assert not low, low
