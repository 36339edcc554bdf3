"""The per-study PHI deny-list: values the RIS and the DICOM headers hold about a study (S10).

Whatever a RIS row, an HL7 message or a DICOM header says about the patient, the providers,
the relatives, the study (MRN, accession, dates, institution, station, address, phone) is
searched for in the report text in the forms reports write it. Name parts that are ordinary
words ("Hope", "May") are matched only next to another part of the same name; name contexts
("Dr. May") are the business of :mod:`cxrkit.reports.names`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cxrkit.reports._scan import literal_spans, name_spans, phone_spans
from cxrkit.reports.dicomphi import dicom_values
from cxrkit.reports.lexicon import lexicon
from cxrkit.reports.patterns import Span

__all__ = ["TextDenyList"]

_SPLIT_NAME = re.compile(r"[\^,\s]+")
_DIGITS = re.compile(r"\D")


def _name_parts(values: Iterable[str]) -> set[str]:
    parts: set[str] = set()
    for value in values:
        for raw in _SPLIT_NAME.split(value.replace("&", "^")):
            part = raw.strip(".")
            if len(part) >= 2 and part[0].isalpha() and not part.isdigit():
                parts.add(part)
    return parts


def _cased(part: str) -> tuple[str, ...]:
    return (
        (part.capitalize(), part.upper(), part)
        if part.islower()
        else (part, part.upper(), part.capitalize())
    )


@functools.lru_cache(maxsize=256)
def _date_forms(day: dt.date) -> tuple[str, ...]:
    """3/4/2015 as 03/04/2015, 3/4/2015, 3/4/15, 03/04/15, 2015-03-04, 20150304, 03-04-2015."""
    y, m, d = day.year, day.month, day.day
    return (
        f"{m:02d}/{d:02d}/{y:04d}",
        f"{m}/{d}/{y}",
        f"{m}/{d}/{y % 100:02d}",
        f"{m:02d}/{d:02d}/{y % 100:02d}",
        f"{y:04d}-{m:02d}-{d:02d}",
        f"{y:04d}{m:02d}{d:02d}",
        f"{m:02d}-{d:02d}-{y:04d}",
    )


@dataclass(frozen=True)
class TextDenyList:
    """Known PHI values of one study, looked for in its report text (the burned-in text
    finder has its own list, matched fuzzily against OCR words, in :mod:`cxrkit.dicom`).

    Attributes
    ----------
    names
        Person names in any form (``"Hill, Rose M"``, ``"HILL^ROSE^M"``, ``"Rose Hill"``).
    identifiers
        MRN, accession, other ids, station names, device serials: matched as whole tokens.
    dates
        Dates (birth, study): matched in the numeric forms reports use; prose dates are left
        to the date patterns.
    places
        Institution names and short names, addresses, cities: matched literally.
    phones
        Telephone numbers in any punctuation: matched by their digits.

    Examples
    --------
    >>> deny = TextDenyList(names=("Hill, Rose",), identifiers=("00381763",))
    >>> text = "Rose Hill (MRN 00381763) may represent Rose."
    >>> [text[s.start : s.end] for s in deny.find(text)]
    ['00381763', 'Rose Hill']
    """

    names: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()
    dates: tuple[dt.date, ...] = ()
    places: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    _prepared: list[_Needles] = field(default_factory=list, init=False, repr=False, compare=False)

    def __or__(self, other: TextDenyList) -> TextDenyList:
        """The union of two deny-lists."""
        return TextDenyList(
            names=self.names + other.names,
            identifiers=self.identifiers + other.identifiers,
            dates=self.dates + other.dates,
            places=self.places + other.places,
            phones=self.phones + other.phones,
        )

    @classmethod
    def from_dicom(cls, ds: Any) -> TextDenyList:
        """The deny-list of a pydicom ``Dataset``'s identifying attributes.

        Examples
        --------
        >>> from pydicom import Dataset
        >>> ds = Dataset()
        >>> ds.PatientName, ds.PatientID = "HILL^ROSE", "00381763"
        >>> TextDenyList.from_dicom(ds).names
        ('HILL^ROSE',)
        """
        return cls(**dicom_values(ds))

    def find(self, text: str) -> Iterator[Span]:
        """Every span of ``text`` that holds one of the values (spans may overlap)."""
        needles = _needles(self)
        for start, end in literal_spans(text, needles.literal, "/-", icase=True):
            yield Span(start, end, "id")
        for start, end in literal_spans(text, needles.places):
            yield Span(start, end, "place")
        for digits in needles.phones:
            for start, end in phone_spans(text, digits):
                yield Span(start, end, "phone")
        if needles.forms:
            for spans in name_spans(text, needles.strong, needles.forms):
                for start, end in spans:
                    yield Span(start, end, "name")


@dataclass(frozen=True)
class _Needles:
    """The strings a deny-list looks for, in the forms reports write them."""

    literal: tuple[str, ...]
    places: tuple[str, ...]
    phones: tuple[str, ...]
    strong: frozenset[str]
    forms: frozenset[str]


def _needles(deny: TextDenyList) -> _Needles:
    if deny._prepared:
        return deny._prepared[0]
    literal = [v.strip() for v in deny.identifiers if len(v.strip()) >= 2]
    literal += [v.lstrip("0") for v in deny.identifiers if v.strip().isdigit()]
    literal += [f for day in deny.dates for f in _date_forms(day)]
    numbers = {_DIGITS.sub("", p) for p in deny.phones}
    strong, forms = _name_forms(deny.names)
    needles = _Needles(
        literal=tuple(sorted({v for v in literal if len(v) >= 2})),
        places=_place_pieces(deny.places),
        phones=tuple(n[-10:] for n in sorted(numbers) if len(n) >= 7),
        strong=strong,
        forms=forms,
    )
    deny._prepared.append(needles)
    return needles


@functools.lru_cache(maxsize=256)
def _place_pieces(places: tuple[str, ...]) -> tuple[str, ...]:
    """Institution names, addresses, cities and their pieces (cached per patient)."""
    pieces = {p.strip() for v in places for p in re.split(r"[\^,]|\s{2,}", v)}
    pieces |= {v.strip() for v in places}
    return tuple(sorted(p for p in pieces if len(p) >= 3 or (len(p) >= 2 and p.isupper())))


@functools.lru_cache(maxsize=256)
def _name_forms(names: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """The cased name parts that are not common words, and all of them (cached per patient)."""
    strong: set[str] = set()
    forms: set[str] = set()
    for name in names:
        name_strong, name_forms = _one_name_forms(name)
        strong |= name_strong
        forms |= name_forms
    return frozenset(strong), frozenset(forms)


@functools.lru_cache(maxsize=256)
def _one_name_forms(name: str) -> tuple[frozenset[str], frozenset[str]]:
    """:func:`_name_forms` of one name (radiologists and providers recur from study to study)."""
    lex = lexicon()
    parts = _name_parts((name,))
    strong = frozenset(f for p in parts if not lex.is_common(p) for f in _cased(p))
    return strong, frozenset(f for p in parts for f in _cased(p))
