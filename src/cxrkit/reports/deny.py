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

from cxrkit.reports.dicomphi import dicom_values
from cxrkit.reports.lexicon import lexicon
from cxrkit.reports.patterns import Span

__all__ = ["DenyList"]

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


def _date_forms(day: dt.date) -> tuple[str, ...]:
    return (
        f"{day:%m/%d/%Y}",
        f"{day.month}/{day.day}/{day.year}",
        f"{day.month}/{day.day}/{day:%y}",
        f"{day:%m/%d/%y}",
        day.isoformat(),
        f"{day:%Y%m%d}",
        f"{day:%m-%d-%Y}",
    )


@dataclass(frozen=True)
class DenyList:
    """Known PHI values of one study.

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
    >>> deny = DenyList(names=("Hill, Rose",), identifiers=("00381763",))
    >>> text = "Rose Hill (MRN 00381763) may represent Rose."
    >>> [text[s.start : s.end] for s in deny.find(text)]
    ['00381763', 'Rose Hill']
    """

    names: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()
    dates: tuple[dt.date, ...] = ()
    places: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    _compiled: list[tuple[re.Pattern[str], str]] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    def __or__(self, other: DenyList) -> DenyList:
        """The union of two deny-lists."""
        return DenyList(
            names=self.names + other.names,
            identifiers=self.identifiers + other.identifiers,
            dates=self.dates + other.dates,
            places=self.places + other.places,
            phones=self.phones + other.phones,
        )

    @classmethod
    def from_dicom(cls, ds: Any) -> DenyList:
        """The deny-list of a pydicom ``Dataset``'s identifying attributes.

        Examples
        --------
        >>> from pydicom import Dataset
        >>> ds = Dataset()
        >>> ds.PatientName, ds.PatientID = "HILL^ROSE", "00381763"
        >>> DenyList.from_dicom(ds).names
        ('HILL^ROSE',)
        """
        return cls(**dicom_values(ds))

    def find(self, text: str) -> Iterator[Span]:
        """Every span of ``text`` that holds one of the values (spans may overlap)."""
        if not self._compiled:
            self._compiled.extend(self._compile())
        for pattern, category in self._compiled:
            for match in pattern.finditer(text):
                yield Span(match.start(), match.end(), category)

    def _compile(self) -> Iterator[tuple[re.Pattern[str], str]]:
        literal = [v.strip() for v in self.identifiers if len(v.strip()) >= 2]
        literal += [v.lstrip("0") for v in self.identifiers if v.strip().isdigit()]
        literal += [f for day in self.dates for f in _date_forms(day)]
        if literal := sorted({v for v in literal if len(v) >= 2}, key=len, reverse=True):
            alt = "|".join(re.escape(v) for v in literal)
            yield re.compile(rf"(?i)(?<![\w/-])(?:{alt})(?![\w/-])"), "id"
        yield from _compile_places(self.places)
        yield from self._compile_phones()
        yield from _compile_names(self.names)

    def _compile_phones(self) -> Iterator[tuple[re.Pattern[str], str]]:
        numbers = {_DIGITS.sub("", p) for p in self.phones}
        for digits in sorted(n for n in numbers if len(n) >= 7):
            body = r"[ .()\-]{0,2}".join(re.escape(d) for d in digits[-10:])
            yield re.compile(rf"(?<!\d)\(?{body}(?!\d)"), "phone"


@functools.lru_cache(maxsize=256)
def _compile_places(places: tuple[str, ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Patterns of institution names, addresses and cities (cached per patient)."""
    pieces = {p.strip() for v in places for p in re.split(r"[\^,]|\s{2,}", v)}
    pieces |= {v.strip() for v in places}
    if not (pieces := {p for p in pieces if len(p) >= 3 or (len(p) >= 2 and p.isupper())}):
        return ()
    alt = "|".join(re.escape(p) for p in sorted(pieces, key=len, reverse=True))
    return ((re.compile(rf"(?<!\w)(?:{alt})(?!\w)"), "place"),)


@functools.lru_cache(maxsize=256)
def _compile_names(names: tuple[str, ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Patterns of the name parts (cached: a patient's studies share them)."""
    lex = lexicon()
    parts = _name_parts(names)
    if not parts:
        return ()
    out: list[tuple[re.Pattern[str], str]] = []
    strong = sorted({f for p in parts if not lex.is_common(p) for f in _cased(p)})
    every = sorted({f for p in parts for f in _cased(p)}, key=len, reverse=True)
    if strong:
        alt = "|".join(re.escape(p) for p in sorted(strong, key=len, reverse=True))
        out.append((re.compile(rf"(?<![\w'’-])(?:{alt})(?![\w'’-])"), "name"))
    word = "|".join(re.escape(p) for p in every)
    unit = rf"(?:{word}|[A-Z]\.|[A-Z](?=[ \t,]))"
    edge = r"(?<![\w'’-])", r"(?![\w'’-])"
    out.append((re.compile(rf"{edge[0]}(?:{word})(?:,?[ \t]+{unit})+{edge[1]}"), "name"))
    out.append((re.compile(rf"(?<![\w.])(?:[A-Z]\.?[ \t]+)+(?:{word}){edge[1]}"), "name"))
    return tuple(out)
