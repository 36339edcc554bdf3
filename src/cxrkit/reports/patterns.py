"""Generic PHI patterns: dates, numbers, contacts, ages ≥ 90, places and institutions (S10).

These work on any clinical text, with no knowledge of the patient. Each finder returns
:class:`Span` objects; :func:`cxrkit.reports.deid.find_text_phi` merges them with the name contexts
and the per-study deny-list. Times of day are never matched (S2 keeps them).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from cxrkit.reports._rules import Rule, Text, alternation, first_words
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
    return alternation({f for w in words for f in (w, w.upper())})


_MONTH_GATE = rf"(?:{_cased(_MONTHS + _ABBR)})"
# Every date with a month name holds one of these as a whole word.
_MONTH_WORDS = frozenset(f for w in _MONTHS + _ABBR for f in (w, w.upper()))
_MONTH = rf"{_MONTH_GATE}\.?"
_WEEKDAY = rf"(?:{_cased(_DAYS + _DAY_ABBR)})\.?,?"
# 1-31: the same matches, tried in the same order, as (?:3[01]|[12]\d|0?[1-9]), but every
# alternative starts with a literal so that re can skip ahead to a digit.
_DAY = r"(?:3[01]?|1\d?|2\d?|0[1-9]|4|5|6|7|8|9)(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|2[01]\d\d)"
_NOT_AFTER = r"(?![\w/])"
_UNIT_AFTER = r"(?!\s*(?:mg|ml|mL|cc|mm|cm|kg|units?|mcg|meq|French|Fr)\b)"

# A month or day number that re can skip to (every alternative starts with a literal):
# the same matches, tried in the same order, as (?:1[0-2]|0?[1-9]).
_MONTH_NUMBER = r"(?:1[0-2]?|0[1-9]|2|3|4|5|6|7|8|9)"


class _Spec(NamedTuple):
    """A rule's parts, compiled into a :class:`~cxrkit.reports._rules.Rule` at first use."""

    lead: str
    body: str
    category: str
    gate: str = ""
    start: str = "text"
    words: frozenset[str] = frozenset()


_DATE_RULES = (
    # 3/14/2015, 03-14-15, 14.03.2015
    _Spec(
        r"(?<![\w/.:-])",
        rf"\d\d?([/.-])\d{{1,2}}\1(?:\d{{4}}|\d{{2}}){_NOT_AFTER}(?!\.\d)",
        "date",
    ),
    # 2015-03-14, 2015/03/14
    _Spec(r"(?<![\w/.-])", rf"{_YEAR}([/-])\d{{1,2}}\1\d{{1,2}}{_NOT_AFTER}", "date"),
    # 14-Mar-2015, 14 March 2015
    _Spec(
        r"\b(?=\d)",
        rf"(?:{_DAY})[- ](?:{_MONTH})[- ,]+{_YEAR}\b",
        "date",
        _MONTH_GATE,
        "line",
        _MONTH_WORDS,
    ),
    # (Fri) Mar 14(th)(, 2015), MARCH 14 2015
    _Spec(
        "",
        rf"\b(?=[A-Z])(?:{_WEEKDAY}\s+)?(?:{_MONTH})\s+{_DAY}\b(?:,?\s+{_YEAR}\b)?",
        "date",
        _MONTH_GATE,
        words=_MONTH_WORDS,
    ),
    # the 14th of March(, 2015)
    _Spec(
        "",
        rf"\b(?=[Tt\d])(?:[Tt]he\s+)?{_DAY}\s+of\s+(?:{_MONTH})\b(?:,?\s+{_YEAR}\b)?",
        "date",
        rf"of\s+{_MONTH_GATE}",
        words=_MONTH_WORDS,
    ),
    # March 2015, Mar. '15
    _Spec(r"\b(?=[A-Z])", rf"(?:{_MONTH})\s+(?:{_YEAR}|'\d\d)\b", "date", words=_MONTH_WORDS),
    # 3/14 (month/day, no year); not a fraction ("2/3 of the lung")
    _Spec(
        r"(?<![\w/.:-])",
        rf"{_MONTH_NUMBER}/(?:3[01]|[12]\d|0?[1-9]){_NOT_AFTER}(?!\.\d|-\d|\s+of\b)",
        "date",
    ),
    # 12/2013 (month/year)
    _Spec(r"(?<![\w/.:-])", rf"{_MONTH_NUMBER}/{_YEAR}{_NOT_AFTER}", "date"),
)

_NUMBER_RULES = (
    # phone numbers: (617) 555-0123, 617-555-0123, 617.555.0123, +1 617 555 0123
    _Spec(
        r"(?<![\w-])",
        r"(?:\+?1[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])",
        "phone",
        r"\d\d\d[ .-]\d{4}",
    ),
    _Spec(r"(?<![\w.-])", r"\d\d\d-\d{4}(?![\w-])", "phone"),
    # extensions and pagers: x5-1234, x51234, ext. 51234, 5-1234
    _Spec(
        r"(?<![\w-])",
        r"(?:x|X|Ext\.?\s?|ext\.?\s?)\d[\d-]{3,7}\d(?![\w-])",
        "phone",
        r"\d[\d-]{3,7}\d",
    ),
    _Spec(r"(?<![\w.-])", r"\d-\d{4}(?![\w-])", "pager"),
    # social-security-like and long numbers (MRN, accession, pager, zip): 5+ digits
    _Spec(r"(?<![\w-])", r"\d\d\d-\d\d-\d{4}(?![\w-])", "id"),
    _Spec(r"(?<![\w.])", r"\d\d{4,}(?:-\d{4})?(?![\w]|\.\d)", "id"),
    # identifiers mixing letters and 4+ digits: A181668277, RAD2015384588, E13099002
    _Spec(
        "",
        r"\b(?=[A-Za-z0-9-]*\d{4})(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\b",
        "id",
        r"\d\d\d\d",
        "word",
    ),
    # e-mail addresses and URLs
    # the local part as written, apostrophes and commas too ("svan'twel@", "x-y,van@")
    _Spec(r"(?<![\w.+'’,-])", r"[\w.+'’,-]+@[\w-]+(?:\.[\w-]+)+", "email", "@"),
    _Spec(
        r"\b",
        r"(?:https?://|www\.)[^\s<>\"')\]]+[^\s<>\"')\].,;:]",
        "url",
        words=frozenset({"http", "https", "www"}),
    ),
    # ages 90 and over
    _Spec(
        r"\b",
        r"(?:9\d|1[0-4]\d)(?=\s*-?\s*(?:years?|yrs?|y)[- ]?(?:old|o)\b|\s*y/?o\b|"
        r"\s*-?\s*yo\b|\s*(?:years?|yrs?)\b|\s*[yY]\b|[MF]\b)",
        "age",
    ),
    _Spec(
        r"\b",
        r"(?:Age|age|AGE)[: ]\s*(?P<v>9\d|1[0-4]\d)\b",
        "age",
        words=frozenset({"Age", "age", "AGE"}),
    ),
    _Spec(r"(?<=\baged )", r"(?:9\d|1[0-4]\d)\b", "age", words=frozenset({"aged"})),
    # years on their own: 1998, 2015 (not a quantity: "2000 mL")
    _Spec(r"(?<![\w./:-])", rf"{_YEAR}(?![\w/:-]|\.\d){_UNIT_AFTER}", "year"),
)

_STREET = (
    r"Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Court|Ct|Way|Boulevard|Blvd|Terrace|Path|"
    r"Place|Pl|Circle|Parkway|Pkwy|Highway|Hwy|Square|Sq|Row|Trail|Plaza"
)
#: The first words of the keywords that end an institution name.
INSTITUTION_WORDS = frozenset(
    {
        "Hospital",
        "Medical",
        "Health",
        "Healthcare",
        "Clinic",
        "Infirmary",
        "Nursing",
        "Rehab",
        "Rehabilitation",
        "Cancer",
    }
)
_CAP = r"[A-Z][a-z]+(?:['’][a-z]+)?"
# Latin letters with their accented forms (Zoë, ÉMILE, Łukasz, Śląskie).
UPPER = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f"
LOWER = "a-z\u00df-\u00f6\u00f8-\u00ff\u0100-\u017f"
#: A capitalised word of a place or institution name, accented letters and hyphenated parts
#: included ("Hamel-les-Bains").
#: Dutch names start with the digraph IJ ("IJsselstein"); two names of one place may be
#: joined by a slash, the second abbreviated ("Graun/Unterl. Community Hospital"); a
#: hyphenated given name may be abbreviated ("St. H.-Dieter", "St. Klaus-D. Hospital").
PLACE_WORD = (
    rf"[{UPPER}](?:\.-[{UPPER}]|(?<=[DLS])['’][{UPPER}]|(?<=I)J)?[{LOWER}]+"
    rf"(?:['’][{UPPER}]?[{LOWER}]+|-[{UPPER}{LOWER}][{LOWER}]+|[{UPPER}][{LOWER}]+)*"
    rf"(?:-[{UPPER}]\.(?=[ \t]|['’]s\b)|-(?=[ \t](?:en|und|et|e|y)[ \t]))?"
    rf"(?:/[{UPPER}][{LOWER}]+(?:\.(?=[ \t][{UPPER}]))?)?['’]?"
)
#: A word inside a place or institution name after its first: also initials ("Bavel AC",
#: "Afferden L."), a province in parentheses ("Rijswijk (GLD) University Hospital").
INNER_WORD = (
    rf"(?:{PLACE_WORD}|[{UPPER}]{{1,3}}(?![\w'’-]|\.\w)|[{UPPER}]\.(?=\s|[),;]|$)"
    rf"|\((?:[{UPPER}][{LOWER}]{{1,3}}|[{UPPER}]{{2,3}})\))"
)
#: Lower-case particles inside a place or institution name ("van Nimwegen", "Sul Metauro").
#: Abbreviated ones ("a. d.", "i. d.": Neustadt a. d. Aisch; "gem.": Spaarndam gem. Haarlem)
#: and "c.a." (cum annexis) too.
PARTICLE = (
    r"(?:van|von|de|der|den|del|della|di|da|du|la|le|les|des|do|dos|das|y|am|im|ob|sur|sul|"
    r"aan|op|bei|bij|upon|en|und|con|vorm|vor|auf|an|die|te|ten|ter|het|uit|zu|zum|zur|"
    r"vom|dalla|dei|"
    r"degli|delle|dello|sulla|sullo|gem|c\.?a\.?|[a-z]{1,3}\.(?:[ \t]?[a-z]\.)?|['’][ts]|d['’])"
)
#: Particles only inside a name: "in" ("St. Martin in Passeier", "Broek in Waterland"), but
#: not after an institution ("Mercy Hospital in Dover" is two names).
INNER_PARTICLE = (
    rf"(?:{PARTICLE}|(?<!Hospital[ \t])(?<!Center[ \t])(?<!Centre[ \t])(?<!Clinic[ \t])"
    r"(?<!Infirmary[ \t])in)"
)
#: Capitalised particles, which do not count as words of a long name ("Pino Sulla Sponda
#: Del Lago Maggiore", "San Michele Di Pratola Serra").
CAP_PARTICLE = (
    r"(?:Del|Della|Delle|Dei|Degli|Dello|Di|Da|Dal|Dalla|De|Des|Du|Sul|Sulla|Sullo|In|Im|Am|"
    r"An|Aan|Op|Ob|Sur|Sous|Les|La|Le|Lès|Y|E|Ed|Con|Al|Alla|Nel|Nella|Il|Lo|Van|Von|Der|Den)"
)
# Words followed by a small number that are not a ward ("Grade 2", "Rib 5").
_NOT_WARD = (
    r"(?:Day|Days|Grade|Level|Type|Stage|Zone|Rib|Ribs|Image|Images|Series|Figure|Lead|View|"
    r"Views|Week|Weeks|Month|Months|Year|Years|Number|No|Size|Segment|Segments|Class|Phase|"
    r"Step|Part|Page|Line|Lines|Tube|Port|Vertebra|Vertebrae|Round|Score|Version|Group)"
)
_PLACE_RULES = (
    _Spec(
        r"\b",
        rf"\d\d{{0,5}}[ \t]+(?:{_CAP}[ \t]+){{1,3}}(?:{_STREET})\b\.?",
        "address",
        words=frozenset(_STREET.split("|")),
    ),
    _Spec(
        r"\b",
        r"(?:P\.?\s?O\.?[ \t]+Box|Apt\.?|Suite|Unit)[ \t]+#?\d+[A-Z]?\b",
        "address",
        words=frozenset({"P", "PO", "Apt", "Suite", "Unit"}),
    ),
    _Spec(
        r"\b",
        # a leading particle ("van Nimwegen Clinic") is added by find_patterns: a pattern
        # that starts with a capital letter is searched faster
        # "St.-Annaparochie General Hospital", "S. Lugano Regional Medical Center", "Coreth
        # von und zu Coredo Memorial Hospital", "Dussen van Clinic", "Bourgondië, van
        # Clinic" (sorted family names), "2e Exloërmond Community Hospital"
        rf"(?:(?:St|S)\.(?:[ \t]+|-)?|(?:St|Saint|\d{{1,2}}e)[ \t]+)?"
        rf"{PLACE_WORD}['’]?s?(?:,(?=[ \t]+v[ao]n[ \t]))?[ \t]+"
        rf"(?:(?:(?:{INNER_PARTICLE}|{CAP_PARTICLE})[ \t]+){{0,3}}{INNER_WORD}['’]?s?[ \t]+){{0,4}}"
        r"(?:(?:van|von|de|der|den)[ \t]+)?"
        r"(?:Hospital|Medical Cent(?:er|re)|Health Cent(?:er|re)|Health System|Healthcare|"
        r"Clinic|Infirmary|Nursing Home|"
        r"Rehabilitation Center|Rehab Center|Cancer Center|Medical Group|Health)\b",
        "hospital",
        r"Hospital|Health|Medical|Clinic|Infirmary|Nursing|Rehab|Cancer",
        "line",
        INSTITUTION_WORDS,
    ),
    _Spec(
        r"\b",
        rf"(?:{_CAP}[ \t]+){{1,2}}(?:ICU|CCU|NICU|PICU|MICU|SICU|CVICU|Unit|Ward|Floor)\b",
        "unit",
        r"ICU|CCU|Unit|Ward|Floor",
        "line",
        frozenset({"ICU", "CCU", "NICU", "PICU", "MICU", "SICU", "CVICU", "Unit", "Ward", "Floor"}),
    ),
    _Spec(
        r"\b",
        rf"(?:{_CAP}[ \t]+){{1,3}}(?:Pod|Bay|Wing|Pavilion|Building|Tower)[ \t]+[A-Z0-9]\w*\b",
        "unit",
        r"(?:Pod|Bay|Wing|Pavilion|Building|Tower)[ \t]",
        "line",
        frozenset({"Pod", "Bay", "Wing", "Pavilion", "Building", "Tower"}),
    ),
    _Spec(
        "",
        rf"\b{_CAP}[ \t]+(?:East|West|North|South)\b|\b(?:East|West|North|South)[ \t]+\d{{1,2}}\b",
        "unit",
        r"East|West|North|South",
        "line",
        frozenset({"East", "West", "North", "South"}),
    ),
    _Spec(
        "",
        # "on"/"to" as whole words (a look-behind after the first letter, so that re can
        # skip ahead), ", ", "/ ", " - ", then a capitalised word and a ward number
        r"(?:o(?<!\wo)n\s+|t(?<!\wt)o\s+|, |/ | - )"
        rf"(?!{_NOT_WARD}\b)(?P<v>{_CAP}[ \t]+\d{{1,2}})\b(?![:/.,]\d)",
        "unit",
    ),
    _Spec(
        r"\b",
        r"(?:from|at) (?!OSH\b)(?P<v>[A-Z]{1,4}H|[A-Z]{2,4}MC)\b(?!-)",
        "hospital",
        words=frozenset({"from", "at"}),
    ),
)


@dataclass(frozen=True)
class CueRule:
    """A rule whose every match starts with one of a few cue words ("pager", "Ward").

    Such a pattern starts with an alternation, which ``re`` can only try at each letter of a
    text; here each written form of a cue (lower, Title and UPPER case, as listed) gets its
    own pattern that starts with it as a literal, which ``re`` skips to fast, and a text is
    searched only for the forms among its words (:attr:`Text.words`). A match must not
    follow a word character, as after ``\\b``. ``tail`` is what follows the cue; group ``v``,
    when there is one, is the span to remove.
    """

    category: str
    cues: tuple[str, ...]
    tail: str
    cases: tuple[str, ...] = ("lower", "title", "upper")

    @functools.cached_property
    def patterns(self) -> dict[bytes, re.Pattern[str]]:
        """One pattern per cue form, keyed by the form as a word of :attr:`Text.words`
        (compiled at first use)."""
        return {f: re.compile(re.escape(f.decode()) + self.tail) for f in self.forms}

    @functools.cached_property
    def forms(self) -> frozenset[bytes]:
        """The written forms of the cues, as words of :attr:`Text.words`."""
        return frozenset(getattr(c, case)().encode() for c in self.cues for case in self.cases)

    def finditer(self, source: Text) -> Iterator[re.Match[str]]:
        """The matches in ``source``, cue form by cue form (they may overlap)."""
        hits = self.forms.intersection(source.words)  # iterates the few forms
        if not hits:
            return
        text, patterns = source.text, self.patterns
        for form in sorted(hits):
            for match in patterns[form].finditer(text):
                start = match.start()
                if start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_"):
                    yield match


_NUMBER_TAIL = r"(?P<v>\d[\d-]{1,6}\d)(?![\w/:]|[.,]\d)"
#: Cue rules: numbers after a pager, beeper or extension word ("pager 4417", "beeper #2231",
#: "ext. 5512", "Pager no. 123"; not "extension of", "extension 12 mm", "extension 150
#: degrees"); a number after "call"/"page"/"contact" … "at"/"on" in one sentence ("Call Bell
#: at 4417"; not a time of day written without a colon: "called at 1430"); a ward, room,
#: bed, bay or unit and its number ("Ward 5B", "Room 412", "Bed 3", "Unit 7 West", "Rm. A12";
#: not "Ward round", "room air", "Bed 3 cm"; lower case only for ward, room and bed).
CUE_RULES = (
    CueRule(
        "pager",
        ("pager", "beeper", "bleep", "ext", "extension"),
        r"\b\.?(?:[ \t]*(?:[Nn]o\.?|NO\.?|[Nn]umber|NUMBER|#|:))?[ \t]*#?[ \t]*"
        rf"{_NUMBER_TAIL}{_UNIT_AFTER}(?!\s*(?:degrees?|deg\b|°|%))",
    ),
    CueRule(
        "pager",
        ("call", "called", "page", "paged", "contact", "contacted", "reach"),
        r"\b[^\n.;:]{0,60}?[ \t](?:at|on)[ \t]+#?(?!(?:[01]\d|2[0-3])[0-5]\d(?![\d-]))"
        r"(?P<v>\d[\d-]{2,6}\d)(?![\w/:]|[.,]\d)",
    ),
    *(
        CueRule(
            "unit",
            cues,
            r"\.?[ \t]+(?:#|[Nn]o\.)?[ \t]?(?:\d{1,4}[A-Z]?|[A-Z]\d{0,3})(?![\w/:'’-]|[.,]\d)"
            rf"(?:[ \t]+(?:East|West|North|South)\b)?{_UNIT_AFTER}",
            cases,
        )
        for cues, cases in (
            (("ward", "room", "bed"), ("lower", "title", "upper")),
            (("rm", "bay", "unit", "cubicle"), ("title", "upper")),
        )
    ),
)


@functools.cache
def _rules() -> tuple[Rule, ...]:
    lex = lexicon()
    credentials = {"MD", "PA"}
    codes = alternation(set(lex.states.values()) - credentials)
    # "Hope Bell, MD" is a credential: MD and PA count as states before a ZIP code only.
    codes = rf"(?:{codes}|MD(?=\s+\d{{5}}\b)|PA(?=\s+\d{{5}}\b))"
    state_names = alternation(lex.states)
    countries = alternation(lex.countries)
    city = rf"(?:{PLACE_WORD}\s+){{0,2}}{PLACE_WORD}"
    places = (
        # City, ST 12345 / City, State
        _Spec(r"\b", rf"{city}(?=,\s+(?:{codes})\b(?!-))", "city", rf",\s+(?:{codes})\b(?!-)"),
        _Spec(
            "",
            rf",\s+(?P<v>{codes})\b(?!-)(?=\s+\d{{5}}|\s*[;.),]|\s*$|\s+(?:on|in|at)\b)",
            "state",
        ),
        _Spec(r"\b", rf"{city}(?=,\s+(?:{state_names})\b)", "city", rf",\s+(?:{state_names})\b"),
        _Spec(r"\b(?=[A-Z])", rf"(?:{state_names})\b", "state", words=first_words(lex.states)),
        _Spec(
            r"\b(?=[A-Z])",
            rf"(?:{countries})\b",
            "country",
            words=first_words(lex.countries),
        ),
        # the code after "from " (the body starts with the literal, which re finds fast)
        _Spec(
            r"\b",
            rf"from (?P<v>{codes})\b(?=\s+(?:in|on)\b)",
            "state",
            words=frozenset({"from"}),
        ),
    )
    table = [_rule(spec, 0) for spec in _DATE_RULES]
    table += [_rule(spec, re.MULTILINE) for spec in (*_NUMBER_RULES, *_PLACE_RULES, *places)]
    return tuple(table)


def _rule(spec: _Spec, flags: int) -> Rule:
    return Rule(spec.body, spec.lead, spec.category, flags, spec.gate, spec.start, words=spec.words)


def find_patterns(text: str | Text) -> Iterator[Span]:
    """Every span of ``text`` that a generic PHI pattern matches (spans may overlap).

    Examples
    --------
    >>> text = "Seen 3/14/2015 at 10:30, call (617) 555-0123. Moved from Ohio in 1999."
    >>> sorted({text[s.start : s.end] for s in find_patterns(text)})
    ['(617) 555-0123', '1999', '3/14/2015', '555-0123', 'Ohio']
    """
    source = text if isinstance(text, Text) else Text(text)
    raw = source.text
    for rule in _rules():
        category, group = rule.category, "v" if "v" in rule.plain.groupindex else 0
        for match in rule.finditer(source):
            start, end = match.span(group)
            if category in ("hospital", "unit"):
                start = _trim_lead(raw, start, end)
                if category == "hospital" and (
                    lead := _PARTICLE_BEFORE.search(raw, max(0, start - 24), start)
                    or _WORD_BEFORE.search(raw, max(0, start - 12), start)
                ):
                    start = lead.start()
            if end > start:
                yield Span(start, end, category)
    for cue_rule in CUE_RULES:
        for match in cue_rule.finditer(source):
            yield Span(*match.span("v" if "v" in match.re.groupindex else 0), cue_rule.category)


_PARTICLE_BEFORE = re.compile(rf"(?<![\w-])(?:(?:{PARTICLE}[ \t]+){{1,2}}|['’]s-)\Z")
#: A lower-case word that is no English article or pronoun between "from"/"of"/"at" and an
#: institution is a particle of its name ("films from auch Schlauchin Memorial Hospital").
NOT_PARTICLE = r"(?:the|a|an|and|or|our|your|his|her|its|their|this|that|same|home|local)"
_WORD_BEFORE = re.compile(
    r"(?:(?<=\bfrom[ \t])|(?<=\bof[ \t])|(?<=\bat[ \t]))"
    rf"(?!{NOT_PARTICLE}[ \t])[a-z]{{2,5}}[ \t]+\Z"
)
_LEAD = re.compile(
    r"(?:The|A|An|At|From|In|To|On|Of|Per|Via|See|Seen|Prior|Outside|Call|Contact|Please|"
    r"(?P<verb>[A-Z][a-z]+(?:ed|ing)|[A-Z][a-z]{3,}ly))[ \t]+"
)


def _lead(text: str, start: int, end: int) -> re.Match[str] | None:
    """A leading word that is no part of a place name; a verb-like one ("Noted") only where
    a sentence starts (after "of", "Zorgvlied" is a town)."""
    match = _LEAD.match(text, start, end)
    if match is not None and match.group("verb"):
        before = text[:start].rstrip(" \t")
        if before and before[-1] not in ".:;!?\n":
            return None
    return match


def _trim_lead(text: str, start: int, end: int) -> int:
    """``start`` moved past leading words that are not part of a place name ("Noted …")."""
    while (match := _lead(text, start, end)) and " " in text[match.end() : end].strip():
        start = match.end()
    if (match := _lead(text, start, end)) and " " not in text[match.end() : end].strip():
        return end  # only the keyword would remain ("Outside Hospital"): not a name
    return start
