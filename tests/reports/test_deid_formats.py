"""Readers of annotated reports (BRAT, i2b2 2014, cxrkit truth) and token scoring."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxrkit.errors import SourceError
from cxrkit.reports.deid_eval import evaluate_deid
from cxrkit.reports.deid_formats import (
    AnnotatedDoc,
    Annotation,
    common_category,
    detect_format,
    read_annotated,
)

DATA = Path(__file__).parents[1] / "data" / "deid_formats"


@pytest.mark.parametrize("fmt", ["brat", "i2b2", "cxrkit"])
def test_each_format_is_detected_and_its_offsets_hold(fmt: str) -> None:
    assert detect_format(DATA / fmt) == fmt
    docs = read_annotated(DATA / fmt)
    assert len(docs) == 2
    texts = {d.text for d in docs}
    assert len(texts) == 2 and all(t.startswith(("EXAMINATION", "FINDINGS")) for t in texts)
    for doc in docs:
        for annotation in doc.annotations:
            for start, end in annotation.fragments:
                assert 0 <= start < end <= len(doc.text)
                assert doc.text[start:end] == doc.text[start:end].strip()


def test_a_discontinuous_brat_span_keeps_its_fragments() -> None:
    note2 = next(d for d in read_annotated(DATA / "brat") if d.name == "note2.txt")
    first = note2.annotations[0]
    assert first.type == "PATIENT"
    assert [note2.text[a:b] for a, b in first.fragments] == ["Rosa", "Delacroix-Hunt"]
    assert note2.text[first.fragments[0][1] : first.fragments[1][0]] == " (Rosie) "


def test_i2b2_types_and_synth_categories_map_to_the_common_set() -> None:
    pairs = {
        "DOCTOR": "name",
        "PATIENT": "name",
        "HOSPITAL": "institution",
        "CITY": "location",
        "MEDICALRECORD": "id",
        "accession": "id",
        "PHONE": "contact",
        "pager": "contact",
        "AGE": "age",
        "DATE": "date",
        "year": "date",
        "PROFESSION": "other",
        "unheard_of": "other",
    }
    assert {k: common_category(k) for k in pairs} == pairs
    assert common_category("time") is None


def test_a_token_touched_by_an_annotation_is_phi_and_must_be_covered_whole() -> None:
    text = "Seen by Dr. Okonkwo-Smith at 10:30 on 3/4/2015."
    doc = AnnotatedDoc(
        "a", text, (Annotation("DOCTOR", ((12, 19),)), Annotation("TIME", ((29, 34),)))
    )
    score = evaluate_deid([doc])
    assert score.gold["name"] == 1  # "Okonkwo"; "Smith" is not annotated
    assert score.tokens == 10  # Seen by Dr Okonkwo Smith at on 3 4 2015; 10:30 is unscored
    assert score.precision() is not None and score.precision() < 1.0  # 3/4/2015 is no gold PHI


def test_a_folder_of_plain_text_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    with pytest.raises(SourceError, match="holds no annotated reports"):
        read_annotated(tmp_path)


def test_brat_offsets_count_crlf_line_ends_as_written(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"FINDINGS:\r\nSeen by Dr. Bell.\r\n")
    (tmp_path / "a.ann").write_text("T1\tDOCTOR 23 27\tBell\n", encoding="utf-8")
    doc = read_annotated(tmp_path)[0]
    assert doc.text[23:27] == "Bell"
    assert evaluate_deid([doc]).recall("name") == 1.0
