"""The plan: read every header once, group by patient and study, assign pseudonyms.

The driver reads headers only (no pixel data), sorts patients, studies and images by their
source keys, and asks the keystore for each one's pseudonym in that order, so that the same
sources and key always give the same identifiers. Only the driver writes to the keystore.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from cxrkit.dicom.chest import ChestVerdict, chest_verdict
from cxrkit.dicom.codes import local_designators
from cxrkit.dicom.headers import Pseudonyms
from cxrkit.errors import NotDicomError, SourceError
from cxrkit.identity.dates import parse_da
from cxrkit.identity.keystore import Keystore
from cxrkit.identity.source_keys import PatientKey, StudyKey
from cxrkit.pipeline.quarantine import Quarantined
from cxrkit.release.layout import image_path
from cxrkit.sources.discover import PARSER_ERRORS, Entry, read_header, walk

DATE_KEYWORDS = ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate")
# Header values remembered as a study's known PHI: they feed the report de-identifier's
# deny-list and the leak audit of `cxrkit verify` (kept in the private keystore only).
PHI_KEYWORDS = {
    "name": (
        "PatientName",
        "ReferringPhysicianName",
        "PerformingPhysicianName",
        "OperatorsName",
        "NameOfPhysiciansReadingStudy",
        "PatientMotherBirthName",
    ),
    "id": (
        "PatientID",
        "OtherPatientIDs",
        "AccessionNumber",
        "StudyID",
        "DeviceSerialNumber",
        "StationName",
    ),
    "date": ("PatientBirthDate", "StudyDate"),
    "place": ("InstitutionName", "InstitutionAddress", "PatientAddress"),
    "uid": ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"),
}


@dataclass(frozen=True)
class HeaderInfo:
    """What the plan needs from one image's header."""

    source: Path
    rel: str  # relative to the source root (may hold PHI: private only)
    issuer: str  # IssuerOfPatientID, "" when absent
    patient_id: str  # PatientID, surrounding spaces (DICOM padding) removed
    study_key: StudyKey
    sop_uid: str
    study_date: dt.date | None
    chest: ChestVerdict
    phi: frozenset[tuple[str, str]] = frozenset()

    @property
    def patient_key(self) -> PatientKey:
        return PatientKey(self.issuer, self.patient_id)


@dataclass(frozen=True)
class WorkItem:
    """One image to de-identify: where it is, its pseudonyms, and where it goes."""

    source: str
    rel: str
    ids: Pseudonyms
    dicom_id: str
    out_rel: str
    extra_deny: tuple[str, ...] = ()  # the report's PHI values, also looked for in the pixels


def _study_date(ds: Dataset) -> dt.date | None:
    for keyword in DATE_KEYWORDS:
        value = str(ds.get(keyword, "") or "").strip()
        if value:
            try:
                return parse_da(value)
            except SourceError:
                continue
    return None


def header_phi(ds: Dataset) -> frozenset[tuple[str, str]]:
    """(kind, value) pairs of the identifying values of an original header, and the
    designators of its local coding schemes (kind ``scheme``: the hospital's abbreviation)."""
    found = set()
    for kind, keywords in PHI_KEYWORDS.items():
        for keyword in keywords:
            value = ds.get(keyword)
            for v in list(value) if isinstance(value, MultiValue) else [value]:
                text = str(v or "").strip()
                if text:
                    found.add((kind, text))
    found.update(("scheme", d) for d in local_designators(ds))
    return frozenset(found)


def header_info(path: Path, root: Path) -> HeaderInfo:
    """Read one header; :class:`SourceError` says what is wrong with it (never a value).

    An element pydicom cannot decode (an unknown VR, sequences nested too deep) is a
    :class:`NotDicomError` of kind ``unreadable-dicom``, as is a file it cannot parse.
    """
    ds = read_header(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom's warnings could quote values: PHI
        try:
            return _header_info(ds, path, root)
        except PARSER_ERRORS as exc:
            raise NotDicomError(
                f"an element cannot be decoded ({type(exc).__name__})", kind="unreadable-dicom"
            ) from None


def _text(ds: Dataset, keyword: str) -> str:
    return str(ds.get(keyword, "") or "").strip()


def _header_info(ds: Dataset, path: Path, root: Path) -> HeaderInfo:
    patient = _text(ds, "PatientID")
    if not patient:
        raise SourceError("no PatientID", kind="missing-element")
    sop = _text(ds, "SOPInstanceUID")
    if not sop:
        raise SourceError("no SOPInstanceUID", kind="missing-element")
    accession = _text(ds, "AccessionNumber")
    study_uid = _text(ds, "StudyInstanceUID")
    if not (accession or study_uid):
        raise SourceError("no AccessionNumber and no StudyInstanceUID", kind="missing-element")
    issuer = _text(ds, "IssuerOfPatientID")
    return HeaderInfo(
        source=path,
        rel=path.relative_to(root).as_posix(),
        issuer=issuer,
        patient_id=patient,
        study_key=StudyKey.of(accession, study_uid),
        sop_uid=sop,
        study_date=_study_date(ds),
        chest=chest_verdict(ds),
        phi=header_phi(ds),
    )


def scan(
    root: Path, progress: Callable[[int, int], None] | None = None
) -> tuple[list[HeaderInfo], list[Quarantined], int]:
    """Headers of every DICOM file under ``root``; the rest quarantined; entries seen.

    Every entry :func:`~cxrkit.sources.discover.walk` finds is counted and ends either in the
    returned headers or in the quarantine list.
    """
    entries = list(walk(root))
    infos, bad = [], []
    for n, entry in enumerate(entries, start=1):
        found = _read_entry(entry, root)
        if isinstance(found, HeaderInfo):
            infos.append(found)
        else:
            bad.append(found)
        if progress is not None:
            progress(n, len(entries))
    return infos, bad, len(entries)


def _read_entry(entry: Entry, root: Path) -> HeaderInfo | Quarantined:
    rel = entry.path.relative_to(root).as_posix()
    if entry.problem:
        return Quarantined(rel, "discover", entry.problem, detail=entry.detail)
    try:
        return header_info(entry.path, root)
    except NotDicomError as exc:
        return Quarantined(rel, "discover", exc.kind or "unreadable-dicom", detail=str(exc))
    except SourceError as exc:
        return Quarantined(rel, "plan", exc.kind or "missing-element", detail=str(exc))


def non_chest(infos: list[HeaderInfo]) -> list[Quarantined]:
    """The images that are not chest radiographs, left out (S7)."""
    return [
        Quarantined(i.rel, "plan", "not-chest", detail=i.chest.reason)
        for i in infos
        if not i.chest.is_chest
    ]


def assign(infos: list[HeaderInfo], keystore: Keystore) -> tuple[list[WorkItem], list[Quarantined]]:
    """Pseudonyms for every image, allocated in sorted source order; duplicates, and studies
    an earlier build gave to another patient, set aside."""
    first: dict[PatientKey, dt.date] = {}
    for info in infos:
        if info.study_date is not None:
            known = first.get(info.patient_key)
            first[info.patient_key] = min(known, info.study_date) if known else info.study_date
    work, left_out = [], []
    seen: set[str] = set()
    for info in sorted(infos, key=lambda i: (i.patient_key, i.study_key, i.sop_uid, i.rel)):
        if info.sop_uid in seen:
            left_out.append(Quarantined(info.rel, "plan", "duplicate-image"))
            continue
        seen.add(info.sop_uid)
        patient = keystore.patient(
            info.patient_key, first.get(info.patient_key, dt.date(2000, 1, 1))
        )
        try:
            study_id = keystore.study(info.study_key, patient.subject_id)
        except SourceError as exc:
            left_out.append(Quarantined(info.rel, "plan", exc.kind, detail=str(exc)))
            continue
        dicom_id = keystore.image(info.sop_uid, study_id)
        ids = Pseudonyms(patient.subject_id, study_id, patient.shift_days, keystore.key)
        out = image_path(patient.subject_id, study_id, dicom_id).as_posix()
        work.append(WorkItem(str(info.source), info.rel, ids, dicom_id, out))
    return work, left_out
