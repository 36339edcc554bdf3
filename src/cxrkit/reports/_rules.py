"""One regular expression, searched fast and with exactly the matches of its plain form.

Python's ``re`` skips ahead quickly only when a pattern starts with a literal or a character
class; a pattern that starts with an assertion (``\\b``, a look-behind) is tried at every
position of the text. A :class:`Rule` keeps the plain pattern (``lead + body``) and, for
ASCII text, searches the ``body`` alone and checks the zero-width ``lead`` at each match
start — the same matches, since the lead depends only on where a match starts. A ``gate`` is
a pattern that every match must contain: a text without it is skipped, and after each match
the search resumes where the next gate match could belong to a match (the start of its line,
for a rule whose matches never cross a line). ``words`` are words of which every match holds
one whole: a text none of whose words is among them is skipped without a search (the words
of a text are computed once, and a set lookup costs far less than a scan of the text).
``lower`` rules are case-insensitive patterns searched in the lower-cased text with
lower-case alternatives, which ``re`` can skip through. The fast forms are compiled with
``re.ASCII``: on ASCII text ``\\d``, ``\\w``, ``\\b`` and ``\\s`` mean what they mean in
Unicode (a text with the separators ``\\x1c``–``\\x1f``, blanks to Unicode ``\\s`` only,
takes the plain form), and ``re`` tests them with a table instead of a Unicode lookup.

``tests/reports/test_reports_rules.py`` checks the fast and the plain forms give the same
matches on the synthetic corpus, the Open-I reports and generated text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Set
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Rule", "Text", "alternation", "first_words"]

# Bytes of ASCII text: word characters (``\w``) kept (or lower-cased), the others made blanks.
_IS_WORD = [c < 128 and (chr(c).isalnum() or chr(c) == "_") for c in range(256)]
_WORD_BYTES = bytes(c if _IS_WORD[c] else 32 for c in range(256))
_LOWER_WORD_BYTES = bytes(ord(chr(c).lower()) if _IS_WORD[c] else 32 for c in range(256))


@dataclass(frozen=True)
class Text:
    """A text and what the fast searches need of it, computed once per text.

    ``ascii``: the text is ASCII, without the separators ``\\x1c``–``\\x1f`` (the only ASCII
    characters on which Unicode and ASCII ``\\s`` differ), so that the fast forms apply.
    """

    text: str
    ascii: bool = field(init=False)
    lower: str = field(init=False)

    def __post_init__(self) -> None:
        text = self.text
        ascii_ = text.isascii() and not any(c in text for c in "\x1c\x1d\x1e\x1f")
        object.__setattr__(self, "ascii", ascii_)
        object.__setattr__(self, "lower", self.text.lower() if ascii_ else self.text)

    @functools.cached_property
    def words(self) -> Set[bytes]:
        """The words of an ASCII text: its maximal runs of ``\\w`` characters (as bytes,
        which are split and hashed faster than strings).

        Examples
        --------
        >>> sorted(Text("Dr. O'Neil, 3/4: x_1").words)
        [b'3', b'4', b'Dr', b'Neil', b'O', b'x_1']
        """
        return set(self.text.encode().translate(_WORD_BYTES).split())

    @functools.cached_property
    def lower_words(self) -> Set[bytes]:
        """The words of the lower-cased ASCII text."""
        return set(self.text.encode().translate(_LOWER_WORD_BYTES).split())


@dataclass(frozen=True)
class Rule:
    """A pattern ``lead + body`` (``lead`` zero-width), with an optional gate.

    Parameters
    ----------
    body
        The pattern's first consuming part onwards.
    lead
        Zero-width assertions that precede ``body`` (``\\b``, ``(?<![\\w/])`` …), or "".
    category
        What a match is (``date``, ``phone`` …), for the caller.
    flags
        ``re`` flags of the plain pattern.
    gate
        A pattern every match contains (found by ``search`` from the match's start), or "".
    start
        Where a match can start, given the next gate match: ``"text"`` (anywhere: the gate
        only tells a text without matches), ``"line"`` (from the start of the gate's line:
        matches never cross a line break), ``"head"`` (only at the start of the gate's line:
        a pattern anchored by ``^``), ``"word"`` (in the run of letters, digits and hyphens
        that holds it, at or before it) or ``"blank"`` (only in the blanks, and the one comma
        before them, right in front of it).
    lower
        The plain pattern is case-insensitive and ``body`` is written in lower case.
    words
        Words (maximal runs of ``\\w``) of which every match holds one whole, in lower case
        for a ``lower`` rule: an ASCII text with none of them is not searched. Empty: no such
        words.
    """

    body: str
    lead: str = ""
    category: str = ""
    flags: int = 0
    gate: str = ""
    start: str = "text"
    lower: bool = False
    words: frozenset[str] = frozenset()
    plain: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _body: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _lead: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _gate: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _match: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _words: frozenset[bytes] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        extra = re.IGNORECASE if self.lower else 0
        fast_flags = (self.flags & ~re.IGNORECASE) | re.ASCII
        object.__setattr__(self, "_match", re.compile(self.lead + self.body, fast_flags))
        object.__setattr__(self, "plain", re.compile(self.lead + self.body, self.flags | extra))
        object.__setattr__(self, "_body", re.compile(self.body, fast_flags))
        lead = re.compile(self.lead, fast_flags) if self.lead else None
        object.__setattr__(self, "_lead", lead)
        gate = re.compile(self.gate, fast_flags) if self.gate else None
        object.__setattr__(self, "_gate", gate)
        # a word that is not ASCII is in no ASCII text
        object.__setattr__(self, "_words", frozenset(w.encode() for w in self.words if w.isascii()))
        if self.start not in ("text", "line", "head", "word", "blank"):
            raise ValueError(f"Rule start must be text, line, head, word or blank: {self.start!r}")

    def finditer(self, text: Text) -> Iterator[re.Match[str]]:
        """The matches of the plain pattern in ``text`` (on ``text.lower`` for lower rules).

        The matches are found before the first is returned (a report is short; a generator
        per rule and text cost more than the list).
        """
        if not text.ascii:
            return self.plain.finditer(text.text)
        if self.words and self._words.isdisjoint(text.lower_words if self.lower else text.words):
            return iter(())
        s = text.lower if self.lower else text.text
        gate = self._gate
        if gate is None or self.start == "text":
            if gate is not None and gate.search(s) is None:
                return iter(())
            if self._lead is None:
                return self._body.finditer(s)
            return iter(self._all(s))
        if self.start == "blank":
            return iter(self._anchored(s, gate))
        if self.start == "line":
            return iter(self._lines(s, gate))
        return iter(self._near(s, gate))

    def _all(self, s: str) -> list[re.Match[str]]:
        """The body's matches where the lead holds."""
        search, lead, found, pos = self._body.search, self._lead, [], 0
        while (match := search(s, pos)) is not None:
            start = match.start()
            if lead is None or lead.match(s, start):
                found.append(match)
                pos = match.end() if match.end() > start else start + 1
            else:
                pos = start + 1
        return found

    def _first(self, s: str, pos: int) -> re.Match[str] | None:
        """The body's first match from ``pos`` where the lead holds."""
        search, lead = self._body.search, self._lead
        while (match := search(s, pos)) is not None:
            if lead is None or lead.match(s, match.start()):
                return match
            pos = match.start() + 1
        return None

    def _lines(self, s: str, gate: re.Pattern[str]) -> list[re.Match[str]]:
        """Matches that never cross a line break, searched from the line of each gate match."""
        found: list[re.Match[str]] = []
        pos = 0
        while pos <= len(s):
            # the next match holds a gate match at or after ``pos`` (a long line is not
            # searched again from its start for every match)
            hit = gate.search(s, pos)
            if hit is None:
                break
            match = self._first(s, max(pos, s.rfind("\n", 0, hit.start()) + 1))
            if match is None:
                break
            found.append(match)
            pos = match.end() if match.end() > match.start() else match.start() + 1
        return found

    def _near(self, s: str, gate: re.Pattern[str]) -> list[re.Match[str]]:
        """Matches tried only where they can start: at the start of the gate match's line
        (``head``), or in its run of letters, digits and hyphens up to it (``word``)."""
        match, found, pos = self._match.match, [], 0
        while (hit := gate.search(s, pos)) is not None:
            at = hit.start()
            if self.start == "head":
                first = s.rfind("\n", 0, at) + 1
                anchors = range(first, first + 1 if first >= pos else first)
                after = s.find("\n", at) + 1 or len(s) + 1  # the next line
            else:
                first = at
                while first > pos and s[first - 1] in _WORD_CHARS:
                    first -= 1
                anchors, after = range(first, at + 1), at + 1
            for anchor in anchors:
                if (one := match(s, anchor)) is not None:
                    found.append(one)
                    pos = one.end() if one.end() > anchor else anchor + 1
                    break
            else:
                pos = after
        return found

    def _anchored(self, s: str, gate: re.Pattern[str]) -> list[re.Match[str]]:
        """Matches that start in the blanks (and one comma) before a gate match."""
        match, found, pos = self._match.match, [], 0
        while (hit := gate.search(s, pos)) is not None:
            end = hit.start()
            start = end
            while start > pos and s[start - 1].isspace():
                start -= 1
            if start > pos and s[start - 1] == ",":
                start -= 1
            for anchor in range(start, end + 1):
                if (one := match(s, anchor)) is not None:
                    found.append(one)
                    pos = max(one.end(), anchor + 1)
                    break
            else:
                pos = end + 1
        return found


def first_words(phrases: Iterable[str]) -> frozenset[str]:
    """The first word (run of ``\\w``) of each phrase: the ``words`` of a rule that matches
    the phrases from a word boundary, each phrase followed by a non-word character or ``\\b``.

    Examples
    --------
    >>> sorted(first_words(["discussed with", "d/w", "pcp"]))
    ['d', 'discussed', 'pcp']
    """
    words = set()
    for phrase in phrases:
        match = re.match(r"\w+", phrase)
        if match is None:
            raise ValueError(f"first_words() of a phrase that starts with no word: {phrase!r}")
        words.add(match.group())
    return frozenset(words)


_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")


def alternation(words: Iterable[str]) -> str:
    """A pattern that matches exactly ``words``, as a trie: the same matches as
    ``"|".join(sorted(words, key=len, reverse=True))``, but ``re`` leaves a branch after one
    character instead of trying every word in turn.

    Longer words are tried first at every branch point, so backtracking meets the matching
    words longest first, as in the sorted alternation.

    Examples
    --------
    >>> alternation(["May", "March", "Mar"])
    'Ma(?:r(?:ch)?|y)'
    >>> re.findall(alternation(["Mar", "March"]) + r"\\b", "March Mar Marc")
    ['March', 'Mar']
    """
    trie: dict[str, dict[str, Any]] = {}
    for word in set(words):
        if not word:
            raise ValueError("alternation() of an empty word")
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _emit(trie)


def _emit(node: dict[str, dict[str, Any]]) -> str:
    branches = [re.escape(char) + _emit(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:
        return f"(?:{body})?"
    return body
