"""Towns, institutions and street addresses in their contexts, with a gazetteer (S10).

A town name is PHI, but most town names are also something else ("Mobile", "Normal",
"Bath", "Colon"), and "in the left lung" or "at the base" must stay. So a place is found
only in a context that says a place comes:

- **strong** contexts take any capitalised run: after an institution and a comma, "in",
  "at" or "(" ("St. Mary Hospital, Dover"), after "transferred from", "outside films
  from" (``_data/place_contexts.txt``), unless the run starts with a department word
  ("Hospital, Radiology");
- **weak** contexts ("from", "in", "at", "of", "near") take a run of one to three
  capitalised words only if it is in the gazetteer (``_data/places.txt``: GeoNames cities
  of 15,000 people or more, U.S. states and counties) and not an ordinary word
  (``_data/place_words.txt``);
- **address** contexts ("lives at", "home address") take the rest of the sentence.

Hospital acronyms before a department word ("MGH radiology", "LGH RAD") are institutions.
These rules run on a report whose paragraph lines are joined (see
:func:`cxrkit.reports.deid.find_text_phi`), so a line break never splits a name from its context.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from cxrkit.reports._rules import Rule, Text, alternation, first_words
from cxrkit.reports.lexicon import lexicon, read_lines
from cxrkit.reports.patterns import (
    CAP_PARTICLE,
    INNER_PARTICLE,
    INNER_WORD,
    INSTITUTION_WORDS,
    LOWER,
    NOT_PARTICLE,
    PARTICLE,
    PLACE_WORD,
    UPPER,
    Span,
)

__all__ = ["INSTITUTION", "Gazetteer", "find_places", "gazetteer", "towns_after"]

WORD = PLACE_WORD  # a capitalised word of a place name
_UP, _LOW = UPPER, LOWER
#: What ends an institution name.
INSTITUTION = (
    r"(?:Hospital|Medical Cent(?:er|re)|Health Cent(?:er|re)|Health System|Healthcare|"
    r"Clinic|Infirmary|Nursing Home|Rehabilitation Center|Rehab Center|Cancer Center|"
    r"Medical Group)"
)
# A town of up to five words besides its particles: "St. Paul", "St.Johann", "da Paz",
# "Osterode am Harz", "Hengelo AC", "'s-Hertogenbosch", "2e Exloërmond" (Dutch villages
# numbered by an ordinal), "Isola Del Gran Sasso D'Italia", "Hengelo (Gld)" (a province in
# parentheses), "St.-Jacobiparochie", "Bleskensgraaf ca" (cum annexis).
# A province after a town, in parentheses: "Hengelo (Gld)", "Bergen (NH)".
_PROVINCE = rf"\((?:[{_UP}][{_LOW}]{{1,3}}|[{_UP}]{{2,3}})\)"
_QUALIFIER = re.compile(rf"[ \t]{_PROVINCE}")
_RUN = (
    rf"(?:(?:St|Ste|Mt|S)\.[ \t-]?|{PARTICLE}[ \t]|['’]s-|\d{{1,2}}e[ \t])?{WORD}"
    rf"(?:[ \t](?:(?:{INNER_PARTICLE}|{CAP_PARTICLE})[ \t]){{0,2}}{INNER_WORD}){{0,4}}"
    rf"(?:{_QUALIFIER.pattern}|[ \t]c\.?a\.?(?![\w.]))?"
)
_UPPER_RUN = rf"[{_UP}]{{3,}}(?:[ \t][{_UP}]{{3,}}){{0,2}}"
# The dot of an abbreviated street word inside an address ("Hauptstr. 5", "Apt. 35").
# or of an initial ("C. Mayor 5").
# or of "St."/"Mt." before a town ("Piso 3, St. Anton"); never before two blanks (the end of
# a sentence).
_ABBREVIATION = (
    rf"(?<=[{_LOW}])\.(?=[ \t]?\d|[ \t][{_LOW}])|(?<=(?<!\w)[{_UP}{_LOW}])\.(?=-|[ \t]\S)"
    rf"|(?:(?<=\bSt)|(?<=\bSte)|(?<=\bMt))\.(?=-?[{_UP}]|[ \t][{_UP}])"
)
# A department word, and hospital initials right before it (found backwards from the word).
_DEPARTMENT = re.compile(
    r"[ \t](?:RAD|Rad|Radiology|radiology|RADIOLOGY|Imaging|imaging|IMAGING)\b"
)
_INITIALS = re.compile(rf"(?<![\w./-])[{_UP}]{{2,9}}[ \t]*\Z")


@dataclass(frozen=True)
class Gazetteer:
    """Place names as written, the ordinary words among them, and the context phrases.

    Attributes
    ----------
    places
        Gazetteer entries as written (``_data/places.txt``).
    ordinary
        The entries that are ordinary words (``_data/place_words.txt``).
    contexts
        Phrases and words of ``_data/place_contexts.txt`` by kind (``weak``, ``strong``,
        ``address``, ``street``, ``department``, ``not_acronym``, ``ward_acronym``).
    strong
        The strong context phrases, lower case.
    departments, not_acronym, ward_acronym
        Words that are no town after an institution; abbreviations that are no hospital;
        ward abbreviations that are one only after "at" or "from" ("from GI radiology").
    codes
        U.S. state codes.
    """

    places: frozenset[str]
    ordinary: frozenset[str]
    contexts: dict[str, tuple[str, ...]]
    strong: frozenset[str]
    departments: frozenset[str]
    not_acronym: frozenset[str]
    ward_acronym: frozenset[str]
    codes: frozenset[str]

    def town(self, run: str) -> int:
        """Length of the longest leading 1–3 words of ``run`` that are a town name; 0 if none.

        Upper-case words count in Title case. An ordinary word ("Mobile") is no town here.

        Examples
        --------
        >>> g = gazetteer()
        >>> g.town("Dover on"), g.town("Normal"), g.town("SAN DIEGO"), g.town("Lungs")
        (5, 0, 9, 0)
        """
        words = run.split()
        for n in range(min(3, len(words)), 0, -1):
            name = " ".join(words[:n])
            key = name.title() if name.isupper() else name
            if key in self.places and key not in self.ordinary:
                return len(name) + run.index(words[0])
        return 0


@functools.cache
def gazetteer() -> Gazetteer:
    """``_data/places.txt``, ``place_words.txt`` and ``place_contexts.txt``, read once."""
    contexts: dict[str, list[str]] = {}
    for line in read_lines("place_contexts.txt"):
        kind, _, phrase = line.partition(":")
        contexts.setdefault(kind.strip(), []).append(phrase.strip())
    return Gazetteer(
        places=frozenset(read_lines("places.txt")),
        ordinary=frozenset(read_lines("place_words.txt")),
        contexts={k: tuple(v) for k, v in contexts.items()},
        strong=frozenset(p.lower() for p in contexts["strong"]),
        departments=frozenset(contexts["department"]),
        not_acronym=frozenset(contexts["not_acronym"]),
        ward_acronym=frozenset(contexts["ward_acronym"]),
        codes=frozenset(lexicon().states.values()),
    )


def _lower(phrases: tuple[str, ...]) -> str:
    return alternation({p.lower() for p in phrases})


@functools.cache
def _values() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """What follows a place context (a town) and an address context (the address)."""
    street = _cased(gazetteer().contexts["street"])
    address = re.compile(
        rf"(?:{street}\.?[ \t]|{PARTICLE}[ \t]|[\d{_UP}]"
        rf"|(?!{NOT_PARTICLE}[ \t])[a-z]{{2,5}}[ \t](?=[{_UP}]))"
        rf"(?:[^.;()\n]|{_ABBREVIATION}|{_PROVINCE}){{1,80}}?"
        rf"(?=[ \t]*(?:(?!{_ABBREVIATION})\.{{1,2}}(?:\s|$)|(?!{_PROVINCE})[;()\n]|$))"
    )
    return re.compile(rf"{_RUN}|{_UPPER_RUN}"), address


def _cased(phrases: tuple[str, ...]) -> str:
    forms = {f for p in phrases for f in (p, p[0].upper() + p[1:], p.upper())}
    return alternation(forms)


@functools.cache
def _rules() -> dict[str, Rule]:
    g = gazetteer()
    return {
        "after_institution": Rule(
            rf"{INSTITUTION}(?:,[ \t]+|[ \t]+(?:in|at|of)[ \t]+|[ \t]*\([ \t]*)(?P<v>{_RUN})",
            r"(?<![\w-])",
            gate=INSTITUTION,
            words=INSTITUTION_WORDS,
        ),
        # strong and weak contexts in one scan (the phrase tells which); the phrases are
        # searched in the lower-cased text, the place after them in the text itself
        "context": Rule(
            rf"(?:{_lower(g.contexts['strong'] + g.contexts['weak'])})[ \t]+",
            r"(?<![\w/-])",
            lower=True,
        ),
        "address": Rule(
            rf"(?:{_lower(g.contexts['address'])})(?::|[ \t]*-)?[ \t]+",
            r"\b",
            lower=True,
            words=first_words(p.lower() for p in g.contexts["address"]),
        ),
    }


# A state code after a town found in its context: "Lives in Dover, MD;" (MD and PA are
# credentials elsewhere).
_STATE_AFTER = re.compile(r",[ \t]*(?P<v>[A-Z]{2})(?![\w-])")


def _states_after(text: str, towns: list[Span], codes: frozenset[str]) -> Iterator[Span]:
    for town in towns:
        match = _STATE_AFTER.match(text, town.end)
        if match is not None and match.group("v") in codes:
            yield Span(*match.span("v"), "state")


def _towns(source: Text, g: Gazetteer, rules: dict[str, Rule]) -> list[Span]:
    """Towns after an institution and in strong or weak contexts."""
    towns: list[Span] = []
    for match in rules["after_institution"].finditer(source):
        if match.group("v").split()[0].title() not in g.departments:
            towns.append(Span(*match.span("v"), "city"))
    raw, value = source.text, _values()[0]
    for match in rules["context"].finditer(source):
        town = value.match(raw, match.end())
        if town is None:
            continue
        run, start = town.group(), town.start()
        if " ".join(raw[match.start() : match.end()].lower().split()) not in g.strong or (
            run.isupper()
        ):
            # weak context, or upper-case text: only a gazetteer town ("IN SAN DIEGO TODAY")
            if length := g.town(run):
                qualifier = _QUALIFIER.match(raw, start + length)
                end = qualifier.end() if qualifier else start + length
                towns.append(Span(start, end, "city"))
        elif run.split()[0].title() not in g.departments:
            towns.append(Span(start, town.end(), "city"))
    return towns


def find_places(text: str | Text) -> Iterator[Span]:
    """Towns, street addresses and hospital acronyms of ``text`` in their contexts.

    Examples
    --------
    >>> text = "Seen at Mercy Hospital, Dover, and in St. Paul; in the base."
    >>> [text[s.start : s.end] for s in find_places(text)]
    ['Dover', 'St. Paul']
    """
    source = text if isinstance(text, Text) else Text(text)
    g, rules = gazetteer(), _rules()
    towns = _towns(source, g, rules)
    yield from towns
    yield from _states_after(source.text, towns, g.codes)
    address = _values()[1]
    for match in rules["address"].finditer(source):
        if (found := address.match(source.text, match.end())) is not None:
            yield Span(*found.span(), "address")
    yield from _initials(source.text, g)


# A town after a known institution whose keyword may be missing ("at ___, Dover").
_AFTER_PLACE = re.compile(rf"(?:,[ \t]+|[ \t]+(?:in|at)[ \t]+|[ \t]*\([ \t]*)({_RUN})")


def towns_after(text: str, ends: Iterator[int]) -> Iterator[Span]:
    """Towns right after the ``ends`` of known institution or place values (a deny-list's):
    "at Harborview Memorial, Dover" → "Dover", unless a department word follows.

    Examples
    --------
    >>> text = "Seen at Harborview Memorial, Dover. At Harborview Memorial, Radiology."
    >>> [text[s.start : s.end] for s in towns_after(text, iter([27, 58]))]
    ['Dover']
    """
    departments = gazetteer().departments
    for end in ends:
        match = _AFTER_PLACE.match(text, end)
        if match is not None and match.group(1).split()[0].title() not in departments:
            yield Span(*match.span(1), "city")


def _initials(text: str, g: Gazetteer) -> Iterator[Span]:
    """Hospital initials before a department word ("MGH radiology", "LGH RAD"; a ward's
    initials only after "at" or "from": "films obtained at GI RAD")."""
    for word in _DEPARTMENT.finditer(text):
        end = word.start()
        match = _INITIALS.search(text, max(0, end - 12), end)
        if match is None:
            continue
        value = match.group().rstrip(" \t")
        if value in g.not_acronym or (
            value in g.ward_acronym
            and not _AT_FROM.search(text, max(0, match.start() - 6), match.start())
        ):
            continue
        yield Span(match.start(), match.start() + len(value), "hospital")


_AT_FROM = re.compile(r"(?<![\w-])(?i:at|from)[ \t]+\Z")
