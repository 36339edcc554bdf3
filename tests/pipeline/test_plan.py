"""The plan on tiny hand-made headers: what it reads, what it sets aside, and the order in
which it asks the keystore for pseudonyms."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
import tiny_export as tiny

from cxrkit.errors import SourceError
from cxrkit.identity.keystore import Keystore
from cxrkit.identity.source_keys import PatientKey, StudyKey
from cxrkit.pipeline.plan import assign, header_info, header_phi, non_chest, scan


def test_header_info_keys_a_study_by_accession_else_by_uid(tmp_path: Path) -> None:
    path = tiny.image(tmp_path / "a", " MRN1 ", "ACC1", 0)
    info = header_info(path, tmp_path)
    assert info.rel == "a"
    assert info.patient_key == PatientKey("", "MRN1")  # DICOM padding is no part of the id
    assert info.study_key == StudyKey("acc", "ACC1")
    assert info.study_date == dt.date(2015, 3, 4)
    assert info.chest.is_chest
    ds = tiny.dataset("MRN1", "", 1)
    ds.IssuerOfPatientID = "NORTH"
    info = header_info(tiny.write(tmp_path / "b", ds), tmp_path)
    assert info.study_key == StudyKey("uid", str(ds.StudyInstanceUID))
    assert info.patient_key == PatientKey("NORTH", "MRN1")


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("PatientID", "no PatientID"),
        ("SOPInstanceUID", "no SOPInstanceUID"),
    ],
)
def test_a_header_without_a_key_element_is_named_without_values(
    tmp_path: Path, missing: str, message: str
) -> None:
    path = tiny.edited(tmp_path / "a", "MRN1", "ACC1", 0, **{missing: None})
    with pytest.raises(SourceError, match=message) as caught:
        header_info(path, tmp_path)
    assert caught.value.kind == "missing-element"
    assert "MRN1" not in str(caught.value)


def test_a_study_needs_an_accession_or_a_uid(tmp_path: Path) -> None:
    path = tiny.edited(tmp_path / "a", "MRN1", "", 0, StudyInstanceUID=None)
    with pytest.raises(SourceError, match="no AccessionNumber and no StudyInstanceUID"):
        header_info(path, tmp_path)


def test_header_phi_lists_the_identifying_values() -> None:
    found = header_phi(tiny.dataset("MRN1", "ACC1", 0))
    assert {("name", tiny.NAME), ("id", "MRN1"), ("id", "ACC1"), ("date", "20150304")} <= found
    assert {k for k, _ in found} <= {"name", "id", "date", "place", "uid", "scheme"}


def test_scan_lists_every_entry_once(tmp_path: Path) -> None:
    tiny.image(tmp_path / "good", "MRN1", "ACC1", 0)
    tiny.edited(tmp_path / "knee", "MRN1", "ACC2", 0, BodyPartExamined="KNEE")
    (tmp_path / "notes.txt").write_text("not DICOM")
    infos, bad, seen = scan(tmp_path)
    assert seen == 3
    assert sorted(i.rel for i in infos) == ["good", "knee"]
    assert [(q.source, q.stage, q.kind) for q in bad] == [("notes.txt", "discover", "not-dicom")]
    assert [q.source for q in non_chest(infos)] == ["knee"]


def _infos(tmp_path: Path, specs: list[tuple[str, str, int]]) -> list:  # type: ignore[type-arg]
    paths = [tiny.image(tmp_path / f"f{n}", p, a, i) for n, (p, a, i) in enumerate(specs)]
    return [header_info(path, tmp_path) for path in paths]


def test_assign_gives_the_same_pseudonyms_whatever_the_input_order(tmp_path: Path) -> None:
    infos = _infos(tmp_path, [("MRN2", "ACC2", 0), ("MRN1", "ACC1", 0), ("MRN1", "ACC1", 1)])
    key = Keystore.open(tmp_path / "a").key
    (tmp_path / "b").mkdir(mode=0o700)
    (tmp_path / "b" / "secret.key").write_bytes((tmp_path / "a" / "secret.key").read_bytes())
    (tmp_path / "b" / "secret.key").chmod(0o600)
    one, _ = assign(infos, Keystore.open(tmp_path / "a"))
    two, _ = assign(infos[::-1], Keystore.open(tmp_path / "b"))
    assert Keystore.open(tmp_path / "b").key == key
    assert [(w.rel, w.ids.subject_id, w.ids.study_id, w.dicom_id) for w in one] == [
        (w.rel, w.ids.subject_id, w.ids.study_id, w.dicom_id) for w in two
    ]
    by_sop = {i.rel: i.sop_uid for i in infos}
    assert [w.rel for w in one] == [*sorted(["f1", "f2"], key=by_sop.get), "f0"]  # by patient
    assert len({w.ids.study_id for w in one}) == 2 and len({w.ids.subject_id for w in one}) == 2
    assert all(w.out_rel.endswith(f"/{w.dicom_id}.dcm") for w in one)


def test_assign_sets_aside_a_duplicate_and_a_study_of_another_patient(tmp_path: Path) -> None:
    infos = _infos(tmp_path, [("MRN1", "ACC1", 0), ("MRN1", "ACC1", 0)])
    keystore = Keystore.open(tmp_path / "private")
    work, left_out = assign(infos, keystore)
    assert [w.rel for w in work] == ["f0"]
    assert [(q.source, q.kind) for q in left_out] == [("f1", "duplicate-image")]
    later = _infos(tmp_path / "later", [("MRN9", "ACC1", 5)])  # ACC1 was MRN1's
    work, left_out = assign(later, keystore)
    assert not work and [q.kind for q in left_out] == ["study-conflict"]


def test_the_shift_is_drawn_from_the_patient_s_first_study(tmp_path: Path) -> None:
    infos = _infos(tmp_path, [("MRN1", "ACC1", 0), ("MRN1", "ACC2", 0)])
    early = dataclasses.replace(infos[1], study_date=dt.date(2001, 6, 1))
    work, _ = assign([infos[0], early], Keystore.open(tmp_path / "private"))
    shifted = dt.date(2001, 6, 1) + dt.timedelta(days=work[0].ids.shift_days)
    assert 2100 <= shifted.year <= 2200
    assert work[0].ids.shift_days == work[1].ids.shift_days
