"""Linking reports to images by accession: a report of another patient is never linked."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from cxrkit.dicom.chest import ChestVerdict
from cxrkit.identity.keystore import Keystore
from cxrkit.identity.source_keys import PatientKey, StudyKey
from cxrkit.pipeline.link import (
    IMAGES_OF_TWO_PATIENTS,
    PATIENT_MISMATCH,
    PatientList,
    link,
    withdraw,
)
from cxrkit.pipeline.plan import HeaderInfo, assign
from cxrkit.reports import ReportRecord


def _image(rel: str, patient: str, accession: str, issuer: str = "") -> HeaderInfo:
    return HeaderInfo(
        source=Path(rel),
        rel=rel,
        issuer=issuer,
        patient_id=patient,
        study_key=StudyKey("acc", accession),
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
    assert [(s.study_key, [i.rel for i in s.images]) for s in linked] == [
        (StudyKey("acc", "A1"), ["a1"])
    ]
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


@pytest.mark.parametrize(
    ("in_report", "linked"),
    [
        ("P1", True),
        (" P1 ", True),  # stray spaces around a CSV cell are not part of the id
        ("p1", False),  # case counts
        ("0P1", False),  # so do leading zeros
        ("P 1", False),  # and inner spaces
    ],
)
def test_the_report_s_patient_id_is_compared_exactly(in_report: str, linked: bool) -> None:
    images = [_image("a1", "P1", "A1")]
    found, left_out = link(images, (ReportRecord("A1", in_report, "text", "r.csv"),))
    assert bool(found) is linked
    assert {q.kind for q in left_out} == (set() if linked else {"study-conflict"})


def test_two_issuers_never_give_one_patient_key(tmp_path: Path) -> None:
    """``A|B`` + ``C`` and ``A`` + ``B|C`` once made the same key ``A|B|C``: one subject."""
    assert PatientKey("A|B", "C").stored != PatientKey("A", "B|C").stored
    assert PatientKey("A\\", "|C").stored != PatientKey("A\\|", "C").stored
    images = [_image("a1", "C", "A1", issuer="A|B"), _image("b1", "B|C", "B1", issuer="A")]
    dated = [dataclasses.replace(i, study_date=dt.date(2020, 1, 1)) for i in images]
    work, _ = assign(dated, Keystore.open(tmp_path))
    assert len({w.ids.subject_id for w in work}) == 2


def test_a_withdrawal_with_an_issuer_names_one_patient() -> None:
    images = [_image("n1", "P1", "N1", issuer="NORTH"), _image("s1", "P1", "S1", issuer="SOUTH")]
    reports = (ReportRecord("N1", "P1", "t", "r.csv", 0), ReportRecord("S1", "P1", "t", "r.csv", 1))
    by_key = PatientList(keys=frozenset({PatientKey("NORTH", "P1")}))
    kept, kept_reports, left_out = withdraw(images, reports, by_key)
    assert [i.rel for i in kept] == ["s1"]
    assert [r.accession for r in kept_reports] == ["S1"]
    assert sorted((q.source, q.item) for q in left_out) == [("n1", ""), ("r.csv", "0")]
    by_id = PatientList(ids=frozenset({"P1"}))  # the id alone: every issuer
    kept, kept_reports, _ = withdraw(images, reports, by_id)
    assert not kept and not kept_reports
