"""Draw a synthetic hospital's cohort — institutions, patients, studies, images — from a seed.

Everything that varies between exports is drawn here, once, with one ``random.Random``; the
writers only render these records. Image attributes that the tests must find in every export
(transfer syntax × photometric interpretation × bits stored) are dealt from shuffled decks, so
that every 40 consecutive images cover all 40 combinations.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
import random
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from pydicom.uid import (
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLosslessSV1,
    RLELossless,
)

from cxrkit.sources.synth.model import (
    Address,
    Exam,
    Image,
    Institution,
    Patient,
    PersonName,
    Relative,
    Study,
)

TRANSFER_SYNTAXES = (
    str(ExplicitVRLittleEndian),
    str(ImplicitVRLittleEndian),
    str(JPEGLosslessSV1),
    str(JPEG2000Lossless),
    str(RLELossless),
)
PHOTOMETRICS = ("MONOCHROME1", "MONOCHROME2")
BITS_STORED = (8, 10, 12, 15)

# Examinations with Simon-Leeming codes (S7) and the views each one produces.
# The weight is the chance of the exam among chest studies (MIMIC-CXR's Table 1 shape, with
# the rare exams made commoner so that a small export still has them).
CHEST_EXAMS: tuple[tuple[Exam, float], ...] = (
    (Exam("C11", "CHEST (PA AND LAT)", "CHEST", ("PA", "LATERAL")), 0.52),
    (Exam("C12", "CHEST (PORTABLE AP)", "CHEST", ("AP",)), 0.28),
    (Exam("PC111", "DX CHEST PORTABLE PICC LINE PLACEMENT", "CHEST", ("AP",)), 0.04),
    (Exam("PC171", "DX CHEST PORT LINE/TUBE PLCMT 1 EXAM", "CHEST", ("AP",)), 0.03),
    (Exam("PC3", "DX CHEST & RIBS", "CHEST", ("PA", "LATERAL")), 0.03),
    (Exam("PC1", "DX CHEST WITH DECUB", "CHEST", ("AP", "LL")), 0.03),
    (Exam("C13", "CHEST (SINGLE VIEW)", "CHEST", ("PA",)), 0.04),
    (Exam("PC113", "DX CHEST 2 VIEW PICC LINE PLACEMENT", "CHEST", ("PA", "LATERAL")), 0.03),
)
OTHER_EXAMS: tuple[Exam, ...] = (
    Exam("A11", "ABDOMEN (SUPINE AND ERECT)", "ABDOMEN", ("AP",)),
    Exam("P11", "PELVIS (AP ONLY)", "PELVIS", ("AP",)),
    Exam("E41", "TIB/FIB (AP AND LAT) LEFT", "EXTREMITY", ("AP",)),
)

FRONTAL_BASES = (
    "rg1_chest_pa",
    "siim_chest_pa",
    "nih_dx_chest_pa",
    "nih_00000001_000",
    "nih_00027426_000",
)
OTHER_BASES = {"ABDOMEN": "nih_dx_chest_pa", "PELVIS": "siim_chest_pa", "EXTREMITY": "rg3_tibia_ap"}

FIRST_YEAR, LAST_YEAR = 2008, 2021


@dataclass(frozen=True)
class Cohort:
    """A whole synthetic hospital: its institutions, patients and studies."""

    seed: int
    institutions: tuple[Institution, ...]
    patients: tuple[Patient, ...]
    studies: tuple[Study, ...]


@functools.cache
def people_data() -> dict[str, Any]:
    """The fake names and places of ``_data/people.toml``, read once."""
    text = (files("cxrkit.sources.synth") / "_data" / "people.toml").read_text("utf-8")
    return tomllib.loads(text)


class _Draw:
    """Random draws of fake identity values, all from one ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.data = people_data()
        self._used: set[str] = set()

    def unique(self, make: Any) -> str:
        """Call ``make()`` until it returns a value not returned before in this export."""
        while True:
            value = str(make())
            if value not in self._used:
                self._used.add(value)
                return value

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def name(self, sex: str | None = None) -> PersonName:
        sex = sex or self.rng.choice("FM")
        given = self.rng.choice(self.data["given_female" if sex == "F" else "given_male"])
        middle = self.rng.choice("ABCDEFGHJKLMNPRSTW") if self.rng.random() < 0.5 else ""
        return PersonName(self.rng.choice(self.data["family"]), given, middle)

    def phone(self) -> str:
        area = self.rng.choice(("617", "508", "781", "401", "603", "978", "212", "860"))
        return f"({area}) 555-01{self.digits(2)}"

    def address(self) -> Address:
        city, state = self.rng.choice(self.data["cities"])
        street = f"{self.rng.randint(2, 980)} {self.rng.choice(self.data['streets'])}"
        return Address(street, city, state, self.digits(5))

    def mrn(self) -> str:
        return self.unique(lambda: self.rng.choice(("", "0", "00")) + self.digits(7))

    def accession(self, year: int) -> str:
        forms = (
            lambda: self.digits(8),
            lambda: "A" + self.digits(9),
            lambda: f"RAD{year}{self.digits(6)}",
            lambda: self.digits(10),
        )
        return self.unique(self.rng.choice(forms))

    def when(self, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        span = int((end - start).total_seconds())
        return start + dt.timedelta(seconds=self.rng.randrange(max(span, 1)))


def _institutions(draw: _Draw) -> tuple[Institution, ...]:
    data = draw.data
    picks = draw.rng.sample(range(len(data["hospitals"])), 2)
    out = []
    for i in picks:
        out.append(
            Institution(
                name=data["hospitals"][i],
                short_name=data["hospital_short"][i],
                address=draw.address(),
                department=draw.rng.choice(data["departments"]),
                uid_root=f"1.2.999.4242.{i + 1}",
                phone=draw.phone(),
            )
        )
    return tuple(out)


def _patient(draw: _Draw, index: int) -> Patient:
    rng = draw.rng
    sex = rng.choice("FM")
    # About one patient in ten is 90 or older at the first study: an age that is PHI.
    age = rng.randint(90, 99) if rng.random() < 0.1 else rng.randint(19, 88)
    birth = dt.date(FIRST_YEAR - age + rng.randint(0, 6), rng.randint(1, 12), rng.randint(1, 28))
    relatives = tuple(
        Relative(
            rel, draw.name("F" if rel in ("wife", "daughter", "mother") else "M"), draw.phone()
        )
        for rel in rng.sample(
            ("wife", "husband", "daughter", "son", "mother", "brother"), rng.randint(1, 2)
        )
    )
    other: tuple[str, ...] = (draw.unique(lambda: "E" + draw.digits(8)),)
    if rng.random() < 0.4:
        other += (draw.unique(lambda: f"9{draw.digits(2)}-{draw.digits(2)}-{draw.digits(4)}"),)
    return Patient(
        index=index,
        mrn=draw.mrn(),
        other_ids=other,
        name=draw.name(sex),
        sex=sex,
        birth_date=birth,
        address=draw.address(),
        phone=draw.phone(),
        relatives=relatives,
    )


class _Deck:
    """Deals (transfer syntax, photometric, bits stored) so every 40 cards cover all 40."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.cards: list[tuple[str, str, int]] = []

    def deal(self) -> tuple[str, str, int]:
        if not self.cards:
            self.cards = list(itertools.product(TRANSFER_SYNTAXES, PHOTOMETRICS, BITS_STORED))
            self.rng.shuffle(self.cards)
        return self.cards.pop()


def _pick_exam(rng: random.Random, views_only_single: bool) -> Exam:
    if rng.random() < 0.05:
        return rng.choice(OTHER_EXAMS)
    exams = [e for e, _ in CHEST_EXAMS]
    exam: Exam = rng.choices(exams, [w for _, w in CHEST_EXAMS])[0]
    if views_only_single and len(exam.views) > 1:
        return Exam(exam.code, exam.name, exam.body_part, exam.views[:1])
    return exam


def _uid(root: str, when: dt.datetime, draw: _Draw) -> str:
    return draw.unique(lambda: f"{root}.{when:%Y%m%d%H%M%S}.{draw.rng.randint(1, 999999)}")


def _images(
    draw: _Draw, deck: _Deck, exam: Exam, when: dt.datetime, root: str
) -> tuple[Image, ...]:
    rng = draw.rng
    modality = "CR" if rng.random() < 0.6 else "DX"
    images = []
    for i, view in enumerate(exam.views):
        ts, photometric, bits = deck.deal()
        base = rng.choice(FRONTAL_BASES) if exam.is_chest else OTHER_BASES[exam.body_part]
        images.append(
            Image(
                index=i,
                view=view,
                modality=modality,
                transfer_syntax=ts,
                photometric=photometric,
                bits_stored=bits,
                base=base,
                burn_phi=rng.random() < 0.75,
                sop_instance_uid=_uid(root, when, draw),
                series_instance_uid=_uid(root, when, draw),
                series_number=i + 1,
                acquisition_time=(when + dt.timedelta(seconds=40 * i + rng.randint(5, 30))).time(),
            )
        )
    return tuple(images)


def _staff(draw: _Draw, n: int) -> tuple[PersonName, ...]:
    return tuple(draw.name() for _ in range(n))


def _report_form(rng: random.Random, exam: Exam) -> str:
    if not exam.is_chest:
        return ""
    roll = rng.random()
    if roll < 0.03:
        return ""  # images without a report
    return "hl7" if roll < 0.12 else "csv"


def _study_times(draw: _Draw, n: int) -> list[dt.datetime]:
    first = draw.when(dt.datetime(FIRST_YEAR, 1, 1), dt.datetime(LAST_YEAR - 3, 1, 1))
    times = [first]
    for _ in range(n - 1):
        times.append(
            times[-1]
            + dt.timedelta(
                days=draw.rng.choice((1, 3, 30, 200, 400, 800)), seconds=draw.rng.randrange(86400)
            )
        )
    return times


def _studies_of(
    draw: _Draw,
    deck: _Deck,
    patient: Patient,
    insts: tuple[Institution, ...],
    staff: dict[str, tuple[PersonName, ...]],
) -> Iterator[Study]:
    rng = draw.rng
    times = _study_times(draw, rng.choice((1, 2, 2, 3, 3, 4, 5)))
    for s, when in enumerate(times):
        inst = insts[0] if rng.random() < 0.8 else insts[1]
        exam = _pick_exam(rng, views_only_single=rng.random() < 0.12)
        yield Study(
            index=s,
            patient=patient,
            accession=draw.accession(when.year),
            study_id=draw.unique(lambda: str(rng.randint(1000, 999999))),
            study_instance_uid=_uid(inst.uid_root, when, draw),
            when=when,
            exam=exam,
            institution=inst,
            referring=rng.choice(staff["referring"]),
            radiologist=rng.choice(staff["radiologist"]),
            performing=rng.choice(staff["radiologist"]),
            operator=rng.choice(staff["operator"]),
            station_name=f"{inst.short_name}{rng.choice(draw.data['stations'])}",
            device_serial=draw.unique(lambda: f"SN{draw.digits(7)}"),
            images=_images(draw, deck, exam, when, inst.uid_root),
            report_form=_report_form(rng, exam),
            prior_dates=tuple(times[:s]),
        )


def build_cohort(n_patients: int, seed: int) -> Cohort:
    """Draw the whole synthetic hospital for ``n_patients`` patients.

    Examples
    --------
    >>> cohort = build_cohort(3, seed=1)
    >>> len(cohort.patients)
    3
    >>> build_cohort(3, seed=1) == cohort
    True
    """
    draw = _Draw(random.Random(f"cxrkit-synth-{seed}"))
    insts = _institutions(draw)
    staff = {
        "referring": _staff(draw, 12),
        "radiologist": _staff(draw, 6),
        "operator": _staff(draw, 8),
    }
    deck = _Deck(draw.rng)
    patients = tuple(_patient(draw, i) for i in range(n_patients))
    studies: list[Study] = []
    for patient in patients:
        studies.extend(_studies_of(draw, deck, patient, insts, staff))
    _add_broken(draw, deck, studies)
    studies.extend(_orphan_reports(draw, patients, insts, staff))
    return Cohort(seed, insts, patients, tuple(studies))


BROKEN_KINDS = ("truncated", "no-pixels", "not-dicom")


def _add_broken(draw: _Draw, deck: _Deck, studies: list[Study]) -> None:
    """Add broken files (one of each kind per 25 patients) to chest studies, for quarantine."""
    candidates = [i for i, s in enumerate(studies) if s.images and s.exam.is_chest]
    n = max(1, len(studies) // 70)
    for k, pos in enumerate(sorted(draw.rng.sample(candidates, min(len(candidates), 3 * n)))):
        study = studies[pos]
        extra = _images(draw, deck, study.exam, study.when, study.institution.uid_root)[0]
        extra = dataclasses.replace(
            extra,
            index=len(study.images),
            series_number=9,
            broken=BROKEN_KINDS[k % 3],
            burn_phi=False,
        )
        studies[pos] = dataclasses.replace(study, images=(*study.images, extra))


def _orphan_reports(
    draw: _Draw,
    patients: tuple[Patient, ...],
    insts: tuple[Institution, ...],
    staff: dict[str, tuple[PersonName, ...]],
) -> Iterator[Study]:
    """A few reports whose images never reached the PACS export (S9a: left out by a build)."""
    for k in range(max(1, len(patients) // 25)):
        patient = patients[(k * 7) % len(patients)]
        when = draw.when(dt.datetime(LAST_YEAR - 1, 1, 1), dt.datetime(LAST_YEAR, 12, 31))
        exam = CHEST_EXAMS[1][0]
        yield Study(
            index=90 + k,
            patient=patient,
            accession=draw.accession(when.year),
            study_id=draw.unique(lambda: str(draw.rng.randint(1000, 999999))),
            study_instance_uid=_uid(insts[0].uid_root, when, draw),
            when=when,
            exam=exam,
            institution=insts[0],
            referring=draw.rng.choice(staff["referring"]),
            radiologist=draw.rng.choice(staff["radiologist"]),
            performing=draw.rng.choice(staff["radiologist"]),
            operator=draw.rng.choice(staff["operator"]),
            station_name=f"{insts[0].short_name}DXPORT2",
            device_serial=draw.unique(lambda: f"SN{draw.digits(7)}"),
            images=(),
            report_form="csv",
        )
