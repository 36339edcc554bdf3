"""The leak audit knows the hospital's own coding-scheme designators (issue 14)."""

from __future__ import annotations

from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from cxrkit.dicom.codes import LOCAL_SCHEME
from cxrkit.identity.keystore import Keystore
from cxrkit.pipeline.plan import header_phi
from cxrkit.release.audit import _search, collect


def _header(*schemes: str) -> Dataset:
    ds = Dataset()
    items = []
    for scheme in schemes:
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = "XR1", scheme, "Chest"
        items.append(item)
    ds.ProcedureCodeSequence = Sequence(items)
    return ds


def test_an_original_header_names_its_local_schemes() -> None:
    phi = header_phi(_header("99XYZMC", "SCT", "XYZ", LOCAL_SCHEME))
    assert {v for k, v in phi if k == "scheme"} == {"99XYZMC", "XYZ"}


def test_the_audit_flags_a_local_designator_left_in_a_release(tmp_path: Path) -> None:
    keystore = Keystore.open(tmp_path)
    keystore.remember_phi(14_000_001, {("scheme", "99XYZMC"), ("scheme", "XYZ")})
    needles = collect(keystore)
    assert _search("ProcedureCode 99XYZMC XR1", needles, names_in_prose=False) == ["scheme"]
    assert _search("Coding scheme XYZ", needles, names_in_prose=False) == ["scheme"]
    assert _search(f"{LOCAL_SCHEME} L0A1B2C3D4E5 XYZW", needles, names_in_prose=False) == []
