"""Names in name contexts, and PHI header fields (S10).

A word that is also an ordinary word (Hope, Bell, Young, Rose, Frank, Will, Grant, May) is a
name only where the text says a name comes: after a title ("Dr. Bell", "Ms. Hope"), after a
phrase that introduces a person ("discussed with Rose Hill", "d/w Frank", "performed by"),
after a relation ("wife, Rose,"), before a credential ("G. Bolton MD"), on a signature line
("ROSE HILL  03/04/2015 10:22"), or as the value of a header field ("PATIENT: HILL, ROSE").
Elsewhere "may represent" and "frank edema" stay. The context phrases and labels are data
(``_data/name_contexts.txt``, ``_data/phi_labels.txt``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from cxrkit.reports._rules import Rule, Text, alternation, first_words
from cxrkit.reports.lexicon import Lexicon, known_words, lexicon, read_lines
from cxrkit.reports.patterns import Span

__all__ = ["find_context_names", "find_field_names", "find_names"]

# One word of a name: Title case (Bell, McDonald, O'Neil, Smith-Jones, IJzendoorn, and
# abbreviated double names: H.-Dieter, Klaus-D.), upper case (BELL), or an initial (J. or J).
# Latin letters with their accented forms (Zoë, ÉMILE, Łukasz).
_UP = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f"
_LOW = "a-z\u00df-\u00f6\u00f8-\u00ff\u0100-\u017f"
_WORD = (
    rf"(?:Mc|Mac|O['’]|D['’]|[{_UP}]\.-)?[{_UP}](?:(?<=I)J)?[{_LOW}]+"
    rf"(?:['’-][{_UP}]?[{_LOW}]+|-[{_UP}]\.(?!\w))?"
    rf"|[{_UP}]{{2,}}(?:['’-][{_UP}]+)?"
)
_INITIAL = rf"[{_UP}]\.(?!\w)|(?!I\b)[{_UP}](?![\w.'’-])"
_TOKEN = re.compile(rf"(?:{_WORD}|{_INITIAL})")
# Lower-case particles inside a name, before a capitalised word: "Dr. van der Berg",
# "Dr. Sara van 't Wel".
_PARTICLES = (
    r"(?:van|von|de|der|den|del|della|di|da|das|do|dos|du|la|le|les|ten|ter|te|het|die|"
    r"bin|al|el|en|zu|zum|zur|vom|und|dalla|dei|['’][ts]|d['’])"
)
_PARTICLE = re.compile(rf"{_PARTICLES}(?= (?:[a-z'’]+ ){{0,2}}[{_UP}])")
# A particle written after the family name, as in sorted lists: "Dr. Dussen van",
# "Dr. West-Francië, van".
_PARTICLE_AFTER = re.compile(rf",?[ \t]{_PARTICLES}(?:[ \t](?:der|den|de|la|het|['’]t))?\b")
_EPITHET = re.compile(rf" The [{_UP}][{_LOW}]+(?=[ \t]*(?:[(),;]|\.(?:\s|$)|$)|[ \t]+[a-z])")
_UPPER_NEXT = re.compile(rf"[ \t]+[{_UP}]")
# A lower-case word after a title, before the capitalised name: "Dr. auch Schlauchin".
_LEAD_WORD = re.compile(rf"[a-z]{{2,5}}(?= [{_UP}][{_LOW}])")
# A lower-case word, for names written in lower case after a title: "d/w dr. smith".
_LOWER_WORD = re.compile(r"[a-z][a-z'’-]*[a-z]")
# Titles after which a lower-case word is still a name ("mr"/"ms" without a dot are not:
# "ms lesions").
_LOWER_TITLES = frozenset({"dr", "dr.", "doctor", "mr.", "mrs.", "ms.", "prof.", "professor"})
# A nickname in parentheses or quotes after a given name: "Rosa (Rosie) Hunt", 'Bob "Bo" Li'.
_NICK = rf"[{_UP}][{_LOW}]+(?:-[{_UP}][{_LOW}]+)?"
_NICKNAME = re.compile(
    rf"[ \t]+(?:\((?P<a>{_NICK})\)|\"(?P<b>{_NICK})\"|“(?P<c>{_NICK})”|'(?P<d>{_NICK})'(?!\w)"
    rf"|‘(?P<e>{_NICK})’)"
)
# Word endings of English and medical words, which no name after "Patient" is taken to have
# unless it is a census name ("Patient Positioning", "Patient Rotated", "Pt Ambulatory").
_WORD_ENDING = re.compile(
    r"(?:ed|ing|ion|ions|ity|ness|ment|ments|ic|ical|ive|ous|ary|ory|ly|ism|osis|itis|"
    r"ectomy|otomy|ostomy|graphy|gram|scopy|ate|ize|ise|able|ible|ance|ence|ant|ent|ure|"
    r"ular|al|ia|ies|ist|ists|ogy)$"
)
# "at"/"on" and a number after a name: "Call Thornbury at pager 4417", "page Ng on x4417".
_REACH = re.compile(
    r"[ \t]+(?:at|on)[ \t]+(?:(?:[Pp]ager|PAGER|[Bb]eeper|[Bb]leep|[Ee]xt|[Pp]hone|[Cc]ell)"
    r"\b\.?[ \t]*)?(?:#[ \t]*|[xX][ \t]?)?\(?\d"
)


@functools.cache
def _stop() -> frozenset[str]:
    """Words that end a name even when capitalised (``_data/name_stop_words.txt``)."""
    return frozenset(w.upper() for w in read_lines("name_stop_words.txt"))


def _skip_space(text: str, pos: int) -> int:
    """``pos`` moved past spaces, and past one line break if only spaces precede it."""
    i = pos
    while i < len(text) and text[i] in " \t":
        i += 1
    if text.startswith("\n", i):
        i += 1
        while i < len(text) and text[i] in " \t":
            i += 1
    return i


def _name_run(
    text: str, pos: int, lex: Lexicon, *, strict: bool, comma: bool = False, title: bool = False
) -> tuple[int, int] | None:
    """The name that starts at ``pos`` (after spaces): up to four words on one line.

    With ``strict`` (a weak context such as "by" or "from") the first word must be a Title
    case word that is a census name or not an ordinary word. After a ``title`` a short lower-case
    word before a capitalised one is a particle ("Dr. auch Schlauchin", "Dr. A. auch X").
    """
    i = _skip_space(text, pos)
    end_of_line = text.find("\n", i)
    limit = len(text) if end_of_line < 0 else end_of_line
    start, end, words = i, -1, 0
    comma_used, initials = False, 0
    while words < 4:
        particle = _PARTICLE.match(text, i, limit)
        if particle is None and title and (i == start or words > 0):
            lead = _LEAD_WORD.match(text, i, limit)
            particle = lead if lead and lead.group().upper() not in _stop() else None
        if particle is not None and (words > 0 or not strict):
            i = particle.end() + 1  # a particle does not count as one of the four words
            continue
        match = _TOKEN.match(text, i, limit)
        if match is None:
            break
        word = match.group()
        bare = word.rstrip(".")
        if len(bare) > 1 and bare.upper() in _stop() and not (words == 0 and not strict):
            break
        if text[match.end() : match.end() + 1] == ":":
            break
        if strict and words == initials and len(bare) == 1:
            initials += 1
        elif strict and words == initials and not _strong_first(word, lex):
            return None
        end, words = match.end(), words + 1
        i = end = _nickname_end(text, end, limit, lex)
        if (
            text.startswith(", ", i)
            and not comma_used
            and words == 1
            and (comma or _comma_ok(text, i, lex))
        ):
            comma_used, i = True, i + 2  # FAMILY, GIVEN
        elif text.startswith(" ", i) and not text.startswith("  ", i):
            i += 1
        else:
            break
    if end < 0 or (strict and words == initials):
        return None
    return start, _name_tail(text, end, limit)


def _nickname_end(text: str, end: int, limit: int, lex: Lexicon) -> int:
    """``end`` moved past a nickname in parentheses or quotes after a name word, when another
    name word follows ("Rosa (Rosie) Hunt") or the nickname is a census given name that is no
    ordinary word ("Robert Hill (Bob)"); "Dr. Hill (Radiology) called" keeps "(Radiology)"."""
    nick = _NICKNAME.match(text, end, limit)
    if nick is None:
        return end
    word = nick.group(nick.lastgroup or 0)
    if word.upper() in _stop():
        return end
    if _UPPER_NEXT.match(text, nick.end(), limit) or (
        word.upper() in lex.given and not lex.is_common(word)
    ):
        return nick.end()
    return end


def _name_tail(text: str, end: int, limit: int) -> int:
    """``end`` moved past a particle written after the family name ("Dussen van") or an
    epithet before a bracket or a stop ("J. The Elder (…)")."""
    after = _PARTICLE_AFTER.match(text, end, limit) or _EPITHET.match(text, end, limit)
    if after is not None and not _UPPER_NEXT.match(text, after.end(), limit):
        return after.end()
    return end


def _lower_run(text: str, pos: int, lex: Lexicon, *, census: bool) -> tuple[int, int] | None:
    """A name written in lower case at ``pos``: one word, and a second if it is a census name.

    With ``census`` (a context such as "d/w", where "d/w radiology" is no name) the first word
    must be a census name that is not an ordinary word too.
    """
    i = _skip_space(text, pos)
    first = _LOWER_WORD.match(text, i)
    if first is None or first.group().upper() in _stop():
        return None
    if census and not (lex.is_name(first.group()) and not lex.is_common(first.group())):
        return None
    end = first.end()
    second = _LOWER_WORD.match(text, end + 1) if text.startswith(" ", end) else None
    if second is not None:
        word = second.group()
        if lex.is_name(word) and not lex.is_common(word) and word.upper() not in _stop():
            end = second.end()
    return i, end


def _comma_ok(text: str, pos: int, lex: Lexicon) -> bool:
    """A "FAMILY, GIVEN" form: the word after the comma is a given name."""
    match = _TOKEN.match(text, pos + 2)
    return bool(match) and match.group().upper() in lex.given  # type: ignore[union-attr]


def _accepted(
    kind: str, cue: str, text: str, run: tuple[int, int], lex: Lexicon
) -> tuple[int, int] | None:
    """The part of the run after a context of ``kind`` that is a name: all of it after
    "discussed with" or a relation; after "Patient" see :func:`_patient_name`; after a weak
    context all of it if it holds a census name, or after "call", "page" or "contact" if its
    words are no English or medical words and "at"/"on" and a number follow ("Call
    Thornbury at pager 4417")."""
    if kind in ("before", "relation"):
        return run
    if kind == "person":
        return _patient_name(text, run, lex)
    name = text[run[0] : run[1]]
    if _has_census_word(name, lex) or (
        cue.rstrip(":,") in _CALLS
        and _REACH.match(text, run[1]) is not None
        and not any(_english(w, text, lex) for w in _full_words(name))
    ):
        return run
    return None


_CALLS = frozenset({"call", "called", "page", "paged", "contact"})


def _full_words(name: str) -> list[str]:
    """The words of ``name`` that are more than an initial, without brackets and quotes."""
    words = (w.strip("()\"“”‘’',") for w in name.split())
    return [w for w in words if len(w.rstrip(".")) > 1]


def _patient_name(text: str, run: tuple[int, int], lex: Lexicon) -> tuple[int, int] | None:
    """The name in a run after "Patient"/"Pt": its words up to the first English or medical
    word that is no census name ("PATIENT ROSA HUNT SEEN TODAY"), if they are two words or
    more (initials and a nickname count: "Rosa (Rosie) Delacroix-Hunt", "J. R.
    Brzeczyszczykiewicz") or a census name ("Patient Rosa", "Patient Hope"); "Patient
    Follow-Up Study" and "Patient Care Team" stay."""
    words = list(re.finditer(r"\S+", text[run[0] : run[1]]))
    end = 0
    for word in words:
        bare = word.group().strip("()\"“”‘’',")
        if len(bare.rstrip(".")) > 1 and not _census(bare, lex) and _english(bare, text, lex):
            break
        end += 1
    full = _full_words(" ".join(w.group() for w in words[:end]))
    if not full:
        return None
    if end >= 2 or any(_census(w, lex) for w in full):
        return run[0], run[0] + words[end - 1].end()
    return None


def _census(word: str, lex: Lexicon) -> bool:
    """Every part of ``word`` (split at hyphens and apostrophes) is a census name."""
    parts = [p for p in re.split(r"['’-]", word) if len(p) > 1]
    return bool(parts) and all(lex.is_name(p) for p in parts)


def _english(word: str, text: str, lex: Lexicon) -> bool:
    """``word`` is an English or medical word: a part is a stop word, has an ending of such
    words ("Positioning", "Well-Nourished") or is written in lower case in ``text`` too, or
    every part is a known word or an ordinary word that is also a name ("Follow-Up"; not
    "Delacroix-Hunt")."""
    known = known_words()
    parts = [p for p in re.split(r"['’-]", word) if len(p) > 1]
    for part in parts:
        lower = part.lower()
        if (
            part.upper() in _stop()
            or _WORD_ENDING.search(lower)
            or re.search(rf"(?<![\w'’-]){re.escape(lower)}(?![\w'’-])", text)
        ):
            return True
    return all(p.lower() in known or lex.is_common(p) for p in parts)


def _has_census_word(name: str, lex: Lexicon) -> bool:
    words = (w.strip(".,") for w in name.split())
    return any(len(w) > 1 and lex.is_name(w) for w in words)


def _strong_first(word: str, lex: Lexicon) -> bool:
    if len(word) < 2 or word.endswith("."):
        return False
    if word.isupper():
        return lex.is_name(word) and not lex.is_common(word)
    return lex.is_name(word) or not lex.is_common(word)


# Credentials after a name: those written after a comma, and those after a comma or a blank.
_AFTER_COMMA = ("PA-C", "PA", "DO", "D.O.", "RT")
_AFTER_BLANK = ("MD", "M.D.", "RN", "NP", "PhD", "Ph.D.", "RT(R)", "MBBS")
_CREDENTIALS = rf"(?:,\s*(?:{alternation(_AFTER_COMMA)})|,?\s+(?:{alternation(_AFTER_BLANK)}))"


@functools.cache
def _contexts() -> dict[str, Rule]:
    lex = lexicon()

    def words(kind: str) -> str:
        return alternation(lex.contexts.get(kind, ()))

    def context(kind: str, body: str, lead: str) -> Rule:
        # each phrase starts a word and ends at a blank, a dot, a comma or a word boundary
        first = first_words(lex.contexts.get(kind, ()))
        return Rule(body, lead, lower=True, words=first)

    relations = words("relation")
    return {
        "title": context("title", rf"(?:{words('title')})(?=[\s.])\.?", r"(?<![\w.])"),
        "before": context("before", rf"(?:{words('before')})(?![\w/])[:,]?", r"(?<![\w/])"),
        "weak": context("weak", rf"(?:{words('weak')})(?![\w/])[:,]?", r"(?<![\w/])"),
        # "Pt." and its dot; "patient." ends a sentence
        "person": context(
            "person", rf"(?:{words('person')})(?:(?<=pt)\.)?(?![\w/])", r"(?<![\w/])"
        ),
        "relation": context("relation", rf"(?:{relations})(?:'s)?\b,?", r"\b"),
        "after": Rule(
            rf"{_CREDENTIALS}(?![\w(:])|\s+\((?i:{relations})\)",
            # any bracket stands for "(wife)": one alternation that re can skip through
            gate=alternation((*_AFTER_COMMA, *_AFTER_BLANK, "(")),
            start="blank",
        ),
        # a label at the start of a line (after blanks), after two blanks, or after "("
        "label": Rule(
            rf"(?P<label>{alternation(lex.labels)})[ \t]*(?P<sep>[:#]?)",
            r"(?:^|(?<=^[ \t])|(?<=[ \t]{2})|(?<=\())",
            flags=re.MULTILINE,
            lower=True,
        ),
        "signature": Rule(
            rf"^[ \t]*(?P<v>(?:(?:{_WORD}|[A-Z]\.?)[ \t]){{1,3}}(?:{_WORD}))"
            r"[ \t]+(?=\d{1,2}[/-]\d{1,2}[/-]\d{2,4}|\d{4}-\d\d-\d\d)",
            flags=re.MULTILINE,
            gate=r"\d[/-]\d",
            start="head",
        ),
    }


def _before_name(text: str, end: int, lex: Lexicon) -> tuple[int, int] | None:
    """The name of up to four words that ends at ``end`` (before a credential)."""
    line_start = text.rfind("\n", 0, end) + 1
    words = list(_TOKEN.finditer(text, line_start, end))
    start = -1
    for match in reversed(words[-4:]):
        gap = text[match.end() : start if start >= 0 else end]
        if gap.strip(" ,") or match.group().rstrip(".").upper() in _stop():
            break
        start = match.start()
    return None if start < 0 else (start, end)


def _label_spans(source: Text, lex: Lexicon, rule: Rule) -> Iterator[Span]:
    text = source.text
    for match in rule.finditer(source):
        kind = lex.labels[match.group("label").lower()]
        colon = bool(match.group("sep"))
        pos = match.end()
        if kind == "name" and colon:
            lead = len(text[pos : pos + 20]) - len(text[pos : pos + 20].lstrip(" \t"))
            title = _contexts()["title"].plain.match(text, pos + lead)
            run = _name_run(text, title.end() if title else pos, lex, strict=False, comma=True)
            if run:
                yield Span(*run, "name")
        elif kind == "place" and colon:
            value = re.match(r"[ \t]*(.+?)(?=[ \t]{2}|$)", text[pos:].split("\n", 1)[0])
            if value and value.group(1).strip():
                yield Span(pos + value.start(1), pos + value.end(1), "place")
        elif kind == "id":
            value = re.match(r"[ \t]*([A-Za-z0-9][\w#/-]*[A-Za-z0-9]|\d)", text[pos : pos + 80])
            token = value.group(1) if value else ""
            if token and (colon or any(c.isdigit() for c in token) or "-" in token):
                yield Span(pos + value.start(1), pos + value.end(1), "id")  # type: ignore[union-attr]


def find_names(text: str | Text) -> Iterator[Span]:
    """Spans of person names in name contexts, and of PHI header-field values.

    Examples
    --------
    >>> text = "May represent frank edema. Discussed with Rose Hill; Dr. Bell agreed."
    >>> [text[s.start : s.end] for s in find_names(text)]
    ['Bell', 'Rose Hill']
    """
    source = text if isinstance(text, Text) else Text(text)
    yield from find_context_names(source)
    yield from find_field_names(source)


def find_context_names(text: str | Text) -> Iterator[Span]:
    """Names after or before a name context (title, "d/w", relation, credential).

    These read a name across a line break only in a text whose lines are joined
    (:func:`cxrkit.reports._flat.flatten`), as :func:`cxrkit.reports.deid.find_text_phi` does.
    """
    source = text if isinstance(text, Text) else Text(text)
    raw = source.text
    lex, ctx = lexicon(), _contexts()
    for match in ctx["title"].finditer(source):
        run = _name_run(raw, match.end(), lex, strict=False, title=True)
        if run is None and match.group().lower() in _LOWER_TITLES:
            run = _lower_run(raw, match.end(), lex, census=False)
        if run:
            yield Span(*run, "name")
    for kind in ("before", "relation", "weak", "person"):
        for match in ctx[kind].finditer(source):
            run = _name_run(raw, match.end(), lex, strict=True)
            if run is None and kind == "before":
                run = _lower_run(raw, match.end(), lex, census=True)
            if run and (name := _accepted(kind, match.group(), raw, run, lex)):
                yield Span(*name, "name")
    for match in ctx["after"].finditer(source):
        run = _before_name(raw, match.start(), lex)
        if run:
            yield Span(*run, "name")


def find_field_names(text: str | Text) -> Iterator[Span]:
    """Line-based names: signature lines and the values of PHI header fields."""
    source = text if isinstance(text, Text) else Text(text)
    lex, ctx = lexicon(), _contexts()
    for match in ctx["signature"].finditer(source):
        yield Span(match.start("v"), match.end("v"), "name")
    yield from _label_spans(source, lex, ctx["label"])
