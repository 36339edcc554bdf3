"""Linking reports to images by accession: a report of another patient is never linked."""

from __future__ import annotations

from pathlib import Path

from cxrkit.dicom.chest import ChestVerdict
from cxrkit.pipeline.link import IMAGES_OF_TWO_PATIENTS, PATIENT_MISMATCH, link
from cxrkit.pipeline.plan import HeaderInfo
from cxrkit.reports import ReportRecord


def _image(rel: str, patient: str, accession: str) -> HeaderInfo:
    return HeaderInfo(
        source=Path(rel),
        rel=rel,
        patient_key=f"|{patient}",
        study_key=f"acc:{accession}",
        sop_uid=f"1.2.3.{rel}",
        study_date=None,
        chest=ChestVerdict(True, "chest"),
    )


def test_a_report_whose_patient_differs_from_its_images_leaves_the_study_out() -> None:
    images = [_image("a1", "P1", "A1"), _image("b1", "P2", "B1"), _image("b2", "P2", "B1")]
    reports = (
        ReportRecord("A1", "P1", "text", "r.csv", item=0),
        ReportRecord("B1", "P1", "text", "r.csv", item=1),  # B1's images are P2's
    )
    linked, left_out = link(images, reports)
    assert [(s.study_key, [i.rel for i in s.images]) for s in linked] == [("acc:A1", ["a1"])]
    assert sorted((q.source, q.item, q.kind, q.detail) for q in left_out) == [
        ("b1", "", "study-conflict", PATIENT_MISMATCH),
        ("b2", "", "study-conflict", PATIENT_MISMATCH),
        ("r.csv", "1", "study-conflict", PATIENT_MISMATCH),
    ]


def test_one_image_of_another_patient_leaves_the_whole_study_out() -> None:
    images = [_image("b1", "P1", "B1"), _image("b2", "P2", "B1")]
    linked, left_out = link(images, (ReportRecord("B1", "P1", "text", "r.csv"),))
    assert not linked
    assert {(q.source, q.item, q.kind) for q in left_out} == {
        ("b1", "", "study-conflict"),
        ("b2", "", "study-conflict"),
        ("r.csv", "0", "study-conflict"),
    }
    assert {q.detail for q in left_out} == {IMAGES_OF_TWO_PATIENTS}
