"""Needle scanning for the per-study deny-list, without compiling a regex per study.

Every study has its own values, so compiling them into patterns costs more than the search.
These scanners find the literal needles with :meth:`str.find` and check the boundary
characters by hand; they return exactly the spans Python's ``re`` would for the patterns they
stand for (each function names its pattern): leftmost first, the first alternative in
longest-first order, non-overlapping. ``\\w`` is ``str.isalnum()`` or ``_`` and ``\\d`` is
``str.isdecimal()``, as in ``re``; case-insensitive needles are compared under ``re``'s
simple case folding (:func:`fold`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

__all__ = ["fold", "literal_spans", "name_spans", "phone_spans"]

Spans = list[tuple[int, int]]

# Characters ``re.IGNORECASE`` treats as equal beyond their lowercase forms.
_EXTRA_CASES = "iı sſ µμ ͅιι ΐΐ ΰΰ βϐ εϵ θϑ κϰ πϖ ρϱ σς φϕ вᲀ дᲁ оᲂ сᲃ тᲄᲅ ъᲆ ѣᲇ ꙋᲈ ṡẛ ﬅﬆ"
_CANON = {c: min(group) for group in _EXTRA_CASES.split() for c in group}
_PHONE_GAP = " .()-"
_SPACE = " \t"


@functools.cache
def _fold_char(c: str) -> str:
    low = c.lower()
    low = low if len(low) == 1 else ("i" if c == "\u0130" else c)
    return _CANON.get(low, low)


def fold(text: str) -> str:
    """``text`` with each character replaced by its ``re.IGNORECASE`` class representative.

    Examples
    --------
    >>> fold("MRN-Q7x")
    'mrn-q7x'
    """
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(c) for c in text)


def _blocker(extra: str) -> Callable[[str], bool]:
    return lambda c: c.isalnum() or c == "_" or c in extra


_NAME_EDGE = _blocker("'’-")
_INITIAL_BEFORE = _blocker(".")


def _starts(haystack: str, needles: Iterable[str]) -> dict[int, list[int]]:
    """Start offset -> lengths of the needles found there (longest first)."""
    found: dict[int, list[int]] = {}
    for needle in needles:
        at = haystack.find(needle)
        while at >= 0:
            found.setdefault(at, []).append(len(needle))
            at = haystack.find(needle, at + 1)
    for lengths in found.values():
        lengths.sort(reverse=True)
    return found


def literal_spans(
    text: str, needles: Iterable[str], edge: str = "", *, icase: bool = False
) -> Spans:
    """The spans of ``(?<![\\w{edge}])(?:needle|…)(?![\\w{edge}])`` (``(?i)`` if ``icase``).

    Examples
    --------
    >>> text = "MRN 00381763, acc A-00381763; 00381763X"
    >>> literal_spans(text, ["00381763"], "/-")
    [(4, 12)]
    """
    blocked = _blocker(edge)
    haystack = fold(text) if icase else text
    keys = {fold(n) if icase else n for n in needles}
    found = _starts(haystack, keys)
    spans: Spans = []
    last, n = 0, len(text)
    for start in sorted(found):
        if start < last or (start and blocked(text[start - 1])):
            continue
        for length in found[start]:
            end = start + length
            if end == n or not blocked(text[end]):
                spans.append((start, end))
                last = end
                break
    return spans


def phone_spans(text: str, digits: str) -> Spans:
    """The spans of ``(?<!\\d)\\(?d[ .()\\-]{0,2}d…(?!\\d)`` for the digit string ``digits``.

    Examples
    --------
    >>> phone_spans("call (555) 123-4567 or 5551234567", "5551234567")
    [(5, 19), (23, 33)]
    """
    spans: Spans = []
    last = 0
    at = text.find(digits[0])
    while at >= 0:
        end = _phone_end(text, at, digits)
        start = at - 1 if at and text[at - 1] == "(" else at
        if start and text[start - 1].isdecimal():
            start = at if start < at else -1
        if end is not None and start >= last:
            spans.append((start, end))
            last = end
        at = text.find(digits[0], max(at + 1, last))
    return spans


def _phone_end(text: str, at: int, digits: str) -> int | None:
    n, pos = len(text), at + 1
    for digit in digits[1:]:
        gap = 0
        while gap < 2 and pos < n and text[pos] in _PHONE_GAP:
            pos, gap = pos + 1, gap + 1
        if pos == n or text[pos] != digit:
            return None
        pos += 1
    return None if pos < n and text[pos].isdecimal() else pos


def name_spans(text: str, strong: frozenset[str], forms: Iterable[str]) -> tuple[Spans, ...]:
    """The spans of the three deny-list name patterns, in this order.

    With ``W`` the alternation of ``forms`` (the cased name parts), ``E`` = ``[\\w'’-]`` and
    ``U`` = ``(?:W|[A-Z]\\.|[A-Z](?=[ \\t,]))``: the ``strong`` parts alone
    ``(?<!E)(?:S)(?!E)``; a part followed by more parts or initials
    ``(?<!E)W(?:,?[ \\t]+U)+(?!E)``; initials before a part
    ``(?<![\\w.])(?:[A-Z]\\.?[ \\t]+)+W(?!E)``.

    Examples
    --------
    >>> text = "Hill, Rose M saw R. Hill; Hill."
    >>> name_spans(text, frozenset({"Hill"}), ["Rose", "Hill"])
    ([(0, 4), (20, 24), (26, 30)], [(0, 12)], [(17, 24)])
    """
    found = _starts(text, set(forms))
    n = len(text)
    strong_spans: Spans = []
    runs: Spans = []
    last_strong = last_run = 0
    for start in sorted(found):
        if start and _NAME_EDGE(text[start - 1]):
            continue
        if start >= last_strong:
            for length in found[start]:
                end = start + length
                if text[start:end] in strong and (end == n or not _NAME_EDGE(text[end])):
                    strong_spans.append((start, end))
                    last_strong = end
                    break
        if start >= last_run and (run := _run_end(text, start, found)) is not None:
            runs.append((start, run))
            last_run = run
    return strong_spans, runs, _initial_spans(text, found)


def _run_end(text: str, start: int, found: dict[int, list[int]]) -> int | None:
    memo: dict[int, int | None] = {}
    for length in found[start]:
        for nxt in _next_units(text, start + length, found):
            if (end := _more_units(text, nxt, found, memo)) is not None:
                return end
    return None


def _more_units(
    text: str, pos: int, found: dict[int, list[int]], memo: dict[int, int | None]
) -> int | None:
    """The end of ``(?:,?[ \\t]+U)*(?!E)`` from ``pos`` (``re``'s backtracking, no recursion)."""
    stack = [(pos, iter(_next_units(text, pos, found)))]
    result: int | None = None
    while stack:
        at, options = stack[-1]
        if result is None and (nxt := next(options, None)) is not None:
            if nxt in memo:
                result = memo[nxt]
            else:
                stack.append((nxt, iter(_next_units(text, nxt, found))))
            continue
        if result is None and (at == len(text) or not _NAME_EDGE(text[at])):
            result = at  # no further unit: the run ends here
        memo[at] = result
        stack.pop()
    return result


def _next_units(text: str, pos: int, found: dict[int, list[int]]) -> list[int]:
    """The ends of ``,?[ \\t]+U`` from ``pos``, in ``re``'s order."""
    gap = pos + 1 if pos < len(text) and text[pos] == "," else pos
    unit = gap
    while unit < len(text) and text[unit] in _SPACE:
        unit += 1
    return _unit_ends(text, unit, found) if gap < unit < len(text) else []


def _unit_ends(text: str, at: int, found: dict[int, list[int]]) -> list[int]:
    ends = [at + length for length in found.get(at, ())]
    if "A" <= text[at] <= "Z" and at + 1 < len(text):
        if text[at + 1] == ".":
            ends.append(at + 2)
        if text[at + 1] in " \t,":
            ends.append(at + 1)
    return ends


def _initial_spans(text: str, found: dict[int, list[int]]) -> Spans:
    starts: set[int] = set()
    for word in found:
        right = word
        while True:
            left = right
            while left and text[left - 1] in _SPACE:
                left -= 1
            if left == right or not left:
                break
            if text[left - 1] == "." and left > 1:
                left -= 1
            if not "A" <= text[left - 1] <= "Z":
                break
            right = left - 1
            starts.add(right)
    spans: Spans = []
    last = 0
    for start in sorted(starts):
        if start < last or (start and _INITIAL_BEFORE(text[start - 1])):
            continue
        if (end := _initials_end(text, start, found)) is not None:
            spans.append((start, end))
            last = end
    return spans


def _initials_end(text: str, start: int, found: dict[int, list[int]]) -> int | None:
    n, pos, chain = len(text), start, []
    while pos < n and "A" <= text[pos] <= "Z":
        gap = pos + 2 if pos + 1 < n and text[pos + 1] == "." else pos + 1
        nxt = gap
        while nxt < n and text[nxt] in _SPACE:
            nxt += 1
        if nxt == gap:
            break
        chain.append(nxt)
        pos = nxt
    for word in reversed(chain):
        for length in found.get(word, ()):
            end = word + length
            if end == n or not _NAME_EDGE(text[end]):
                return end
    return None
