"""The CheXpert-style labeler: the reference samples, the sentence table, the switches."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cxrkit.labels import LabelerOptions, format_labeled_csv, label_reports, label_text
from cxrkit.labels.schema import CHEXPERT_ORDER, format_value
from cxrkit.labels.text import split_sentences, tokenize

DATA = Path(__file__).resolve().parents[1] / "data" / "labels"
CASES = list(csv.DictReader((DATA / "sentence_cases.csv").open(encoding="utf-8")))


def test_sample_reports_reproduce_the_reference_output_byte_for_byte() -> None:
    samples = DATA / "chexpert-labeler-samples"
    with (samples / "sample_reports.csv").open(encoding="utf-8", newline="") as fh:
        texts = [row[0] for row in csv.reader(fh)]
    expected = (samples / "labeled_reports.csv").read_bytes().decode("utf-8")
    assert format_labeled_csv(texts, label_reports(texts)) == expected


def test_the_sentence_table_is_large_and_covers_every_label() -> None:
    assert len(CASES) >= 150
    assert {row["label"] for row in CASES} == set(CHEXPERT_ORDER)
    assert {row["value"] for row in CASES} == {"1.0", "0.0", "-1.0", ""}


@pytest.mark.parametrize("labeler", ["chexpert", "negbio"])
@pytest.mark.parametrize("case", CASES, ids=[f"{c['label']}:{c['text'][:40]}" for c in CASES])
def test_sentence_case(case: dict[str, str], labeler: str) -> None:
    labels = label_text(case["text"], labeler=labeler)
    assert format_value(labels[case["label"]]) == case["value"]


def test_negative_and_uncertain_beat_positive_only_with_the_published_switch() -> None:
    text = "Small effusion. No effusion on the left. Possible effusion on the right."
    assert label_text(text)["Pleural Effusion"] == -1.0
    off = LabelerOptions(negative_uncertain_wins=False)
    assert label_text(text, options=off)["Pleural Effusion"] == 1.0
    assert label_text("Small effusion. No effusion on the left.")["Pleural Effusion"] == 1.0


def test_heart_failure_switch() -> None:
    assert label_text("Mild CHF.")["Cardiomegaly"] == -1.0
    off = LabelerOptions(heart_failure_cardiomegaly=False)
    assert label_text("Mild CHF.", options=off)["Cardiomegaly"] is None


def test_no_finding_is_one_or_blank_unless_switched() -> None:
    assert label_text("Mild cardiomegaly.")["No Finding"] is None
    off = LabelerOptions(no_finding_blank=False)
    assert label_text("Mild cardiomegaly.", options=off)["No Finding"] == 0.0
    assert label_text("Left PICC line in place.")["No Finding"] == 1.0


def test_clear_lungs_switch_reads_lungs_are_clear_as_negative_opacity() -> None:
    on = LabelerOptions(clear_lungs=True)
    assert label_text("The lungs are clear.")["Lung Opacity"] is None
    assert label_text("The lungs are clear.", options=on)["Lung Opacity"] == 0.0
    assert label_text("The lungs are hyperinflated.", options=on)["Lung Opacity"] is None


def test_ambiguous_mentions_need_a_size_word_unless_switched() -> None:
    text = "The heart and lungs have changed in the interval."
    assert label_text(text)["Cardiomegaly"] is None
    off = LabelerOptions(ambiguous_needs_size_word=False)
    assert label_text(text, options=off)["Cardiomegaly"] == 1.0


def test_blank_report_gets_no_labels() -> None:
    assert set(label_reports(["  "])[0].values()) == {None}


def test_tokenizer_and_sentence_splitter() -> None:
    assert tokenize("Air-space disease and/or PTX.") == [
        "air",
        "space",
        "disease",
        "or",
        "ptx",
        ".",
    ]
    assert split_sentences("1. No effusion.\n\n2. Mild cardiomegaly") == [
        "No effusion.",
        "Mild cardiomegaly",
    ]


@pytest.mark.parametrize("labeler", ["chexpert", "negbio"])
def test_calcified_nodule_switch(labeler: str) -> None:
    text = "8 mm calcified nodule in the left midlung."
    assert label_text(text, labeler=labeler)["Lung Lesion"] is None
    assert label_text(text, labeler=labeler)["No Finding"] is None
    on = LabelerOptions(calcified_nodule_lesion=True)
    assert label_text(text, labeler=labeler, options=on)["Lung Lesion"] == 1.0
    assert label_text("No calcified nodules.", labeler=labeler, options=on)["Lung Lesion"] == 0.0
