"""A report's paragraphs with their line breaks read as one space, and the way back.

A wrapped report breaks its lines at any space, so a multi-word PHI value ("Lakeshore
General⏎Hospital", "Dr. Rose⏎Hill", "lives in⏎Cedar Falls") can be split from the rule
that finds it. :func:`flatten` joins the lines of each paragraph: every line break between
two non-blank lines, with the blanks around it, becomes one space. Blank lines (paragraph
and segment boundaries) stay. :meth:`Flat.span` maps a span of the flat text back to the
original one. Line-based rules (header fields, signature lines, sections) keep reading the
original text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

__all__ = ["Flat", "flatten"]

# A line break and the blanks after it, before a non-blank character (the blanks before it
# and the non-blank character before those are checked by hand: a pattern that starts with
# a literal is searched fast).
_BREAK = re.compile(r"\n[ \t]*(?=\S)")
# A line of underscores (or dashes, equals signs) between segments: its own paragraph.
_RULE_LINE = re.compile(r"[_=-]{10,}[ \t]*(?:\n|\Z)")
_RULE = re.compile(r"[ \t]*[_=-]{10,}")


@dataclass(frozen=True)
class Flat:
    """``text``, the original's paragraphs each on one line, and the offset map back.

    ``flat[i]`` and ``orig[i]`` are offsets where a run of unchanged text starts in the flat
    and in the original text; the runs are separated by the joined line breaks.
    """

    text: str
    flat: tuple[int, ...]
    orig: tuple[int, ...]

    def offset(self, pos: int) -> int:
        """The original offset of flat offset ``pos``.

        The joining space maps to where its blanks start; the offset after it to where the
        next line's text starts.
        """
        i = bisect_right(self.flat, pos) - 1
        return self.orig[i] + (pos - self.flat[i])

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``(start, end)`` of the flat span ``text[start:end]``."""
        if len(self.flat) == 1:
            return start, end
        if end > start:
            return self.offset(start), self.offset(end - 1) + 1
        return self.offset(start), self.offset(start)


def flatten(text: str) -> Flat:
    """``text`` with each line break inside a paragraph, and its blanks, made one space.

    Examples
    --------
    >>> f = flatten(" seen at Lakeshore General\\n Hospital, Dover.\\n \\n IMPRESSION:")
    >>> f.text
    ' seen at Lakeshore General Hospital, Dover.\\n \\n IMPRESSION:'
    >>> start = f.text.index("General Hospital")
    >>> f.span(start, start + len("General Hospital"))
    (19, 36)
    """
    if "\n" not in text:
        return Flat(text, (0,), (0,))
    parts: list[str] = []
    flat, orig = [0], [0]
    pos = size = 0
    for match in _BREAK.finditer(text):
        start = match.start()
        while start > pos and text[start - 1] in " \t":
            start -= 1
        if start == pos or text[start - 1] == "\n":
            continue  # after a blank line (or a break already joined): a paragraph starts
        if _rule_line_near(text, start, match.end()):
            continue  # a segment's underscore line is no part of a paragraph
        parts.append(text[pos:start])
        size += start - pos
        # the joining space maps to the start of the blanks
        parts.append(" ")
        flat.append(size)
        orig.append(start)
        size += 1
        pos = match.end()
        flat.append(size)
        orig.append(pos)
    if pos == 0:
        return Flat(text, (0,), (0,))
    parts.append(text[pos:])
    return Flat("".join(parts), tuple(flat), tuple(orig))


def _rule_line_near(text: str, before: int, after: int) -> bool:
    """Whether the line ending at ``before`` or the one starting at ``after`` is a rule."""
    if text[after] in "_=-" and _RULE_LINE.match(text, after):
        return True
    line = text.rfind("\n", 0, before) + 1
    return text[before - 1] in "_=-" and _RULE.fullmatch(text, line, before) is not None
