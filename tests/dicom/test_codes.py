"""Code items in every kept sequence: public schemes kept, local schemes pseudonymised."""

from __future__ import annotations

import io

import pytest
from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from cxrkit.dicom.codes import LOCAL_SCHEME, is_public, local_code_value, public_schemes
from cxrkit.dicom.headers import Pseudonyms, deidentify_header
from cxrkit.dicom.profile import Action, compile_profile

IDS = Pseudonyms(subject_id=14839201, study_id=57261833, shift_days=33, key=bytes(range(32)))
HOSPITAL = "XYZMC"
WRAPPER = "RequestAttributesSequence"  # a kept sequence whose items are cleaned


def _kept_sequences() -> list[str]:
    """Every sequence of the compiled profile whose items reach the release."""
    kept = {Action.KEEP, Action.CLEAN, Action.DUMMY, Action.UID}
    out = []
    for tag, action in compile_profile().exact.items():
        try:
            vr = dictionary_VR(tag)
        except KeyError:
            continue
        if vr == "SQ" and action in kept and keyword_for_tag(tag):
            out.append(keyword_for_tag(tag))
    return sorted(out)


def _code(value: str, scheme: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, "Chest"
    item.CodingSchemeVersion = f"{HOSPITAL} 2019"
    item.ContextIdentifier = f"{HOSPITAL}1"
    item.MappingResource = HOSPITAL
    return item


def _nest(keyword: str, item: Dataset, depth: int) -> Dataset:
    """A header with ``keyword`` holding ``item``, inside ``depth`` wrapping sequences."""
    inner = Dataset()
    setattr(inner, keyword, Sequence([item]))
    for _ in range(depth):
        outer = Dataset()
        setattr(outer, WRAPPER, Sequence([inner]))
        inner = outer
    inner.SOPClassUID, inner.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.1", "1.2.999.1"
    return inner


def _codes(ds: Dataset) -> list[Dataset]:
    found = []
    for elem in ds.iterall():
        if elem.VR == "SQ":
            found.extend(i for i in elem.value if "CodingSchemeDesignator" in i)
    return found


def _local(ds: Dataset) -> list[Dataset]:
    return [c for c in _codes(ds) if c.CodingSchemeDesignator == LOCAL_SCHEME]


def _bytes(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, implicit_vr=False, little_endian=True)
    return buffer.getvalue()


SEQUENCES = _kept_sequences()
MEANING = compile_profile().descriptors["CodeMeaning"]["CHEST"]


def test_the_profile_keeps_the_code_sequences_of_radiographs() -> None:
    assert {"ProcedureCodeSequence", "ViewCodeSequence", "AnatomicRegionSequence"} <= set(SEQUENCES)
    assert {"ReasonForRequestedProcedureCodeSequence", "ViewModifierCodeSequence"} <= set(SEQUENCES)


@pytest.mark.parametrize("depth", [0, 2])
@pytest.mark.parametrize("keyword", SEQUENCES)
@pytest.mark.parametrize("scheme", ["99XYZMC", "XYZ", "SLC", "99"])
def test_a_local_scheme_is_replaced_in_every_kept_sequence(
    keyword: str, scheme: str, depth: int
) -> None:
    ds = deidentify_header(_nest(keyword, _code("XR123", scheme), depth), IDS)
    assert b"XYZ" not in _bytes(ds)
    assert b"XR123" not in _bytes(ds)
    codes = [c for c in _codes(ds) if c.CodingSchemeDesignator != "DCM"]
    for code in codes:  # the code survives (pseudonymised) or its sequence went
        assert code.CodingSchemeDesignator == LOCAL_SCHEME
        assert code.CodeValue == local_code_value(IDS.key, scheme, "XR123")
        assert code.CodeMeaning == MEANING  # the homogenised lookup value
        assert sorted(e.keyword for e in code) == [
            "CodeMeaning",
            "CodeValue",
            "CodingSchemeDesignator",
        ]


@pytest.mark.parametrize("depth", [0, 2])
@pytest.mark.parametrize("keyword", SEQUENCES)
@pytest.mark.parametrize("scheme", ["SCT", "SRT", "DCM", "RADLEX", "RADLEX_PLAYBOOK", "I10"])
def test_a_public_scheme_keeps_its_values_in_every_kept_sequence(
    keyword: str, scheme: str, depth: int
) -> None:
    ds = deidentify_header(_nest(keyword, _code("51185008", scheme), depth), IDS)
    codes = [c for c in _codes(ds) if c.get("CodeValue") == "51185008"]
    if keyword == "DeidentificationMethodCodeSequence" and depth == 0:
        assert codes == []  # rewritten with cxrkit's own record
        return
    assert len(codes) == 1
    assert codes[0].CodingSchemeDesignator == scheme
    assert codes[0].CodeMeaning == MEANING
    assert b"XYZMC1" not in _bytes(ds)  # a context identifier is no code: removed


def test_the_same_local_code_gets_the_same_pseudonym_everywhere() -> None:
    one = deidentify_header(_nest("ProcedureCodeSequence", _code("XR123", "99XYZMC"), 0), IDS)
    two = deidentify_header(_nest("ViewCodeSequence", _code("XR123", "99XYZMC"), 2), IDS)
    other = deidentify_header(_nest("ProcedureCodeSequence", _code("XR124", "99XYZMC"), 0), IDS)
    assert _local(one)[0].CodeValue == _local(two)[0].CodeValue != _local(other)[0].CodeValue
    keyed = Pseudonyms(IDS.subject_id, IDS.study_id, IDS.shift_days, bytes(32))
    again = deidentify_header(_nest("ProcedureCodeSequence", _code("XR123", "99XYZMC"), 0), keyed)
    assert _local(again)[0].CodeValue != _local(one)[0].CodeValue  # another workspace key


def test_a_local_code_without_a_known_meaning_goes() -> None:
    item = _code("PNA1", "99XYZMC")
    item.CodeMeaning = "pneumonia, call Dr. Bell"
    ds = deidentify_header(_nest("ReasonForRequestedProcedureCodeSequence", item, 1), IDS)
    assert _local(ds) == []


def test_the_public_list_holds_ps3_16_schemes_and_variants() -> None:
    assert len(public_schemes()) > 60
    for scheme in ("DCM", "SCT", "SRT", "LN", "RADLEX", "UCUM", "I10", "C4", "C5", "ICD-10"):
        assert is_public(scheme)
    for scheme in ("99XYZMC", "XYZ", "SLC", ""):
        assert not is_public(scheme)


# Designators of PS3.16 Table 8-1 that the first list (written from memory) lacked or spelled
# otherwise; 99SDM is the table's own designator of the SNOMED DICOM Microglossary.
TABLE_8_1 = ("I10C", "ICDO3", "caDSR", "CTV3", "POS", "RADELEMENT", "RRID", "UNS", "99SDM")


@pytest.mark.parametrize("scheme", TABLE_8_1)
def test_a_table_8_1_designator_is_kept_with_its_value(scheme: str) -> None:
    ds = deidentify_header(_nest("ProcedureCodeSequence", _code("C34.1", scheme), 0), IDS)
    codes = [c for c in _codes(ds) if c.get("CodeValue") == "C34.1"]
    assert [c.CodingSchemeDesignator for c in codes] == [scheme]


@pytest.mark.parametrize("scheme", ["99XYZ", "XYZRAD", "99SDMX", "LOCAL", "I10X"])
def test_a_made_up_designator_is_replaced(scheme: str) -> None:
    ds = deidentify_header(_nest("ProcedureCodeSequence", _code("C34.1", scheme), 0), IDS)
    assert [c.CodingSchemeDesignator for c in _local(ds)] == [LOCAL_SCHEME]
    assert scheme.encode() not in _bytes(ds)
