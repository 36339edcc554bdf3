"""Header de-identification: every table row at every depth, pseudonyms, and a leak test."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from cxrkit.dicom.headers import TYPE2_SEQUENCES, Pseudonyms, deidentify_header
from cxrkit.dicom.profile import Action, resolve, table_rows
from cxrkit.identity.uids import new_uid

IDS = Pseudonyms(subject_id=14839201, study_id=57261833, shift_days=33000, key=bytes(range(32)))
SPECIAL = {0x00100010, 0x00100020, 0x00120062, 0x00120063, 0x00120064, 0x00280303}
VALUES: dict[str, Any] = {
    "DA": "20150314",
    "TM": "101010",
    "DT": "20150314101010",
    "UI": "1.2.999.77.1",
    "PN": "Hill^Rose",
    "AS": "045Y",
    "IS": "7",
    "DS": "7.5",
    "US": 7,
    "SS": 7,
    "UL": 7,
    "SL": 7,
    "FL": 7.0,
    "FD": 7.0,
    "UV": 7,
    "SV": 7,
    "AT": 0x00100010,
    "CS": "SECRET",
}


def _rows() -> list[tuple[int, str, Action]]:
    out = []
    for row in table_rows():
        tag = row["tag"].strip("()").replace(",", "")
        if "X" in tag.upper() or "ODD" in row["tag"].upper():
            continue
        out.append((int(tag, 16), row["name"], resolve(row)))
    return out


def _vr(tag: int) -> str | None:
    try:
        return dictionary_VR(tag).split(" or ")[0]
    except KeyError:
        return None


def _value(vr: str) -> Any:
    if vr == "SQ":
        inner = Dataset()
        inner.PatientName = "Hill^Rose"
        inner.CodeMeaning = "lateral"
        return Sequence([inner])
    if vr in ("OB", "OW", "OD", "OF", "OL", "OV", "UN"):
        return b"\x01\x02\x03\x04"
    return VALUES.get(vr, "SECRET 12345")


def _check(ds: Dataset, tag: int, vr: str, action: Action, original: Any) -> None:
    present = tag in ds
    if action is Action.REMOVE or (
        vr == "SQ" and action is Action.EMPTY and tag not in TYPE2_SEQUENCES
    ):
        assert not present  # an emptied Type 3 sequence is removed: empty would be invalid
        return
    if action is Action.DATE and vr not in ("DA", "DT", "TM"):
        assert not present
        return
    if action is Action.CLEAN and vr != "SQ":
        assert not present, "free text not in a lookup table is removed"
        return
    assert present
    value = ds[tag].value
    if vr == "SQ":
        if action is Action.EMPTY:
            assert len(value) == 0
        else:
            assert all(not item.get("PatientName") for item in value), "items are cleaned"
        return
    if action is Action.EMPTY:
        assert value in ("", None, b"")
    elif action is Action.UID:
        assert value == new_uid(IDS.key, original)
    elif action is Action.DATE:
        day = f"{dt.date(2015, 3, 14) + dt.timedelta(days=IDS.shift_days):%Y%m%d}"
        assert value == {"DA": day, "DT": day + "101010", "TM": "101010"}[vr]
    elif action is Action.DUMMY:
        assert value != original or vr == "UI"
    elif action is Action.KEEP:
        assert value == original


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_every_table_row_gets_its_action_at_every_depth(depth: int) -> None:
    checked = 0
    for tag, _name, action in _rows():
        vr = _vr(tag)
        if vr is None or tag in SPECIAL or tag >> 16 == 0x0002:
            continue
        original = _value(vr)
        ds = Dataset()
        holder = ds
        for _ in range(depth):  # kept, non-code sequences to nest into
            item = Dataset()
            holder.RequestAttributesSequence = Sequence([item])
            holder = item
        holder.add_new(tag, vr, copy.deepcopy(original))
        deidentify_header(ds, IDS)
        for _ in range(depth):
            ds = ds.RequestAttributesSequence[0]
        _check(ds, tag, vr, action, original)
        checked += 1
    assert checked > 550


def test_unknown_private_overlay_and_curve_elements_are_removed() -> None:
    ds = Dataset()
    ds.add_new(0x00291010, "LO", "Hill^Rose")  # private
    ds.add_new(0x60000022, "LO", "overlay text")  # overlay
    ds.add_new(0x50000005, "US", 1)  # curve
    ds.add_new(0x00189999, "LO", "not in any table")  # unknown public tag: default deny
    ds.Rows = 10  # on the keep-list
    deidentify_header(ds, IDS)
    assert [int(e.tag) for e in ds if int(e.tag) not in SPECIAL] == [0x00280010]


def test_pseudonyms_and_the_record_of_what_was_done() -> None:
    ds = Dataset()
    ds.PatientName, ds.PatientID = "Hill^Rose", "0012345"
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.1", "1.2.999.5.6"
    ref = Dataset()
    ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID = (
        "1.2.840.10008.5.1.4.1.1.1",
        "1.2.999.5.6",
    )
    ds.ReferencedImageSequence = Sequence([ref])
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.70"
    deidentify_header(ds, IDS)
    assert ds.PatientName == ds.PatientID == "14839201"
    assert ds.PatientIdentityRemoved == "YES"
    codes = [i.CodeValue for i in ds.DeidentificationMethodCodeSequence]
    assert codes == ["113100", "113105", "113107", "113101", "113103"]
    assert all(len(v) <= 64 for v in ds.DeidentificationMethod)
    assert ds.LongitudinalTemporalInformationModified == "MODIFIED"
    new = ds.SOPInstanceUID
    assert new.startswith("2.25.") and len(new) <= 64
    assert ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID == new
    assert ds.ReferencedImageSequence[0].ReferencedSOPClassUID == "1.2.840.10008.5.1.4.1.1.1"
    assert ds.file_meta.MediaStorageSOPInstanceUID == new
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.70"


def test_descriptors_survive_only_through_lookup_tables() -> None:
    ds = Dataset()
    ds.PerformedProcedureStepDescription = "chest  (pa and lat)"
    ds.StudyDescription = "CHEST (PA AND LAT) HILL"
    ds.SeriesDescription = "lateral"
    ds.ImageComments = "Pt Hill MRN 0012345"
    deidentify_header(ds, IDS)
    assert ds.PerformedProcedureStepDescription == "CHEST (PA AND LAT)"
    assert ds.SeriesDescription == "LATERAL"
    assert "StudyDescription" not in ds
    assert "ImageComments" not in ds


def test_names_in_any_character_set_are_removed() -> None:
    for charset, name in (("ISO_IR 100", "Ångström^Zoë"), ("ISO_IR 192", "Ñúñez^Łucja")):
        ds = Dataset()
        ds.SpecificCharacterSet = charset
        ds.PatientName = name
        ds.ReferringPhysicianName = name
        ds.PerformingPhysicianName = name
        ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.1", "1.2.999.8"
        ds.file_meta = pydicom.dataset.FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
        deidentify_header(ds, IDS)
        out = Path(pytest.importorskip("tempfile").mkdtemp()) / "x.dcm"
        ds.save_as(out, enforce_file_format=True)
        raw = out.read_bytes()
        for part in name.split("^"):
            for enc in ("latin-1", "utf-8"):
                try:
                    assert part.encode(enc) not in raw
                    assert part.upper().encode(enc) not in raw
                except UnicodeEncodeError:
                    continue


def _header_phi(root: Path) -> dict[str, set[str]]:
    """Planted header PHI per file, names also by their parts (times of day are kept, S2)."""
    out: dict[str, set[str]] = {}
    for line in (root / "truth" / "phi.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["where"] != "dicom" or item["category"] == "time" or item["match"] == "overlay":
            continue
        values = out.setdefault(item["file"], set())
        values.add(item["value"])
        if item["category"] == "name":
            values.update(item["value"].replace("^", " ").replace(",", " ").split())
    return out


def _needles(values: set[str]) -> list[bytes]:
    """Each value in three cases, as bytes (values of at least 3 characters)."""
    out = {case for v in values if len(v) >= 3 for case in (v, v.upper(), v.lower())}
    return [n.encode("latin-1", "replace") for n in sorted(out)]


def test_no_planted_header_phi_survives_in_the_output_bytes(
    export50_root: Path, tmp_path: Path
) -> None:
    phi = _header_phi(export50_root)
    with (export50_root / "truth" / "images.csv").open(encoding="utf-8") as fh:
        files = [r["file"] for r in csv.DictReader(fh) if not r["broken"]]
    for rel in files:
        ds = pydicom.dcmread(export50_root / rel)
        deidentify_header(ds, IDS)
        del ds.PixelData  # pixel bytes are the burned-in issue's; this test is about headers
        out = tmp_path / "out.dcm"
        ds.save_as(out, enforce_file_format=True)
        # New UIDs are long keyed digit strings: a short number inside one is chance, not a leak.
        raw = re.sub(rb"2\.25\.[0-9]+", b"2.25.UID", out.read_bytes())
        leaked = [n for n in _needles(phi[rel]) if n in raw]
        assert leaked == [], (rel, leaked[:5])
