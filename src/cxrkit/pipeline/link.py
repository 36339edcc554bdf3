"""Linking (S9a): a report belongs to the DICOM study with its accession number.

A study is one report with its images. Images whose accession has no report, and reports
with no (chest) images, are left out of the release and listed with the reason. A report
whose patient id differs from its images' Patient ID belongs to another patient (or the
accession was reused): the whole study, report and images, is left out as a
``study-conflict``, never linked; so is a study whose images name more than one patient.

Patient ids are compared exactly: only the spaces around a value are not part of it (DICOM
pads values with a space, CSV cells carry stray ones); case, leading zeros and inner spaces
count, so ``mrn0042`` and ``MRN0042``, or ``42`` and ``0042``, are two patients.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from cxrkit.errors import SourceError
from cxrkit.identity.dates import parse_da
from cxrkit.identity.source_keys import PatientKey, StudyKey
from cxrkit.pipeline.plan import HeaderInfo
from cxrkit.pipeline.quarantine import Quarantined
from cxrkit.reports import ReportRecord, TextDenyList


@dataclass(frozen=True)
class LinkedStudy:
    study_key: StudyKey
    report: ReportRecord
    images: tuple[HeaderInfo, ...]

    def deny_list(self) -> TextDenyList:
        """The report's PHI values and those of its images' headers."""
        base = self.report.deny_list()
        names: set[str] = set(base.names)
        idents: set[str] = set(base.identifiers)
        places: set[str] = set(base.places)
        dates: set[dt.date] = set(base.dates)
        for info in self.images:
            for kind, value in info.phi:
                if kind == "name":
                    names.add(value)
                elif kind == "id":
                    idents.add(value)
                elif kind == "place":
                    places.add(value)
                elif kind == "date":
                    try:
                        dates.add(parse_da(value))
                    except SourceError:
                        continue
        return TextDenyList(
            names=tuple(sorted(names)),
            identifiers=tuple(sorted(idents)),
            dates=tuple(sorted(dates)),
            places=tuple(sorted(places)),
            phones=base.phones,
        )

    def pixel_deny(self) -> tuple[str, ...]:
        """Report values worth looking for in the pixels too (names, ids, birth date)."""
        r = self.report
        values = (
            r.patient_name,
            r.ordering_provider,
            r.radiologist,
            r.patient_id,
            r.accession,
            r.patient_birth_date,
        )
        return tuple(v for v in values if v)


#: Why a study is a ``study-conflict`` (the detail written to the private list).
IMAGES_OF_TWO_PATIENTS = "its images name more than one patient"
PATIENT_MISMATCH = "the report's patient id differs from the images' Patient ID"


@dataclass(frozen=True)
class PatientList:
    """Source patients named by a list (``--withdraw``, ``--test-patients``): ids named alone
    (a patient with that Patient ID under any issuer) and patient keys (issuer and id: one
    patient, unambiguously)."""

    ids: frozenset[str] = frozenset()
    keys: frozenset[PatientKey] = frozenset()

    def names(self, info: HeaderInfo) -> bool:
        """Whether the patient of this image is on the list (exact comparison)."""
        return info.patient_id in self.ids or info.patient_key in self.keys

    def __bool__(self) -> bool:
        return bool(self.ids or self.keys)


def withdraw(
    infos: list[HeaderInfo], reports: tuple[ReportRecord, ...], patients: PatientList
) -> tuple[list[HeaderInfo], tuple[ReportRecord, ...], list[Quarantined]]:
    """Set aside the images of withdrawn patients, and the reports of their studies (or,
    for ids named alone, with their patient id)."""
    if not patients:
        return infos, reports, []
    kept, kept_reports, left_out = [], [], []
    studies: set[StudyKey] = set()
    for info in infos:
        if patients.names(info):
            left_out.append(Quarantined(info.rel, "plan", "withdrawn"))
            studies.add(info.study_key)
        else:
            kept.append(info)
    for r in reports:
        if r.patient_id.strip() in patients.ids or StudyKey("acc", r.accession) in studies:
            left_out.append(Quarantined(r.source, "report", "withdrawn", str(r.item)))
        else:
            kept_reports.append(r)
    return kept, tuple(kept_reports), left_out


def _conflict(images: list[HeaderInfo], report: ReportRecord | None) -> str:
    """Why a study is not one accession of one patient ("" when it is)."""
    if len({i.patient_key for i in images}) > 1:
        return IMAGES_OF_TWO_PATIENTS
    if report is not None and report.patient_id.strip() != images[0].patient_id:
        return PATIENT_MISMATCH
    return ""


def _whole_study(
    images: list[HeaderInfo], report: ReportRecord | None, why: str
) -> list[Quarantined]:
    """A study that is not one patient's, left out whole: its images and its report."""
    left_out = [Quarantined(i.rel, "link", "study-conflict", detail=why) for i in images]
    if report is not None:
        left_out.append(Quarantined(report.source, "link", "study-conflict", str(report.item), why))
    return left_out


def link(
    infos: list[HeaderInfo], reports: tuple[ReportRecord, ...]
) -> tuple[list[LinkedStudy], list[Quarantined]]:
    """Pair chest images and reports by accession; list what cannot be paired.

    A study is one accession of one patient: a study whose images carry more than one
    patient, or whose report names another patient than its images, is left out whole
    (``study-conflict``), never split or merged.
    """
    left_out: list[Quarantined] = []
    by_accession: dict[str, ReportRecord] = {}
    for record in reports:
        if record.accession in by_accession:
            left_out.append(
                Quarantined(record.source, "link", "duplicate-report", item=str(record.item))
            )
            continue
        by_accession[record.accession] = record
    groups: dict[StudyKey, list[HeaderInfo]] = defaultdict(list)
    for info in infos:
        groups[info.study_key].append(info)
    linked = []
    for key in sorted(groups):
        found: ReportRecord | None = None
        if key.accession is not None:
            found = by_accession.pop(key.accession, None)
        conflict = _conflict(groups[key], found)
        if conflict:
            left_out.extend(_whole_study(groups[key], found, conflict))
        elif found is None:
            left_out.extend(Quarantined(i.rel, "link", "no-report") for i in groups[key])
        else:
            linked.append(LinkedStudy(key, found, tuple(groups[key])))
    left_out.extend(
        Quarantined(r.source, "link", "report-without-images", item=str(r.item))
        for r in by_accession.values()
    )
    return linked, left_out
