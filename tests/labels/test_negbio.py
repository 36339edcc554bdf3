"""The NegBio-style labeler: its shallow parse, and the reference samples."""

from __future__ import annotations

import csv
from pathlib import Path

from cxrkit.labels import label_reports
from cxrkit.labels.negbio import BREAK, COMMA, COORD, PREP, VERB, chunk, label_text
from cxrkit.labels.schema import CHEXPERT_ORDER, format_value

DATA = Path(__file__).resolve().parents[1] / "data" / "labels" / "chexpert-labeler-samples"


def test_chunks_and_links() -> None:
    tokens = ["the", "heart", ",", "mediastinum", "and", "hila", "are", "normal"]
    chunks = chunk(tokens, [(7, 8)])
    assert [(c.start, c.end) for c in chunks] == [(0, 2), (3, 4), (5, 6), (7, 8)]
    assert [c.link for c in chunks] == [COMMA, COORD, VERB, BREAK]
    assert chunk(["no", "evidence", "of", "ptx"], [(0, 1)])[1].link == PREP


def test_predicate_cue_governs_the_coordinated_subject_only() -> None:
    labels = label_text("Cardiomegaly and normal mediastinum.")
    assert labels["Cardiomegaly"] == 1.0
    assert labels["Enlarged Cardiomediastinum"] == 0.0


def test_sample_reports_match_the_reference_labels() -> None:
    with (DATA / "labeled_reports.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    got = label_reports([r["Reports"] for r in rows], labeler="negbio")
    for row, labels in zip(rows, got, strict=True):
        assert {k: format_value(labels[k]) for k in CHEXPERT_ORDER} == {
            k: row[k] for k in CHEXPERT_ORDER
        }
