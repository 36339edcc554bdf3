"""Reading and writing the CheXpert labeler's CSVs; the rows of S14's label files."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxrkit.errors import ConfigError
from cxrkit.labels import (
    LABELS,
    format_study_rows,
    label_studies,
    label_study,
    read_reports_csv,
)
from cxrkit.labels.openi import read_openi_reports


def test_read_reports_csv_keeps_multiline_cells(tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    p.write_text('"a, b"\n"one\n\ntwo"\n\nlast\n', encoding="utf-8")
    assert read_reports_csv(p) == ["a, b", "one\n\ntwo", "", "last"]


def test_label_studies_rows_are_in_mimic_order_and_skip_blank_texts() -> None:
    rows = label_studies(
        [("1", "10", "Mild cardiomegaly."), ("1", "11", "  "), ("2", "12", "No effusion.")],
        labeler="negbio",
    )
    assert [r["study_id"] for r in rows] == ["10", "12"]
    assert list(rows[0]) == ["subject_id", "study_id", *LABELS]
    text = format_study_rows(rows)
    assert text.splitlines()[0] == "subject_id,study_id," + ",".join(LABELS)
    assert text.splitlines()[1] == "1,10,,1.0,,,,,,,,,,,,"


@pytest.mark.parametrize("text", ["Mild cardiomegaly.", "No effusion. ? pneumonia", " "])
def test_a_study_s_labels_are_its_label_table_rows(text: str) -> None:
    """The report step's labels (``label_study``) are the values of the label files' rows."""
    labels = label_study(text)
    for labeler in ("chexpert", "negbio"):
        rows = label_studies([("1", "2", text)], labeler=labeler)
        assert [{k: r[k] for k in LABELS} for r in rows] == ([labels[labeler]] if labels else [])


def test_unknown_labeler() -> None:
    with pytest.raises(ConfigError, match="unknown labeler 'x'"):
        label_studies([("1", "2", "text")], labeler="x")


def test_openi_sections_are_read_from_the_xml(openi_reports: dict) -> None:  # type: ignore[type-arg]
    assert len(openi_reports) == 3955
    r = openi_reports["CXR1000"]
    assert r.impression.startswith("1. Increased opacity in the right upper lobe")
    assert r.label_text == r.impression
    assert r.comparison == "XXXX PA and lateral chest radiographs"


def test_openi_bad_archive_is_a_data_file_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.tgz"
    bad.write_bytes(b"not a tar")
    from cxrkit.errors import DataFileError

    with pytest.raises(DataFileError, match="cannot read the Open-I archive"):
        read_openi_reports(bad)
