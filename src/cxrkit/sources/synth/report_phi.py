"""Write a study's PHI into report text in the many forms a real RIS report uses.

Values come from the :class:`~cxrkit.sources.synth.model.Study` record where it has them
(patient name, MRN, accession, dates, providers, hospital, relatives), so that what a report
says matches the DICOM headers and the RIS columns. Values a study does not carry (pager and
extension numbers, other doctors, outside hospitals, places) are drawn from ``rng`` and
``_data/people.toml``. Times of day are never PHI here (S2 keeps them).
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from cxrkit.sources.synth.model import Exam, PersonName, Study
from cxrkit.sources.synth.report_text import Piece, phi, plain

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_SLOT = re.compile(r"\{(\w+)(?:\.(\w+))?\}")


@dataclass(frozen=True)
class People:
    """The fake names and places of ``_data/people.toml``."""

    family: tuple[str, ...]
    given_female: tuple[str, ...]
    given_male: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]
    states: tuple[str, ...]
    countries: tuple[str, ...]
    hospitals: tuple[str, ...]
    units: tuple[str, ...]


@functools.cache
def people() -> People:
    """``_data/people.toml``, read once."""
    text = (files("cxrkit.sources.synth") / "_data" / "people.toml").read_text("utf-8")
    data: dict[str, Any] = tomllib.loads(text)
    return People(
        family=tuple(data["family"]),
        given_female=tuple(data["given_female"]),
        given_male=tuple(data["given_male"]),
        cities=tuple((c, s) for c, s in data["cities"]),
        states=tuple(data["states"]),
        countries=tuple(data["countries"]),
        hospitals=tuple(data["hospitals"]),
        units=tuple(data["units"]),
    )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


_DATE_FORMS: dict[str, Callable[[dt.date], str]] = {
    "mdY0": lambda d: f"{d:%m/%d/%Y}",
    "mdy": lambda d: f"{d.month}/{d.day}/{d:%y}",
    "mdY": lambda d: f"{d.month}/{d.day}/{d.year}",
    "iso": lambda d: d.isoformat(),
    "long": lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    "dMonY": lambda d: f"{d.day:02d}-{MONTHS[d.month - 1][:3]}-{d.year}",
    "Mond": lambda d: f"{MONTHS[d.month - 1][:3]} {d.day}",
    "ordinal": lambda d: f"the {_ordinal(d.day)} of {MONTHS[d.month - 1]}",
    "MondY": lambda d: f"{MONTHS[d.month - 1][:3]} {d.day} {d.year}",
    "md": lambda d: f"{d.month}/{d.day}",
    "dow": lambda d: f"{WEEKDAYS[d.weekday()]} {MONTHS[d.month - 1][:3].upper()} {d.day} {d.year}",
    "MONDY": lambda d: f"{MONTHS[d.month - 1][:3].upper()} {d.day} {d.year}",
}
#: Date styles a slot form may ask for; the default mixes all prose styles.
DATE_STYLES: dict[str, tuple[str, ...]] = {
    "": ("mdY0", "mdY0", "mdy", "mdY", "iso", "long", "dMonY", "Mond", "ordinal", "MondY", "md"),
    "num": ("mdY0", "mdY0", "mdy", "mdY", "iso"),
    "num4": ("mdY0", "mdY0", "mdY", "iso"),
    "long": ("long", "MondY", "dMonY"),
    "upper": ("dow", "dow", "MONDY"),
}


def format_date(d: dt.date, style: str) -> str:
    """Write ``d`` in one date style of :data:`DATE_STYLES` (its keys' members).

    Examples
    --------
    >>> format_date(dt.date(2015, 3, 14), "ordinal")
    'the 14th of March'
    >>> format_date(dt.date(2015, 3, 3), "dow")
    'TUE MAR 3 2015'
    """
    return _DATE_FORMS[style](d)


def format_time(t: dt.time, rng: random.Random) -> str:
    """A time of day as radiologists write it (never PHI)."""
    hour12 = t.hour % 12 or 12
    ampm = "am" if t.hour < 12 else "pm"
    return rng.choice(
        (
            f"{hour12}:{t.minute:02d} {ampm}",
            f"{hour12}:{t.minute:02d} {ampm.upper()}",
            f"{t.hour:02d}:{t.minute:02d}",
        )
    )


def reformat_phone(phone: str, rng: random.Random) -> str:
    """The same ten-digit number as ``(617) 555-0123``, ``617-555-0123`` or ``617.555.0123``."""
    d = re.sub(r"\D", "", phone)
    if len(d) != 10:
        return phone
    return rng.choice(
        (f"({d[:3]}) {d[3:6]}-{d[6:]}", f"{d[:3]}-{d[3:6]}-{d[6:]}", f"{d[:3]}.{d[3:6]}.{d[6:]}")
    )


def _initial(name: PersonName) -> str:
    return f"{name.given[0]}. {name.family}" if name.given else name.family


def _with_middle(name: PersonName) -> str:
    if not name.middle:
        return name.display
    dot = "." if len(name.middle) == 1 else ""
    return f"{name.given} {name.middle}{dot} {name.family}"


def name_forms(name: PersonName, form: str) -> tuple[str, ...]:
    """The spellings of ``name`` for a slot ``form`` (the PHI value only, no title)."""
    family, given = name.family, name.given
    middle = f" {name.middle}" if name.middle else ""
    forms = {
        "dr": (family, family, name.display, _initial(name)),
        "name": (name.display, name.display, _with_middle(name), _initial(name)),
        "upper": (name.display.upper(), _with_middle(name).upper()),
        "header": (
            f"{family.upper()}, {given.upper()}{middle.upper()}",
            f"{family}, {given}{middle}",
            f"{family.upper()}, {given.upper()}",
            name.display,
        ),
        "sig": (name.display, _initial(name), _with_middle(name)),
        "family": (family,),
        "given": (given,),
        "title": (family,),
    }
    return forms.get(form, forms["name"])


def person_pieces(name: PersonName, form: str, title: str, rng: random.Random) -> list[Piece]:
    """``name`` written in ``form``, with its title (``Dr.``, ``Ms.``) or suffix (``MD``)."""
    value = rng.choice(name_forms(name, form))
    if form in ("dr", "title"):
        return [plain(f"{title} "), phi(value, "name")]
    if form == "sig":
        return [phi(value, "name"), plain(rng.choice((", MD", ", M.D.", " MD")))]
    return [phi(value, "name")]


def age_at(born: dt.date, day: dt.date) -> int:
    """Whole years from ``born`` to ``day``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def views_phrase(exam: Exam, rng: random.Random) -> str:
    """The TECHNIQUE wording for an examination's views."""
    views = exam.views
    if not exam.is_chest:
        part = {"LEG": "tibia and fibula", "EXTREMITY": "extremity"}.get(
            exam.body_part, exam.body_part.lower()
        )
        return rng.choice((f"{' and '.join(views)} views of the {part}", f"Views of the {part}"))
    if "LL" in views:
        return rng.choice(("AP and left lateral decubitus views", "Frontal and decubitus views"))
    if len(views) > 1:
        return rng.choice(
            (
                "PA and lateral views of the chest",
                "Chest PA and lateral",
                "Frontal and lateral views of the chest",
            )
        )
    if views and views[0] == "AP":
        return rng.choice(
            (
                "Portable AP view of the chest",
                "Single portable AP chest radiograph",
                "Portable semi-upright AP view",
            )
        )
    return rng.choice(("Single frontal view of the chest", "Single PA view of the chest"))


def fill(template: str, slots: Callable[[str, str], list[Piece] | None]) -> list[Piece] | None:
    """Pieces of ``template`` with every ``{slot}`` / ``{slot.form}`` filled by ``slots``.

    ``None`` when a slot has no value for this study (say, no relatives on record).
    """
    pieces: list[Piece] = []
    pos = 0
    for match in _SLOT.finditer(template):
        if match.start() > pos:
            pieces.append(plain(template[pos : match.start()]))
        value = slots(match.group(1), match.group(2) or "")
        if value is None:
            return None
        pieces.extend(value)
        pos = match.end()
    if pos < len(template):
        pieces.append(plain(template[pos:]))
    return pieces


def fill_some(
    templates: tuple[str, ...],
    slots: Callable[[str, str], list[Piece] | None],
    rng: random.Random,
    n: int,
) -> list[list[Piece]]:
    """Up to ``n`` different templates of ``templates``, filled, in random order.

    Templates with a slot this study has no value for are skipped.
    """
    order = list(templates)
    rng.shuffle(order)
    out: list[list[Piece]] = []
    for template in order:
        if len(out) == n:
            break
        pieces = fill(template, slots)
        if pieces is not None:
            out.append(pieces)
    return out


def choose_filled(
    templates: tuple[str, ...], slots: Callable[[str, str], list[Piece] | None], rng: random.Random
) -> list[Piece]:
    """Fill a random template of ``templates``, trying others if one lacks a value."""
    filled = fill_some(templates, slots, rng, 1)
    return filled[0] if filled else []


def study_dates(study: Study, rng: random.Random) -> list[dt.date]:
    """Dates of earlier studies to compare with: the record's priors, else made-up ones."""
    priors = sorted({d.date() for d in study.prior_dates if d < study.when}, reverse=True)
    day = priors[-1] if priors else study.when.date()
    while len(priors) < 4:
        day -= dt.timedelta(days=rng.randint(20, 900))
        priors.append(day)
    return priors
