"""The leak audit looks for each source patient's id and study's accession, read from the
keystore's stored keys."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cxrkit.identity.keystore import Keystore
from cxrkit.identity.source_keys import PatientKey, StudyKey
from cxrkit.release.audit import collect


@pytest.mark.parametrize("issuer", ["", "NORTH", "A|B", "C\\D"])
def test_the_audit_looks_for_the_id_whatever_the_issuer(tmp_path: Path, issuer: str) -> None:
    """An issuer with a ``|`` once made the audit look for ``B|MRN12345``, not the id."""
    keystore = Keystore.open(tmp_path)
    patient = keystore.patient(PatientKey(issuer, "MRN12345"), dt.date(2015, 1, 1))
    keystore.study(StudyKey("acc", "ACC98765"), patient.subject_id)
    needles = collect(keystore)
    for text in ("MRN12345", "ACC98765"):
        assert needles.plain["id"].fullmatch(text), text
    assert not needles.plain["id"].search("B|MRN") and not needles.plain["id"].search("acc:")
