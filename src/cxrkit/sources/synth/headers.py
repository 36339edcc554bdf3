"""DICOM headers of synthetic radiographs, with PHI planted wherever real exports carry it.

:func:`build_header` returns the dataset (without pixel data) and a :class:`Planted` list
naming each PHI value and its tag path, which becomes ``truth/phi.jsonl``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag
from pydicom.uid import UID

from cxrkit.sources.synth.model import MRN_ISSUER, Image, PersonName, Study

CR_STORAGE = "1.2.840.10008.5.1.4.1.1.1"
DX_STORAGE = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray Image Storage - For Presentation
IMPLEMENTATION_UID = "1.2.999.4242.99.1"

# (CodeValue, CodingSchemeDesignator, CodeMeaning) of the view, as modalities send them.
VIEW_CODES = {
    "PA": ("R-44D2F", "SRT", "postero-anterior"),
    "AP": ("R-10206", "SRT", "antero-posterior"),
    "LATERAL": ("R-10232", "SRT", "lateral"),
    "LL": ("R-10236", "SRT", "left lateral"),
}
ANATOMY_CODES = {
    "CHEST": ("T-D3000", "SRT", "Chest"),
    "ABDOMEN": ("T-D4000", "SRT", "Abdomen"),
    "PELVIS": ("T-D6000", "SRT", "Pelvis"),
    "EXTREMITY": ("T-D9400", "SRT", "Lower leg"),
}
ORIENTATION_CODES = {
    "erect": ("F-10440", "SRT", "erect"),
    "recumbent": ("F-10450", "SRT", "recumbent"),
}


def tag_name(tag: int) -> str:
    t = Tag(tag)
    return f"({t.group:04X},{t.element:04X})"


@dataclass
class Planted:
    """PHI values planted in one dataset, with their tag paths."""

    items: list[dict[str, Any]] = field(default_factory=list)

    def put(
        self,
        ds: Dataset,
        keyword: str,
        value: Any,
        category: str | None,
        *,
        prefix: str = "",
        match: str = "equal",
        planted: str | None = None,
    ) -> None:
        """Set ``ds.<keyword> = value`` and record it (or ``planted``, a part of it) as PHI.

        A ``category`` of ``None`` sets the value without recording it.
        """
        setattr(ds, keyword, value)
        if category is None:
            return
        path = prefix + tag_name(ds.data_element(keyword).tag)  # type: ignore[union-attr]
        values = value if isinstance(value, list) else [planted if planted else value]
        for v in values:
            self.items.append(
                {
                    "tag_path": path,
                    "value": str(v),
                    "category": category,
                    "match": "member" if isinstance(value, list) else match,
                }
            )

    def put_private(self, ds: Dataset, tag: int, vr: str, value: str, category: str) -> None:
        ds.add_new(tag, vr, value)
        self.items.append(
            {"tag_path": tag_name(tag), "value": value, "category": category, "match": "equal"}
        )


def _da(d: dt.date | dt.datetime) -> str:
    return f"{d:%Y%m%d}"


def _tm(t: dt.time | dt.datetime) -> str:
    return f"{t:%H%M%S}"


def _code_item(code: tuple[str, str, str]) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = code
    return item


def _file_meta(image: Image, sop_class: str) -> FileMetaDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class)
    meta.MediaStorageSOPInstanceUID = UID(image.sop_instance_uid)
    meta.TransferSyntaxUID = UID(image.transfer_syntax)
    meta.ImplementationClassUID = UID(IMPLEMENTATION_UID)
    meta.ImplementationVersionName = "SYNTHPACS_1"
    return meta


def _patient_module(ds: Dataset, study: Study, p: Planted) -> None:
    pat = study.patient
    p.put(ds, "PatientName", pat.name.dicom, "name")
    p.put(ds, "PatientID", pat.mrn, "mrn")
    ds.IssuerOfPatientID = MRN_ISSUER
    p.put(ds, "OtherPatientIDs", list(pat.other_ids), "id")
    p.put(ds, "PatientBirthDate", _da(pat.birth_date), "date")
    ds.PatientSex = pat.sex
    age = (study.when.date() - pat.birth_date).days // 365
    p.put(ds, "PatientAge", f"{age:03d}Y", "age" if age >= 90 else None)
    p.put(ds, "PatientAddress", pat.address.one_line, "address")
    p.put(ds, "PatientTelephoneNumbers", pat.phone, "phone")
    mother = pat.relatives[0].name
    p.put(ds, "PatientMotherBirthName", mother.dicom, "name")


def _study_module(ds: Dataset, study: Study, p: Planted) -> None:
    inst = study.institution
    p.put(ds, "StudyInstanceUID", study.study_instance_uid, "uid")
    p.put(ds, "StudyDate", _da(study.when), "date")
    p.put(ds, "StudyTime", _tm(study.when), "time")
    p.put(ds, "AccessionNumber", study.accession, "accession")
    p.put(ds, "StudyID", study.study_id, "id")
    p.put(ds, "ReferringPhysicianName", study.referring.dicom, "name")
    p.put(ds, "NameOfPhysiciansReadingStudy", study.radiologist.dicom, "name")
    p.put(ds, "InstitutionName", inst.name, "hospital")
    p.put(ds, "InstitutionAddress", inst.address.one_line, "address")
    ds.InstitutionalDepartmentName = inst.department
    desc = f"{study.exam.name} {study.patient.name.family.upper()}"
    p.put(
        ds,
        "StudyDescription",
        desc,
        "name",
        match="contains",
        planted=study.patient.name.family.upper(),
    )


def _series_module(ds: Dataset, study: Study, image: Image, p: Planted) -> None:
    p.put(ds, "SeriesInstanceUID", image.series_instance_uid, "uid")
    ds.SeriesNumber = image.series_number
    p.put(ds, "SeriesDate", _da(study.when), "date")
    p.put(ds, "SeriesTime", _tm(image.acquisition_time), "time")
    ds.Modality = image.modality
    desc = f"{image.view} {study.operator.family}"
    p.put(ds, "SeriesDescription", desc, "name", match="contains", planted=study.operator.family)
    p.put(ds, "PerformingPhysicianName", study.performing.dicom, "name")
    p.put(ds, "OperatorsName", study.operator.dicom, "name")
    ds.BodyPartExamined = study.exam.body_part
    ds.ViewPosition = image.view
    ds.ProtocolName = study.exam.name


def _equipment_module(ds: Dataset, study: Study, p: Planted) -> None:
    ds.Manufacturer = "SYNTHETIC MEDICAL SYSTEMS"
    ds.ManufacturerModelName = "SynthRad 3000"
    p.put(ds, "StationName", study.station_name, "station")
    p.put(ds, "DeviceSerialNumber", study.device_serial, "device")
    ds.SoftwareVersions = "4.2.1"


def _image_dates(ds: Dataset, study: Study, image: Image, p: Planted) -> None:
    day = study.when.date()
    for kw in ("ContentDate", "AcquisitionDate", "InstanceCreationDate"):
        p.put(ds, kw, _da(day), "date")
    for kw in ("ContentTime", "AcquisitionTime", "InstanceCreationTime"):
        p.put(ds, kw, _tm(image.acquisition_time), "time")
    stamp = dt.datetime.combine(day, image.acquisition_time)
    p.put(ds, "AcquisitionDateTime", f"{stamp:%Y%m%d%H%M%S}.000000", "datetime")
    p.put(ds, "PerformedProcedureStepStartDate", _da(day), "date")
    p.put(ds, "PerformedProcedureStepStartTime", _tm(study.when), "time")


def _procedure(ds: Dataset, study: Study, image: Image, p: Planted) -> None:
    exam = study.exam
    # The RIS's own coding scheme, named after the hospital as local schemes are ("99HMH").
    local = f"99{study.institution.short_name}"
    code = _code_item((exam.code, local, exam.name))
    p.put(code, "CodingSchemeDesignator", local, "hospital", prefix=tag_name(0x00081032) + "[0].")
    ds.ProcedureCodeSequence = Sequence([code])
    ds.PerformedProcedureStepDescription = exam.name
    ds.RequestedProcedureDescription = exam.name
    p.put(ds, "PerformedProcedureStepID", study.study_id, "id")
    item = Dataset()
    prefix = tag_name(0x00400275) + "[0]."
    p.put(item, "RequestedProcedureID", study.accession, "accession", prefix=prefix)
    p.put(
        item,
        "ScheduledProcedureStepID",
        f"SPS{study.study_id}",
        "id",
        prefix=prefix,
        match="contains",
        planted=study.study_id,
    )
    p.put(item, "AccessionNumber", study.accession, "accession", prefix=prefix)
    p.put(
        item,
        "ReasonForTheRequestedProcedure",
        f"eval for pna, call Dr. {study.referring.family} {study.patient.phone}",
        "name",
        prefix=prefix,
        match="contains",
        planted=study.referring.family,
    )
    item.RequestedProcedureDescription = exam.name
    reason = _code_item(("PNA1", local, "pneumonia"))
    reason_prefix = prefix + tag_name(0x0040100A) + "[0]."
    p.put(reason, "CodingSchemeDesignator", local, "hospital", prefix=reason_prefix)
    item.ReasonForRequestedProcedureCodeSequence = Sequence([reason])
    ds.RequestAttributesSequence = Sequence([item])
    if image.view in VIEW_CODES:
        ds.ViewCodeSequence = Sequence([_code_item(VIEW_CODES[image.view])])
    posture = "recumbent" if image.view == "AP" and "PORT" in exam.name else "erect"
    ds.PatientOrientationCodeSequence = Sequence([_code_item(ORIENTATION_CODES[posture])])
    ds.PatientOrientationCodeSequence[0].CodingSchemeVersion = "20180731"


def _modality_modules(ds: Dataset, study: Study, image: Image) -> None:
    """The attributes the CR and DX IODs require, so that conformance checks mean something."""
    ds.AnatomicRegionSequence = Sequence([_code_item(ANATOMY_CODES[study.exam.body_part])])
    ds.ImagerPixelSpacing = ["0.2", "0.2"]
    ds.RescaleType = "US"
    if study.exam.body_part == "EXTREMITY":
        ds.Laterality = "L"  # a paired body part: the exams in the cohort are left legs
    if image.modality == "CR":
        return
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.ImageLaterality = "L" if study.exam.body_part == "EXTREMITY" else "U"
    ds.PixelIntensityRelationship = "LOG"
    ds.PixelIntensityRelationshipSign = -1 if image.photometric == "MONOCHROME1" else 1
    ds.DetectorType = "SCINTILLATOR"
    ds.PositionerType = ""
    ds.AcquisitionContextSequence = Sequence([])


def _references(ds: Dataset, study: Study, image: Image, p: Planted) -> None:
    ref = Dataset()
    prefix = tag_name(0x00081110) + "[0]."
    ref.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    p.put(ref, "ReferencedSOPInstanceUID", study.study_instance_uid + ".1", "uid", prefix=prefix)
    ds.ReferencedStudySequence = Sequence([ref])
    if image.modality == "DX":
        p.put(ds, "IrradiationEventUID", image.sop_instance_uid + ".7", "uid")


def _private_blocks(ds: Dataset, study: Study, p: Planted) -> None:
    """A RIS bridge's private block holding identity, and a vendor block of technique values."""
    ds.add_new(0x00290010, "LO", "SYNTHPACS RIS BRIDGE")
    p.put_private(ds, 0x00291010, "PN", study.patient.name.dicom, "name")
    p.put_private(ds, 0x00291011, "LO", study.patient.mrn, "mrn")
    p.put_private(ds, 0x00291012, "LO", f"{study.referring.display}", "name")
    ds.add_new(0x00190010, "LO", "SYNTHRAD 3000 ACQ")
    ds.add_new(0x00191001, "DS", "2.5")
    ds.add_new(0x00191002, "DS", "80")


def _image_module(ds: Dataset, study: Study, image: Image, burned: bool, p: Planted) -> None:
    ds.SOPClassUID = UID(ds.file_meta.MediaStorageSOPClassUID)
    p.put(ds, "SOPInstanceUID", image.sop_instance_uid, "uid")
    ds.InstanceNumber = image.index + 1
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.PatientOrientation = ["P", "F"] if image.view in ("AP", "PA") else ["A", "F"]
    p.put(
        ds,
        "ImageComments",
        f"Pt {study.patient.name.family} MRN {study.patient.mrn}",
        "mrn",
        match="contains",
        planted=study.patient.mrn,
    )
    ds.BurnedInAnnotation = "YES" if burned else "NO"
    ds.LossyImageCompression = "00"


def build_header(study: Study, image: Image, burned: bool) -> tuple[Dataset, Planted]:
    """The DICOM header of ``image`` (no pixel data yet) and the PHI planted in it."""
    sop_class = CR_STORAGE if image.modality == "CR" else DX_STORAGE
    ds = Dataset()
    ds.file_meta = _file_meta(image, sop_class)
    ds.SpecificCharacterSet = "ISO_IR 100"
    p = Planted()
    _image_module(ds, study, image, burned, p)
    _patient_module(ds, study, p)
    _study_module(ds, study, p)
    _series_module(ds, study, image, p)
    _equipment_module(ds, study, p)
    _image_dates(ds, study, image, p)
    _procedure(ds, study, image, p)
    _references(ds, study, image, p)
    _modality_modules(ds, study, image)
    _private_blocks(ds, study, p)
    return ds, p


def person_text(name: PersonName) -> str:
    """``FAMILY, GIVEN M`` as modalities print a patient name."""
    middle = f" {name.middle}" if name.middle else ""
    return f"{name.family.upper()}, {name.given.upper()}{middle}"
