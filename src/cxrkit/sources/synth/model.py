"""Records describing a synthetic hospital: patients, studies and images.

Every record is a frozen dataclass built once by :mod:`cxrkit.sources.synth.cohort`
from the seed. The writers (DICOM, pixels, reports, RIS files) read these records and
never draw identity values of their own, so a value planted in a header, a pixel box
and a report is the same value.

All PHI in these records is fake.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PersonName:
    """A person's name in its parts.

    Examples
    --------
    >>> PersonName("Hill", "Rose", "M").dicom
    'Hill^Rose^M'
    """

    family: str
    given: str
    middle: str = ""
    prefix: str = ""

    @property
    def dicom(self) -> str:
        """DICOM PN form ``Family^Given^Middle^Prefix`` without trailing empty parts."""
        parts = [self.family, self.given, self.middle, self.prefix]
        while parts and not parts[-1]:
            parts.pop()
        return "^".join(parts)

    @property
    def display(self) -> str:
        """``Given Family`` as it would be written in prose."""
        return f"{self.given} {self.family}"

    @property
    def parts(self) -> tuple[str, ...]:
        """The non-empty name parts, the unit that text and OCR matchers look for."""
        return tuple(p for p in (self.family, self.given, self.middle) if p)


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    state: str
    zip_code: str

    @property
    def one_line(self) -> str:
        return f"{self.street}, {self.city}, {self.state} {self.zip_code}"


@dataclass(frozen=True)
class Relative:
    relation: str  # "wife", "husband", "daughter", "son", "mother", "brother", ...
    name: PersonName
    phone: str


@dataclass(frozen=True)
class Patient:
    """One source patient, as the hospital knows them."""

    index: int
    mrn: str
    other_ids: tuple[str, ...]
    name: PersonName
    sex: str  # "F" or "M"
    birth_date: dt.date
    address: Address
    phone: str
    relatives: tuple[Relative, ...]


#: The assigning authority of every MRN in a synthetic export: one health system whose
#: hospitals share one MRN namespace.
MRN_ISSUER = "SYNTHHEALTH"


@dataclass(frozen=True)
class Institution:
    name: str
    short_name: str
    address: Address
    department: str
    uid_root: str
    phone: str


@dataclass(frozen=True)
class Exam:
    """An examination type as coded by the RIS (Simon-Leeming code + name)."""

    code: str
    name: str
    body_part: str  # DICOM BodyPartExamined: CHEST, ABDOMEN, PELVIS, EXTREMITY, ...
    views: tuple[str, ...]  # ViewPosition of each image: PA, AP, LATERAL, LL, ...

    @property
    def is_chest(self) -> bool:
        return self.body_part == "CHEST"


@dataclass(frozen=True)
class Image:
    """One image of a study, with everything needed to write its DICOM file."""

    index: int  # 0-based within the study
    view: str  # PA, AP, LATERAL, LL
    modality: str  # CR or DX
    transfer_syntax: str  # UID
    photometric: str  # MONOCHROME1 or MONOCHROME2
    bits_stored: int  # 8, 10, 12 or 15
    base: str  # name of the vendored radiograph the pixels come from
    burn_phi: bool  # whether PHI is burned into the pixels
    sop_instance_uid: str
    series_instance_uid: str
    series_number: int
    acquisition_time: dt.time
    broken: str = ""  # "", "truncated", "not-dicom", "no-pixels"


@dataclass(frozen=True)
class Study:
    """One imaging study: its RIS record, its report and its images."""

    index: int  # 0-based within the patient
    patient: Patient
    accession: str
    study_id: str  # DICOM StudyID, a short RIS/modality number
    study_instance_uid: str
    when: dt.datetime
    exam: Exam
    institution: Institution
    referring: PersonName  # ordering provider
    radiologist: PersonName
    performing: PersonName
    operator: PersonName  # technologist
    station_name: str
    device_serial: str
    images: tuple[Image, ...]
    report_form: str  # "csv", "hl7" or "" (no report)
    prior_dates: tuple[dt.datetime, ...] = field(default=())

    @property
    def has_report(self) -> bool:
        return bool(self.report_form)
