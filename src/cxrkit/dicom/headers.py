"""DICOM header de-identification (S4, S6): the compiled profile applied at every depth.

:func:`deidentify_header` changes a dataset in place: every element gets the action of
:mod:`cxrkit.dicom.profile` (default deny), sequences are walked item by item, UIDs are
replaced with keyed ``2.25.`` UIDs (the same in every reference), dates move by the patient's
shift, descriptors survive only through lookup tables, code items of local coding schemes are
pseudonymised (:mod:`cxrkit.dicom.codes`), and the patient's name and ID become
the ``subject_id``. The de-identification is recorded in the dataset as PS3.15 asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydicom.datadict import dictionary_VR
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.uid import UID

from cxrkit import __version__
from cxrkit.dicom.codes import clean_code_item
from cxrkit.dicom.profile import METHOD_CODES, Action, Profile, compile_profile, normalise
from cxrkit.errors import SourceError
from cxrkit.identity.dates import shift_da, shift_dt
from cxrkit.identity.uids import new_uid

#: cxrkit's implementation class UID (a fixed 2.25 UID).
IMPLEMENTATION_CLASS_UID = "2.25.191742108362457123614375125232871626145"
#: De-identification Method (0012,0063), LO values of at most 64 characters.
METHOD_TEXT = [f"cxrkit {__version__}", *(meaning for _, meaning in METHOD_CODES)]
# Sequences whose items are code triplets that must keep their meaning or go.
CODE_SEQUENCES = frozenset(
    {0x00540220, 0x00540222, 0x00540410, 0x00540412, 0x00540414, 0x00081032, 0x00082218}
)
# Emptied sequences are removed (most are Type 3, where an empty sequence is invalid) except
# these, which the CR, DX and SC IODs require present (Type 2).
TYPE2_SEQUENCES = frozenset({0x00400555})  # Acquisition Context Sequence
TEXT_VRS = frozenset(
    {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UR", "UT"}
)
DUMMIES: dict[str, Any] = {
    "PN": "ANONYMOUS",
    "LO": "ANONYMIZED",
    "SH": "ANONYMIZED",
    "LT": "ANONYMIZED",
    "ST": "ANONYMIZED",
    "UT": "ANONYMIZED",
    "UC": "ANONYMIZED",
    "CS": "ANONYMIZED",
    "AE": "ANONYMIZED",
    "DA": "19000101",
    "TM": "000000",
    "DT": "19000101000000",
    "AS": "000Y",
    "IS": "0",
    "DS": "0",
    "UR": "",
    "US": 0,
    "SS": 0,
    "UL": 0,
    "SL": 0,
    "FL": 0.0,
    "FD": 0.0,
    "UV": 0,
    "SV": 0,
}


@dataclass(frozen=True)
class Pseudonyms:
    """What de-identification of one image needs from the keystore."""

    subject_id: int
    study_id: int
    shift_days: int
    key: bytes


def _map_uid(value: Any, key: bytes) -> Any:
    if isinstance(value, MultiValue | list):
        return [new_uid(key, str(v)) for v in value]
    return new_uid(key, str(value)) if str(value).strip() else value


def _shift(elem: DataElement, days: int) -> bool:
    """Shift a date element in place; False if it is not a date that can be shifted."""
    shift = {"DA": shift_da, "DT": shift_dt}.get(str(elem.VR))
    if shift is None:
        return elem.VR == "TM"  # times of day are kept
    values = elem.value if isinstance(elem.value, MultiValue) else [elem.value]
    try:
        shifted = [shift(str(v), days) if str(v).strip() else "" for v in values]
    except SourceError:
        return False
    elem.value = shifted if isinstance(elem.value, MultiValue) else shifted[0]
    return True


def _clean_text(elem: DataElement, profile: Profile) -> bool:
    """Keep a descriptor only through its lookup table; False if it must go."""
    table = profile.descriptors.get(elem.keyword or "")
    if table is None or elem.VR not in TEXT_VRS or isinstance(elem.value, MultiValue):
        return False
    written = table.get(normalise(str(elem.value or "")))
    if written is None:
        return False
    elem.value = written
    return True


def _empty(elem: DataElement) -> None:
    elem.value = Sequence([]) if elem.VR == "SQ" else (None if elem.VR not in TEXT_VRS else "")


def _dummy(elem: DataElement, ids: Pseudonyms) -> None:
    if elem.VR == "UI":
        elem.value = _map_uid(elem.value, ids.key)
    elif str(elem.VR) in DUMMIES:
        elem.value = DUMMIES[str(elem.VR)]
    else:
        elem.value = b""


def _is_code(item: Dataset) -> bool:
    return "CodingSchemeDesignator" in item or "CodeValue" in item


def _raw_vr(ds: Dataset, tag: int) -> str | None:
    """The VR of an element as read (before conversion), or from the dictionary."""
    vr = ds.get_item(tag).VR
    if vr:
        return str(vr)
    try:
        return str(dictionary_VR(tag))
    except KeyError:
        return None


class _Walker:
    """One de-identification pass over a dataset and its nested sequences."""

    def __init__(self, ids: Pseudonyms, profile: Profile) -> None:
        self.ids = ids
        self.profile = profile

    def dataset(self, ds: Dataset) -> None:
        for tag in list(ds.keys()):
            action = self.profile.action(int(tag))
            # Removed elements are dropped, and kept ones left, without decoding their value.
            if action is Action.KEEP and _raw_vr(ds, int(tag)) not in ("SQ", None):
                continue
            if action is Action.REMOVE or not self.element(ds[tag], action):
                del ds[tag]
        if "CodingSchemeDesignator" in ds:  # a code item: local schemes are pseudonymised
            clean_code_item(ds, self.ids.key)

    def element(self, elem: DataElement, action: Action) -> bool:
        """Apply ``action`` to the element; False when the element must be removed."""
        if elem.VR == "SQ":
            return self.sequence(elem, action)
        if action is Action.KEEP:
            return True
        if action is Action.EMPTY:
            _empty(elem)
            return True
        if action is Action.DUMMY:
            _dummy(elem, self.ids)
            return True
        if action is Action.UID:
            if elem.VR != "UI":
                return False
            elem.value = _map_uid(elem.value, self.ids.key)
            return True
        if action is Action.DATE:
            return _shift(elem, self.ids.shift_days)
        return _clean_text(elem, self.profile)

    def sequence(self, elem: DataElement, action: Action) -> bool:
        if action is Action.DATE:
            return False
        if action is Action.EMPTY:
            elem.value = Sequence([])
        for item in elem.value:
            self.dataset(item)
        # A code item keeps its meaning or goes (in code sequences also an item without one).
        elem.value = Sequence([i for i in elem.value if "CodeMeaning" in i or not _is_code(i)])
        if int(elem.tag) in CODE_SEQUENCES:
            elem.value = Sequence([i for i in elem.value if "CodeMeaning" in i])
        return len(elem.value) > 0 or int(elem.tag) in TYPE2_SEQUENCES


def _record(ds: Dataset, ids: Pseudonyms) -> None:
    """Pseudonyms in the patient module and the PS3.15 record of what was done."""
    ds.PatientName = str(ids.subject_id)
    ds.PatientID = str(ids.subject_id)
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = METHOD_TEXT
    items = []
    for code, meaning in METHOD_CODES:
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = code, "DCM", meaning
        items.append(item)
    ds.DeidentificationMethodCodeSequence = Sequence(items)
    ds.LongitudinalTemporalInformationModified = "MODIFIED"


def _file_meta(ds: Dataset, transfer_syntax: str) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(str(ds.SOPClassUID))
    meta.MediaStorageSOPInstanceUID = UID(str(ds.SOPInstanceUID))
    meta.TransferSyntaxUID = UID(transfer_syntax)
    meta.ImplementationClassUID = UID(IMPLEMENTATION_CLASS_UID)
    meta.ImplementationVersionName = f"CXRKIT_{__version__}"[:16]
    ds.file_meta = meta


def deidentify_header(ds: Dataset, ids: Pseudonyms, *, profile: Profile | None = None) -> Dataset:
    """De-identify ``ds`` in place (header only) and return it.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.PatientName, ds.StudyDate, ds.StudyTime = "Hill^Rose", "20150314", "142205"
    >>> ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.1", "1.2.999.1.2.3"
    >>> ds.InstitutionName = "Harborview Memorial Hospital"
    >>> out = deidentify_header(ds, Pseudonyms(10000042, 50000042, 31, bytes(32)))
    >>> str(out.PatientName), out.StudyDate, out.StudyTime, "InstitutionName" in out
    ('10000042', '20150414', '142205', True)
    >>> out.InstitutionName, out.SOPInstanceUID.startswith("2.25.")
    ('', True)
    """
    transfer_syntax = "1.2.840.10008.1.2.1"
    meta = getattr(ds, "file_meta", None)
    if meta is not None and "TransferSyntaxUID" in meta:
        transfer_syntax = str(meta.TransferSyntaxUID)
    _Walker(ids, profile or compile_profile()).dataset(ds)
    _record(ds, ids)
    if "SOPClassUID" in ds and "SOPInstanceUID" in ds:
        _file_meta(ds, transfer_syntax)
    return ds
