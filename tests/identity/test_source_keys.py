"""Typed source keys: their stored strings are those existing keystores hold, and sort alike."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from cxrkit.identity.keystore import Keystore, patients, studies
from cxrkit.identity.source_keys import PatientKey, StudyKey

ISSUERS = st.text(alphabet="AB|\\ x", max_size=6)
IDS = st.text(alphabet="0P|\\ :", min_size=1, max_size=6)


def test_the_stored_forms_are_those_of_earlier_keystores() -> None:
    assert PatientKey("HOSP", "0042").stored == "HOSP|0042"
    assert PatientKey("", "0042").stored == "|0042"
    assert PatientKey("A|B", "C").stored == "A\\|B|C"
    assert PatientKey("A\\", "C").stored == "A\\\\|C"
    assert StudyKey.of("ACC1", "1.2.3").stored == "acc:ACC1"
    assert StudyKey.of("", "1.2.3").stored == "uid:1.2.3"


@given(ISSUERS, IDS)
def test_a_patient_key_survives_its_stored_form(issuer: str, mrn: str) -> None:
    assert PatientKey.parse(PatientKey(issuer, mrn).stored) == PatientKey(issuer, mrn)


def test_a_key_stored_without_issuer_reads_as_an_id_alone() -> None:
    assert PatientKey.parse("MRN-7") == PatientKey("", "MRN-7")
    assert StudyKey.parse("acc:A:1") == StudyKey("acc", "A:1")
    assert StudyKey.parse("ACC-7") == StudyKey("acc", "ACC-7")


@given(st.lists(st.tuples(ISSUERS, IDS), min_size=2, max_size=8))
def test_patient_keys_sort_as_their_stored_forms(pairs: list[tuple[str, str]]) -> None:
    """The plan allocates pseudonyms in key order: the order of the strings it used before."""
    keys = [PatientKey(i, m) for i, m in pairs]
    assert [k.stored for k in sorted(keys)] == sorted(k.stored for k in keys)


@given(st.lists(st.tuples(st.sampled_from(["A1", ""]), IDS), min_size=2, max_size=8))
def test_study_keys_sort_as_their_stored_forms(pairs: list[tuple[str, str]]) -> None:
    keys = [StudyKey.of(acc and acc + uid, uid) for acc, uid in pairs]
    assert [k.stored for k in sorted(keys)] == sorted(k.stored for k in keys)


def test_the_keystore_stores_and_returns_the_string_forms(tmp_path: Path) -> None:
    import datetime as dt

    ks = Keystore.open(tmp_path)
    patient = ks.patient(PatientKey("A|B", "C"), dt.date(2020, 1, 1))
    ks.study(StudyKey("uid", "1.2.3"), patient.subject_id)
    ks.withdraw({"X"}, {PatientKey("NORTH", "P1")})
    with ks.engine.connect() as conn:
        assert conn.execute(sa.select(patients.c.source_patient)).scalars().all() == ["A\\|B|C"]
        assert conn.execute(sa.select(studies.c.source_study)).scalars().all() == ["uid:1.2.3"]
    assert ks.withdrawn() == ({"X"}, {PatientKey("NORTH", "P1")})
    assert ks.issuers() == {"A|B"}
