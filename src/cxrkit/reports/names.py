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

from cxrkit.reports.lexicon import Lexicon, lexicon, read_lines
from cxrkit.reports.patterns import Span

__all__ = ["find_names"]

# One word of a name: Title case (Bell, McDonald, O'Neil, Smith-Jones), upper case (BELL), or
# an initial (J. or J).
_WORD = r"(?:Mc|Mac|O['’]|D['’])?[A-Z][a-z]+(?:['’-][A-Z]?[a-z]+)?|[A-Z]{2,}(?:['’-][A-Z]+)?"
_INITIAL = r"[A-Z]\.(?!\w)|(?!I\b)[A-Z](?![\w.'’-])"
_TOKEN = re.compile(rf"(?:{_WORD}|{_INITIAL})")


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
    text: str, pos: int, lex: Lexicon, *, strict: bool, comma: bool = False
) -> tuple[int, int] | None:
    """The name that starts at ``pos`` (after spaces): up to four words on one line.

    With ``strict`` (a weak context such as "by" or "from") the first word must be a Title
    case word that is a census name or not an ordinary word.
    """
    i = _skip_space(text, pos)
    end_of_line = text.find("\n", i)
    limit = len(text) if end_of_line < 0 else end_of_line
    start, end, words = i, -1, 0
    comma_used, initials = False, 0
    while words < 4:
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
        i = end
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
    return start, end


def _comma_ok(text: str, pos: int, lex: Lexicon) -> bool:
    """A "FAMILY, GIVEN" form: the word after the comma is a given name."""
    match = _TOKEN.match(text, pos + 2)
    return bool(match) and match.group().upper() in lex.given  # type: ignore[union-attr]


def _has_census_word(name: str, lex: Lexicon) -> bool:
    words = (w.strip(".,") for w in name.split())
    return any(len(w) > 1 and lex.is_name(w) for w in words)


def _strong_first(word: str, lex: Lexicon) -> bool:
    if len(word) < 2 or word.endswith("."):
        return False
    if word.isupper():
        return lex.is_name(word) and not lex.is_common(word)
    return lex.is_name(word) or not lex.is_common(word)


@functools.cache
def _contexts() -> dict[str, re.Pattern[str]]:
    lex = lexicon()

    def alternation(kind: str) -> str:
        phrases = sorted(lex.contexts.get(kind, ()), key=len, reverse=True)
        return "|".join(re.escape(p) for p in phrases)

    labels = "|".join(re.escape(k) for k in sorted(lex.labels, key=len, reverse=True))
    return {
        "title": re.compile(rf"(?i)(?<![\w.])(?:{alternation('title')})(?=[\s.])\.?"),
        "before": re.compile(rf"(?i)(?<![\w/])(?:{alternation('before')})(?![\w/])[:,]?"),
        "weak": re.compile(rf"(?i)(?<![\w/])(?:{alternation('weak')})(?![\w/])[:,]?"),
        "relation": re.compile(rf"(?i)\b(?:{alternation('relation')})(?:'s)?\b,?"),
        "after": re.compile(
            r"(?:,\s*(?:PA-C|PA|DO|D\.O\.|RT)|,?\s+(?:MD|M\.D\.|RN|NP|PhD|Ph\.D\.|RT\(R\)|MBBS))"
            rf"(?![\w(:])|\s+\((?i:{alternation('relation')})\)"
        ),
        "label": re.compile(
            rf"(?im)(?:^[ \t]*|(?<=[ \t]{{2}})|(?<=\())(?P<label>{labels})[ \t]*(?P<sep>[:#]?)"
        ),
        "signature": re.compile(
            rf"(?m)^[ \t]*(?P<v>(?:(?:{_WORD}|[A-Z]\.?)[ \t]){{1,3}}(?:{_WORD}))"
            r"[ \t]+(?=\d{1,2}[/-]\d{1,2}[/-]\d{2,4}|\d{4}-\d\d-\d\d)"
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


def _label_spans(text: str, lex: Lexicon, pattern: re.Pattern[str]) -> Iterator[Span]:
    for match in pattern.finditer(text):
        kind = lex.labels[match.group("label").lower()]
        colon = bool(match.group("sep"))
        pos = match.end()
        if kind == "name" and colon:
            lead = len(text[pos : pos + 20]) - len(text[pos : pos + 20].lstrip(" \t"))
            title = _contexts()["title"].match(text, pos + lead)
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


def find_names(text: str) -> Iterator[Span]:
    """Spans of person names in name contexts, and of PHI header-field values.

    Examples
    --------
    >>> text = "May represent frank edema. Discussed with Rose Hill; Dr. Bell agreed."
    >>> [text[s.start : s.end] for s in find_names(text)]
    ['Bell', 'Rose Hill']
    """
    lex, ctx = lexicon(), _contexts()
    for match in ctx["title"].finditer(text):
        run = _name_run(text, match.end(), lex, strict=False)
        if run:
            yield Span(*run, "name")
    for kind in ("before", "relation", "weak"):
        for match in ctx[kind].finditer(text):
            run = _name_run(text, match.end(), lex, strict=True)
            if run and (kind != "weak" or _has_census_word(text[run[0] : run[1]], lex)):
                yield Span(*run, "name")
    for match in ctx["after"].finditer(text):
        run = _before_name(text, match.start(), lex)
        if run:
            yield Span(*run, "name")
    for match in ctx["signature"].finditer(text):
        yield Span(match.start("v"), match.end("v"), "name")
    yield from _label_spans(text, lex, ctx["label"])
