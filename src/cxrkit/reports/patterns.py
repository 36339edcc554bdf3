"""Generic PHI patterns: dates, numbers, contacts, ages ≥ 90, places and institutions (S10).

These work on any clinical text, with no knowledge of the patient. Each finder returns
:class:`Span` objects; :func:`cxrkit.reports.deid.find_phi` merges them with the name contexts
and the per-study deny-list. Times of day are never matched (``SYSTEM.md`` S2 keeps them).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cxrkit.reports.lexicon import lexicon

__all__ = ["Span", "find_patterns"]


@dataclass(frozen=True, order=True)
class Span:
    """A PHI span ``text[start:end]`` of a category (``date``, ``name``, ``phone`` …)."""

    start: int
    end: int
    category: str


_MONTHS = (
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
_ABBR = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Sept",
    "Oct",
    "Nov",
    "Dec",
)
_DAYS = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
_DAY_ABBR = (
    "Mon",
    "Tue",
    "Tues",
    "Wed",
    "Thu",
    "Thur",
    "Thurs",
    "Fri",
    "Sat",
    "Sun",
)


def _cased(words: Iterable[str]) -> str:
    """An alternation of ``words`` in Title and UPPER case (never lower: "may", "march")."""
    forms = sorted({f for w in words for f in (w, w.upper())}, key=len, reverse=True)
    return "|".join(forms)


_MONTH = rf"(?:{_cased(_MONTHS + _ABBR)})\.?"
_WEEKDAY = rf"(?:{_cased(_DAYS + _DAY_ABBR)})\.?,?"
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|2[01]\d\d)"
_NOT_AFTER = r"(?![\w/])"
_UNIT_AFTER = r"(?!\s*(?:mg|ml|mL|cc|mm|cm|kg|units?|mcg|meq|French|Fr)\b)"

_DATE_PATTERNS = (
    # 3/14/2015, 03-14-15, 14.03.2015
    rf"(?<![\w/.:-])\d{{1,2}}([/.-])\d{{1,2}}\1(?:\d{{4}}|\d{{2}}){_NOT_AFTER}(?!\.\d)",
    # 2015-03-14, 2015/03/14
    rf"(?<![\w/.-]){_YEAR}([/-])\d{{1,2}}\1\d{{1,2}}{_NOT_AFTER}",
    # 14-Mar-2015, 14 March 2015
    rf"\b(?=\d)(?:{_DAY})[- ](?:{_MONTH})[- ,]+{_YEAR}\b",
    # (Fri) Mar 14(th)(, 2015), MARCH 14 2015
    rf"\b(?=[A-Z])(?:{_WEEKDAY}\s+)?(?:{_MONTH})\s+{_DAY}\b(?:,?\s+{_YEAR}\b)?",
    # the 14th of March(, 2015)
    rf"\b(?=[Tt\d])(?:[Tt]he\s+)?{_DAY}\s+of\s+(?:{_MONTH})\b(?:,?\s+{_YEAR}\b)?",
    # March 2015, Mar. '15
    rf"\b(?=[A-Z])(?:{_MONTH})\s+(?:{_YEAR}|'\d\d)\b",
    # 3/14 (month/day, no year); not a fraction ("2/3 of the lung")
    rf"(?<![\w/.:-])(?:1[0-2]|0?[1-9])/(?:3[01]|[12]\d|0?[1-9]){_NOT_AFTER}(?!\.\d|-\d|\s+of\b)",
    # 12/2013 (month/year)
    rf"(?<![\w/.:-])(?:1[0-2]|0?[1-9])/{_YEAR}{_NOT_AFTER}",
)

_NUMBER_PATTERNS = (
    # phone numbers: (617) 555-0123, 617-555-0123, 617.555.0123, +1 617 555 0123
    (
        r"(?<![\w-])(?:\+?1[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])",
        "phone",
    ),
    (r"(?<![\w.-])\d{3}-\d{4}(?![\w-])", "phone"),
    # extensions and pagers: x5-1234, x51234, ext. 51234, 5-1234
    (r"(?<![\w-])(?:[xX]|[Ee]xt\.?\s?)\d[\d-]{3,7}\d(?![\w-])", "phone"),
    (r"(?<![\w.-])\d-\d{4}(?![\w-])", "pager"),
    # social-security-like and long numbers (MRN, accession, pager, zip): 5+ digits
    (r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])", "id"),
    (r"(?<![\w.])\d{5,}(?:-\d{4})?(?![\w]|\.\d)", "id"),
    # identifiers mixing letters and 4+ digits: A181668277, RAD2015384588, E13099002
    (r"\b(?=[A-Za-z0-9-]*\d{4})(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\b", "id"),
    # e-mail addresses and URLs
    (r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", "email"),
    (r"\b(?:https?://|www\.)[^\s<>\"')\]]+[^\s<>\"')\].,;:]", "url"),
    # ages 90 and over
    (
        r"\b(?:9\d|1[0-4]\d)(?=\s*-?\s*(?:years?|yrs?|y)[- ]?(?:old|o)\b|\s*y/?o\b|"
        r"\s*-?\s*yo\b|\s*(?:years?|yrs?)\b|\s*[yY]\b|[MF]\b)",
        "age",
    ),
    (r"\b(?:[Aa]ge|AGE)[: ]\s*(?P<v>9\d|1[0-4]\d)\b", "age"),
    (r"(?<=\baged )(?:9\d|1[0-4]\d)\b", "age"),
    # years on their own: 1998, 2015 (not a quantity: "2000 mL")
    (rf"(?<![\w./:-]){_YEAR}(?![\w/:-]|\.\d){_UNIT_AFTER}", "year"),
)

_STREET = (
    r"Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Court|Ct|Way|Boulevard|Blvd|Terrace|Path|"
    r"Place|Pl|Circle|Parkway|Pkwy|Highway|Hwy|Square|Sq|Row|Trail|Plaza"
)
_CAP = r"[A-Z][a-z]+(?:['’][a-z]+)?"
# Words followed by a small number that are not a ward ("Grade 2", "Rib 5").
_NOT_WARD = (
    r"(?:Day|Days|Grade|Level|Type|Stage|Zone|Rib|Ribs|Image|Images|Series|Figure|Lead|View|"
    r"Views|Week|Weeks|Month|Months|Year|Years|Number|No|Size|Segment|Segments|Class|Phase|"
    r"Step|Part|Page|Line|Lines|Tube|Port|Vertebra|Vertebrae|Round|Score|Version|Group)"
)
_PLACE_PATTERNS = (
    (rf"\b\d{{1,6}}[ \t]+(?:{_CAP}[ \t]+){{1,3}}(?:{_STREET})\b\.?", "address"),
    (r"\b(?:P\.?\s?O\.?[ \t]+Box|Apt\.?|Suite|Unit)[ \t]+#?\d+[A-Z]?\b", "address"),
    (
        rf"\b(?:(?:St\.?|Saint)[ \t]+)?(?:{_CAP}['’]?s?[ \t]+){{1,4}}"
        r"(?:Hospital|Medical Cent(?:er|re)|Health Cent(?:er|re)|Health System|Healthcare|"
        r"Clinic|Infirmary|Nursing Home|"
        r"Rehabilitation Center|Rehab Center|Cancer Center|Medical Group|Health)\b",
        "hospital",
    ),
    (
        rf"\b(?:{_CAP}[ \t]+){{1,2}}(?:ICU|CCU|NICU|PICU|MICU|SICU|CVICU|Unit|Ward|Floor)\b",
        "unit",
    ),
    (
        rf"\b(?:{_CAP}[ \t]+){{1,3}}(?:Pod|Bay|Wing|Pavilion|Building|Tower)[ \t]+[A-Z0-9]\w*\b",
        "unit",
    ),
    (
        rf"\b{_CAP}[ \t]+(?:East|West|North|South)\b|\b(?:East|West|North|South)[ \t]+\d{{1,2}}\b",
        "unit",
    ),
    (
        rf"(?:\b(?:on|to)\s+|, |/ | - )(?!{_NOT_WARD}\b)(?P<v>{_CAP}[ \t]+\d{{1,2}})\b(?![:/.,]\d)",
        "unit",
    ),
    (r"\b(?:from|at) (?!OSH\b)(?P<v>[A-Z]{1,4}H|[A-Z]{2,4}MC)\b(?!-)", "hospital"),
    (
        r"\b(?:[Ll]ives|[Rr]esides|[Ll]iving|[Rr]esiding|[Bb]orn|[Rr]aised) in|"
        r"\b(?:[Tt]ravel(?:l?ed)?|[Tt]rip|[Mm]oved|[Rr]elocated) to|"
        r"\b(?:[Mm]oved(?: here)?|[Vv]isiting|[Ii]mmigrated|[Rr]elocated) from"
        rf"[ \t]+(?P<v>(?:{_CAP}[ \t]+){{0,2}}{_CAP})\b",
        "city",
    ),
)


@functools.cache
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    lex = lexicon()
    credentials = {"MD", "PA"}
    codes = "|".join(sorted(set(lex.states.values()) - credentials))
    # "Hope Bell, MD" is a credential: MD and PA count as states before a ZIP code only.
    codes = rf"(?:{codes}|(?:MD|PA)(?=\s+\d{{5}}\b))"
    names = sorted(lex.states, key=len, reverse=True)
    state_names = "|".join(re.escape(n) for n in names)
    countries = "|".join(re.escape(c) for c in sorted(lex.countries, key=len, reverse=True))
    city = rf"(?:{_CAP}\s+){{0,2}}{_CAP}"
    places = (
        # City, ST 12345 / City, State
        (rf"\b{city}(?=,\s+(?:{codes})\b(?!-))", "city"),
        (
            rf",\s+(?P<v>{codes})\b(?!-)(?=\s+\d{{5}}|\s*[;.)]|\s*$|\s+(?:on|in|at)\b)",
            "state",
        ),
        (rf"\b{city}(?=,\s+(?:{state_names})\b)", "city"),
        (rf"\b(?=[A-Z])(?:{state_names})\b", "state"),
        (rf"\b(?=[A-Z])(?:{countries})\b", "country"),
        (r"(?<=\bfrom )(?:{codes})\b(?=\s+(?:in|on)\b)".replace("{codes}", codes), "state"),
    )
    table = [(re.compile(p), "date") for p in _DATE_PATTERNS]
    table += [(re.compile(p, re.MULTILINE), c) for p, c in (*_NUMBER_PATTERNS, *_PLACE_PATTERNS)]
    table += [(re.compile(p, re.MULTILINE), c) for p, c in places]
    return tuple(table)


def find_patterns(text: str) -> Iterator[Span]:
    """Every span of ``text`` that a generic PHI pattern matches (spans may overlap).

    Examples
    --------
    >>> text = "Seen 3/14/2015 at 10:30, call (617) 555-0123. Moved from Ohio in 1999."
    >>> sorted({text[s.start : s.end] for s in find_patterns(text)})
    ['(617) 555-0123', '1999', '3/14/2015', '555-0123', 'Ohio']
    """
    has = {"email": "@" in text, "url": "://" in text or "www." in text}
    for pattern, category in _compiled():
        if not has.get(category, True):
            continue
        for match in pattern.finditer(text):
            start, end = match.span("v") if "v" in pattern.groupindex else match.span()
            if category in ("hospital", "unit"):
                start = _trim_lead(text, start, end)
            if end > start:
                yield Span(start, end, category)


_LEAD = re.compile(
    r"(?:The|A|An|At|From|In|To|On|Of|Per|Via|See|Seen|Prior|Outside|Call|Contact|Please|"
    r"[A-Z][a-z]+(?:ed|ing|ly))[ \t]+"
)


def _trim_lead(text: str, start: int, end: int) -> int:
    """``start`` moved past leading words that are not part of a place name ("Noted …")."""
    while (match := _LEAD.match(text, start, end)) and " " in text[match.end() : end].strip():
        start = match.end()
    if (match := _LEAD.match(text, start, end)) and " " not in text[match.end() : end].strip():
        return end  # only the keyword would remain ("Outside Hospital"): not a name
    return start
