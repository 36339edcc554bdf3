"""What the hard synthetic export burns in: PHI and kept lines in many real-world forms.

The values a header carries are drawn as the header holds them (patient name, MRN, birth
date, study date and time, accession, institution name), in many formats; other PHI is
drawn that no header carries (a second identifier after ``ID:``, an institution abbreviation
with a department word, the name of a technologist or referrer with diacritics, made by Faker
in one of several locales). A de-identifier can only catch those by pattern or whole-line
rules. Kept text (orientation markers, position words, technique) is drawn too.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from faker import Faker

from cxrkit.sources.synth.model import Image, Study
from cxrkit.sources.synth.report_faker import city

LOCALES = (
    "en_US",
    "de_DE",
    "fr_FR",
    "es_ES",
    "it_IT",
    "pl_PL",
    "cs_CZ",
    "pt_BR",
    "sv_SE",
    "nl_NL",
)
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

#: Date formats by name: the name says the layout (``MON`` = ``MAR``, ``Mon`` = ``Mar``).
DATE_FORMATS: dict[str, Callable[[dt.date], str]] = {
    "yyyy-mm-dd": lambda d: f"{d:%Y-%m-%d}",
    "dd.mm.yyyy": lambda d: f"{d:%d.%m.%Y}",
    "*dd.mm.yyyy": lambda d: f"*{d:%d.%m.%Y}",
    "dd-MON-yyyy": lambda d: f"{d.day:02d}-{MONTHS[d.month - 1]}-{d.year}",
    "mm/dd/yy": lambda d: f"{d:%m/%d/%y}",
    "yyyymmdd": lambda d: f"{d:%Y%m%d}",
    "Mon dd, yyyy": lambda d: f"{MONTHS[d.month - 1].title()} {d.day:02d}, {d.year}",
    "dd/mm/yyyy": lambda d: f"{d:%d/%m/%Y}",
    "yyyy/mm/dd": lambda d: f"{d:%Y/%m/%d}",
    "d MON yyyy": lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    "mm/dd/yyyy": lambda d: f"{d:%m/%d/%Y}",
    "dd-mm-yyyy": lambda d: f"{d:%d-%m-%Y}",
}
DEPARTMENTS = ("RAD", "RADIOLOGY", "IMAGING", "XR", "DIAG IMAGING", "ER RAD")
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "đ": "d"})


@dataclass(frozen=True)
class HardLine:
    """A line to draw: text, PHI category (or ``keep``), kind, and the date format if any."""

    text: str
    category: str
    kind: str
    fmt: str = ""


@functools.cache
def _faker(locale: str) -> Faker:
    return Faker(locale)


def fold(text: str) -> str:
    """``text`` with its diacritics removed (``Dvořák`` -> ``Dvorak``, ``Łódź`` -> ``Lodz``)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _pick(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _date(rng: np.random.Generator, d: dt.date) -> tuple[str, str]:
    fmt = _pick(rng, list(DATE_FORMATS))
    return DATE_FORMATS[fmt](d), fmt


def _name_forms(study: Study) -> tuple[str, ...]:
    n = study.patient.name
    middle = f" {n.middle}" if n.middle else ""
    return (
        f"{n.family.upper()}, {n.given.upper()}{middle}",
        f"{n.family.upper()}^{n.given.upper()}",
        f"{n.given} {n.family}",
        f"{n.family.upper()} {n.given.upper()}",
        f"{n.family}, {n.given}",
    )


def _identity(study: Study, rng: np.random.Generator) -> list[HardLine]:
    """Name (or a long name and birth-date line), MRN, birth date: header values."""
    pat = study.patient
    out: list[HardLine] = []
    dob, dob_fmt = _date(rng, pat.birth_date)
    if rng.random() < 0.45:
        long = f"{pat.name.family.upper()} {pat.name.given.upper()}  DOB {dob}"
        out.append(HardLine(long, "name", "name", dob_fmt))
    else:
        out.append(HardLine(_pick(rng, _name_forms(study)), "name", "name"))
        if rng.random() < 0.85:
            label = _pick(rng, ("DOB ", "DOB: ", "Born ", "B: ", ""))
            out.append(HardLine(f"{label}{dob}", "date", "date", dob_fmt))
    label = _pick(rng, ("MRN ", "MRN: ", "PID ", "Pat ID ", ""))
    out.append(HardLine(f"{label}{pat.mrn}", "mrn", "id"))
    return out


def _study_lines(study: Study, rng: np.random.Generator) -> list[HardLine]:
    """Study date and time, accession, institution: header values."""
    out: list[HardLine] = []
    if rng.random() < 0.85:
        if rng.random() < 0.4:
            day, fmt = f"{study.when:%Y-%m-%d}", "yyyy-mm-dd"
        else:
            day, fmt = _date(rng, study.when.date())
        clock = _pick(rng, ("%H:%M:%S", "%H:%M:%S", "%H:%M"))
        out.append(HardLine(f"{day} {study.when.strftime(clock)}", "datetime", "datetime", fmt))
    if rng.random() < 0.6:
        label = _pick(rng, ("ACC ", "ACC# ", "ACC: ", "Acc No "))
        out.append(HardLine(f"{label}{study.accession}", "accession", "id"))
    if rng.random() < 0.4:
        name = study.institution.name
        out.append(
            HardLine(name.upper() if rng.random() < 0.5 else name, "hospital", "institution")
        )
    return out


def _abbreviation(words: list[str]) -> str:
    letters = [w[0] for w in words if w[:1].isalpha()]
    return fold("".join(letters[:4])).upper()


def _unheadered(study: Study, rng: np.random.Generator) -> list[HardLine]:
    """PHI that no header carries: another id, an institution abbreviation, a foreign name."""
    fk = _faker(_pick(rng, LOCALES))
    fk.seed_instance(int(rng.integers(2**31)))
    out: list[HardLine] = []
    if rng.random() < 0.7:
        digits = "".join(str(int(d)) for d in rng.integers(0, 10, int(rng.integers(5, 10))))
        prefix = _pick(rng, ("", "", "P", "X"))
        out.append(HardLine(f"ID: {prefix}{digits}", "id", "id"))
    if rng.random() < 0.8:
        if rng.random() < 0.5:
            abbr = study.institution.short_name
        else:
            abbr = _abbreviation(f"{city(fk)} {fk.last_name()} Hospital".split())
        out.append(HardLine(f"{abbr} {_pick(rng, DEPARTMENTS)}", "hospital", "institution"))
    if rng.random() < 0.6:
        person = f"{fk.first_name()} {fk.last_name()}"
        written = person if rng.random() < 0.6 else fold(person)
        label = _pick(rng, ("", "Tech: ", "Ref: ", "Dr. "))
        out.append(HardLine(f"{label}{written}", "name", "name"))
    return out


def phi_lines(study: Study, rng: np.random.Generator) -> list[HardLine]:
    """Every PHI line of one hard image."""
    return _identity(study, rng) + _study_lines(study, rng) + _unheadered(study, rng)


def keep_lines(image: Image, rng: np.random.Generator) -> list[HardLine]:
    """Orientation markers, view, position and technique: text a de-identifier must keep."""
    out: list[HardLine] = []
    if rng.random() < 0.9:
        out.append(HardLine(_pick(rng, ("L", "R", "LT", "RT")), "keep", "marker"))
    if rng.random() < 0.4:
        out.append(HardLine(_pick(rng, ("AP", "PA")), "keep", "marker"))
    if image.view == "AP" or rng.random() < 0.2:
        out.append(HardLine("PORTABLE", "keep", "marker"))
    if rng.random() < 0.6:
        word = _pick(rng, ("UPRIGHT", "SUPINE", "SEMI-ERECT", "ERECT", "SEMI-UPRIGHT"))
        out.append(HardLine(word, "keep", "marker"))
    if rng.random() < 0.6:
        kv, mas = int(rng.integers(60, 125)), round(float(rng.uniform(0.8, 6.0)), 1)
        forms = (f"{kv} kVp {mas} mAs", f"{kv}KV {mas}MAS", f"kVp {kv} mAs {mas}")
        out.append(HardLine(_pick(rng, forms), "keep", "marker"))
    return out
