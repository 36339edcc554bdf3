"""The synthetic EHR of a synthetic export: hospital admissions consistent with the studies.

``ehr/admissions.csv`` (``mrn, hadm_id, admittime, dischtime, admission_type``; times
``YYYY-MM-DD HH:MM:SS``) and its truth,
``truth/study_admissions.csv`` (``accession, mrn, hadm_id``: the admission each study was
taken in, empty for an outpatient study).

A patient's studies less than :data:`SAME_STAY` apart form one episode; most episodes are an
admission that starts up to two days before the first study and ends up to a week after the
last, the rest are outpatient visits. Episodes are at least ten days apart, so admissions never
overlap and every study lies in at most one of them, with a day to spare on each side. Some
patients also have an admission without any study, and a few EHR patients have no studies at
all (MRNs the export does not hold).

Everything is drawn from its own generator, seeded by the export's seed, so the DICOM files,
reports and other truth files are the same bytes with or without the EHR.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from cxrkit.sources.synth.cohort import Cohort
from cxrkit.sources.synth.model import Study

SAME_STAY = dt.timedelta(days=10)
ADMISSION_TYPES = ("EW EMER.", "URGENT", "ELECTIVE", "OBSERVATION ADMIT", "DIRECT EMER.")
ADMISSION_COLUMNS = ("mrn", "hadm_id", "admittime", "dischtime", "admission_type")


@dataclass(frozen=True)
class Admission:
    mrn: str
    hadm_id: str
    admit: dt.datetime
    discharge: dt.datetime
    kind: str
    accessions: tuple[str, ...]


def _episodes(studies: list[Study]) -> Iterator[list[Study]]:
    episode: list[Study] = []
    for study in sorted(studies, key=lambda s: (s.when, s.accession)):
        if episode and study.when - episode[-1].when >= SAME_STAY:
            yield episode
            episode = []
        episode.append(study)
    if episode:
        yield episode


class _Draw:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def hadm_id(self) -> str:
        while (value := f"ENC{self.rng.randrange(10**8):08d}") in self.used:
            pass
        self.used.add(value)
        return value

    def hours(self, low: float, high: float) -> dt.timedelta:
        return dt.timedelta(seconds=round(self.rng.uniform(low, high) * 3600))

    def admission(
        self, mrn: str, start: dt.datetime, end: dt.datetime, acc: tuple[str, ...]
    ) -> Admission:
        kind = self.rng.choice(ADMISSION_TYPES)
        return Admission(mrn, self.hadm_id(), start, end, kind, acc)


def _patient_admissions(draw: _Draw, mrn: str, studies: list[Study]) -> list[Admission]:
    out = []
    for episode in _episodes(studies):
        if draw.rng.random() < 0.25:
            continue  # outpatient visits
        start = episode[0].when - draw.hours(1, 48)
        end = episode[-1].when + draw.hours(4, 24 * 7)
        out.append(draw.admission(mrn, start, end, tuple(s.accession for s in episode)))
    first = min(s.when for s in studies)
    if draw.rng.random() < 0.4:  # an earlier stay without a radiograph
        start = first - dt.timedelta(days=draw.rng.randint(60, 400)) + draw.hours(0, 24)
        out.append(draw.admission(mrn, start, start + draw.hours(12, 24 * 9), ()))
    return out


def _ehr_only(draw: _Draw, cohort: Cohort) -> list[Admission]:
    known = {p.mrn for p in cohort.patients}
    out = []
    for _ in range(max(1, len(cohort.patients) // 10)):
        while (mrn := f"{draw.rng.randrange(10**7):07d}") in known:
            pass
        known.add(mrn)
        start = dt.datetime(2010, 1, 1) + dt.timedelta(minutes=draw.rng.randrange(10 * 525_600))
        out.append(draw.admission(mrn, start, start + draw.hours(6, 24 * 12), ()))
    return out


def admissions(cohort: Cohort) -> list[Admission]:
    """Every admission of the synthetic EHR, sorted by MRN and admission time."""
    draw = _Draw(random.Random(f"{cohort.seed}-ehr"))
    out: list[Admission] = []
    for patient in cohort.patients:
        studies = [s for s in cohort.studies if s.patient.index == patient.index]
        if studies:
            out.extend(_patient_admissions(draw, patient.mrn, studies))
    out.extend(_ehr_only(draw, cohort))
    return sorted(out, key=lambda a: (a.mrn, a.admit, a.hadm_id))


def admission_rows(stays: list[Admission]) -> Iterator[dict[str, str]]:
    """The rows of ``ehr/admissions.csv`` (columns :data:`ADMISSION_COLUMNS`)."""
    when = "%Y-%m-%d %H:%M:%S"
    for a in stays:
        yield {
            "mrn": a.mrn,
            "hadm_id": a.hadm_id,
            "admittime": f"{a.admit:{when}}",
            "dischtime": f"{a.discharge:{when}}",
            "admission_type": a.kind,
        }


def truth_rows(cohort: Cohort, stays: list[Admission]) -> Iterator[dict[str, str]]:
    """The rows of ``truth/study_admissions.csv``: every study's admission, or empty."""
    taken = {acc: a.hadm_id for a in stays for acc in a.accessions}
    for s in sorted(cohort.studies, key=lambda s: s.accession):
        hadm_id = taken.get(s.accession, "")
        yield {"accession": s.accession, "mrn": s.patient.mrn, "hadm_id": hadm_id}
