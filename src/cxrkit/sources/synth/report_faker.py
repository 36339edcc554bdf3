"""Report PHI from outside the project's own lists, and PHI split across lines on purpose.

The ``faker`` report style (``cxrkit synth --report-style faker``) draws the values a study
record does not hold — other doctors, outside hospitals, towns, streets — from
`Faker <https://faker.readthedocs.io>`_ in several locales (names with diacritics, German,
French, Spanish, Italian, Polish, Portuguese and Dutch towns and streets), seeded from the
report's own random generator, so an export stays byte-identical for a seed. Multi-word PHI
values are written as one truth span per word, and some are broken across a line on purpose
(``"… from St. Mary⏎ Hospital, Dover."``), as a hospital's wrapped report text does. The
outside-institution sentences of ``_data/outside.toml`` put institutions, towns and streets in
the contexts such reports use.
"""

from __future__ import annotations

import functools
import random
import tomllib
from importlib.resources import files
from typing import Any

from faker import Faker

from cxrkit.sources.synth.model import PersonName, Study
from cxrkit.sources.synth.report_phi import choose_filled, person_pieces
from cxrkit.sources.synth.report_slots import SlotFn, Slots
from cxrkit.sources.synth.report_text import BREAK, Piece, TextWriter, phi, plain

__all__ = ["LOCALES", "REPORT_STYLES", "FakerSlots", "FakerValues", "spread", "write_outside"]

#: Faker locales the values come from (en_US twice as often as each other one).
LOCALES = ("en_US", "en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "pl_PL", "pt_BR", "nl_NL")
#: The report styles of ``cxrkit synth --report-style``.
REPORT_STYLES = ("classic", "faker", "mixed")
#: Share of multi-word PHI values broken across a line.
BREAK_RATE = 0.4
#: Categories whose multi-word values are written word by word (and may be broken).
_SPREAD = frozenset({"name", "hospital", "city", "address", "unit", "country", "state"})
_KINDS = (
    "{town} General Hospital",
    "St. {given} Hospital",
    "Saint {given} Hospital",
    "{family} Memorial Hospital",
    "{town} Community Hospital",
    "{town} Regional Medical Center",
    "{town} University Hospital",
    "{family} Clinic",
    "{town} Infirmary",
    "St. {given}'s Medical Center",
    "{family} General Hospital",
)


#: Locales whose Faker city list is built from a set when Faker is imported, so that its
#: order, and the city a seeded Faker picks, change from one process to the next: their
#: cities are picked from the sorted list instead (a synthetic export is the same bytes in
#: every run).
UNORDERED_CITIES = frozenset({"it_IT"})


@functools.cache
def _faker(locale: str) -> Faker:
    return Faker(locale)


@functools.cache
def _sorted_cities(locale: str) -> tuple[str, ...]:
    provider = _faker(locale)[locale].provider("faker.providers.address")
    return tuple(sorted(getattr(provider, "cities", ())))


def city(fake: Faker) -> str:
    """A town of ``fake``'s locale, the same in every process for the same seed.

    Examples
    --------
    >>> fake = Faker("it_IT")
    >>> _ = fake.seed_instance(7)
    >>> first = city(fake)
    >>> _ = fake.seed_instance(7)
    >>> city(fake) == first
    True
    """
    locale = str(fake.locales[0])
    if locale in UNORDERED_CITIES and _sorted_cities(locale):
        return str(fake.random_element(_sorted_cities(locale)))
    return str(fake.city())


class FakerValues:
    """Names, towns, streets and institutions drawn from Faker, seeded from ``rng``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def _fake(self, locale: str = "") -> Faker:
        fake = _faker(locale or self.rng.choice(LOCALES))
        fake.seed_instance(self.rng.getrandbits(48))
        return fake

    def person(self) -> PersonName:
        """A doctor's name in a random locale."""
        fake = self._fake()
        return PersonName(str(fake.last_name()), str(fake.first_name()))

    def town(self) -> str:
        """A town name (invented in en_US, mostly real elsewhere)."""
        return city(self._fake())

    def street(self) -> str:
        """A street address line in the form of a random locale."""
        return " ".join(str(self._fake().street_address()).split())

    def us_place(self) -> tuple[str, str]:
        """A U.S.-style town and its state code."""
        fake = self._fake("en_US")
        return city(fake), str(fake.state_abbr(False, False))

    def hospital(self) -> str:
        """An institution name in one of the usual forms."""
        fake = self._fake()
        kind = self.rng.choice(_KINDS)
        return kind.format(town=city(fake), family=fake.last_name(), given=fake.first_name_male())


def spread(pieces: list[Piece], rng: random.Random) -> list[Piece]:
    """``pieces`` with each multi-word PHI value written word by word, sometimes broken.

    Each word is its own PHI piece (so its truth span is exact); with probability
    :data:`BREAK_RATE` one of the spaces between them becomes a line break.
    """
    out: list[Piece] = []
    for text, kind in pieces:
        words = text.split(" ")
        if kind not in _SPREAD or len(words) < 2 or not all(words):
            out.append((text, kind))
            continue
        cut = rng.randrange(1, len(words)) if rng.random() < BREAK_RATE else 0
        for i, word in enumerate(words):
            if i:
                out.append(BREAK if i == cut else plain(" "))
            out.append(phi(word, kind))
    return out


class FakerSlots(Slots):
    """:class:`~cxrkit.sources.synth.report_slots.Slots` with Faker's outside values."""

    def __init__(self, study: Study, rng: random.Random, words: dict[str, tuple[str, ...]]) -> None:
        self.fake = FakerValues(rng)
        super().__init__(study, rng, words)
        self.other_hospital = self.fake.hospital()
        self.town = self.fake.town()
        self.split_lines = True

    def __call__(self, slot: str, form: str) -> list[Piece] | None:
        pieces = super().__call__(slot, form)
        if pieces is None or not self.split_lines:
            return pieces
        return spread(pieces, self.rng)

    def _build_table(self) -> dict[str, SlotFn]:
        table = super()._build_table()
        table.update(
            {
                "dr": self._faker_doctor,
                "city": lambda form: [phi(self.fake.town(), "city")],
                "cityst": self._faker_cityst,
                "town": lambda form: [phi(self.town, "city")],
                "street": lambda form: [phi(self.fake.street(), "address")],
                "abbr": lambda form: [phi(self._abbreviation(), "hospital")],
                "br": lambda form: [BREAK if self.rng.random() < BREAK_RATE else plain(" ")],
            }
        )
        return table

    def _faker_doctor(self, form: str) -> list[Piece]:
        self._doctor = self.fake.person()
        return person_pieces(self._doctor, form or "dr", "Dr.", self.rng)

    def _faker_cityst(self, form: str) -> list[Piece]:
        city, state = self.fake.us_place()
        return [phi(city, "city"), plain(", "), phi(state, "state")]

    def _abbreviation(self) -> str:
        words = [w for w in self.other_hospital.replace(".", "").split() if w[:1].isupper()]
        return "".join(w[0] for w in words).upper()


@functools.cache
def _outside_templates() -> tuple[str, ...]:
    text = (files("cxrkit.sources.synth") / "_data" / "outside.toml").read_text("utf-8")
    data: dict[str, Any] = tomllib.loads(text)
    return tuple(data["sentences"])


def write_outside(w: TextWriter, slots: Slots, rng: random.Random) -> None:
    """One or two sentences about an outside institution, town or address, wrapped."""
    pieces: list[Piece] = []
    for _ in range(rng.randint(1, 2)):
        if pieces:
            pieces.append(plain("  "))
        pieces.extend(choose_filled(_outside_templates(), slots, rng))
    w.para(pieces)
