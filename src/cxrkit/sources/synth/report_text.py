"""Lay out a synthetic report: wrap paragraphs at 79 characters and track PHI offsets.

A report is written as *pieces*: ``(text, kind)`` pairs where ``kind`` is ``""`` for plain
text, a PHI category from :data:`cxrkit.sources.synth.truth.CATEGORIES`, or a zero-width
section marker ``"@open:<name>"`` / ``"@close:<name>"``. Plain text may be broken at spaces;
a PHI piece is never split, and neither is anything glued to it without a space (``Dr. Bell.``
breaks only before ``Dr.``). The writer records the exact character span of every PHI piece
and of every marked section in the final text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cxrkit.sources.synth.truth import TextPHI

#: Longest line, as in MIMIC-CXR reports (leading space included).
WIDTH = 79
#: Every line starts with one space, as MIMIC-CXR's report lines do.
INDENT = " "
#: The segment separator: a line made only of underscores (after the indent).
SEPARATOR = INDENT + "_" * (WIDTH - len(INDENT))

Piece = tuple[str, str]

_SPACES = re.compile(r"( +)")


def plain(text: str) -> Piece:
    """A piece of plain (breakable, non-PHI) text."""
    return (text, "")


def phi(value: str, category: str) -> Piece:
    """A PHI piece: never split across lines, recorded as a :class:`TextPHI`."""
    return (value, category)


def open_mark(section: str) -> Piece:
    """Zero-width marker where the text of ``section`` starts."""
    return ("", f"@open:{section}")


def close_mark(section: str) -> Piece:
    """Zero-width marker where the text of ``section`` ends."""
    return ("", f"@close:{section}")


#: A zero-width piece that ends the line where it stands (a PHI value split on purpose).
BREAK: Piece = ("", "@break")


@dataclass
class _Atom:
    """An unbreakable run of pieces and the number of spaces before it."""

    lead: int
    pieces: list[Piece] = field(default_factory=list)
    width: int = 0
    newline: bool = False

    def add(self, text: str, kind: str) -> None:
        self.pieces.append((text, kind))
        self.width += len(text)


def _atoms(pieces: list[Piece]) -> list[_Atom]:
    atoms: list[_Atom] = []
    current = _Atom(0)
    for text, kind in pieces:
        if kind == BREAK[1]:
            if current.pieces:
                atoms.append(current)
            atoms.append(_Atom(0, newline=True))
            current = _Atom(0)
            continue
        if kind:
            current.add(text, kind)
            continue
        for part in _SPACES.split(text):
            if not part:
                continue
            if part[0] == " ":
                if current.pieces:
                    atoms.append(current)
                current = _Atom(len(part) if current.pieces or atoms else 0)
            else:
                current.add(part, "")
    if current.pieces:
        atoms.append(current)
    return atoms


def wrap(pieces: list[Piece], width: int = WIDTH) -> list[list[Piece]]:
    """Break ``pieces`` into lines of at most ``width`` characters, indent included.

    An atom longer than a whole line stays whole on a line of its own.

    Examples
    --------
    >>> lines = wrap([plain("word " * 30)])
    >>> [sum(len(text) for text, _ in line) for line in lines]
    [75, 75]
    """
    total = sum(len(text) for text, _ in pieces)
    if (
        total + len(INDENT) <= width
        and pieces
        and not (pieces[0][0].startswith(" ") or pieces[-1][0].endswith(" "))
        and BREAK not in pieces
    ):
        return [[plain(INDENT), *pieces]]  # fits as it is
    lines: list[list[Piece]] = []
    line: list[Piece] = []
    used = 0
    for atom in _atoms(pieces):
        if atom.newline:
            if line:
                lines.append(line)
            line, used = [], 0
            continue
        if line and used + atom.lead + atom.width <= width:
            line.append(plain(" " * atom.lead))
            used += atom.lead
        else:
            if line:
                lines.append(line)
            line, used = [plain(INDENT)], len(INDENT)
        line.extend(atom.pieces)
        used += atom.width
    if line:
        lines.append(line)
    return lines


class TextWriter:
    """Accumulate report lines, recording PHI spans and marked section spans."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._pos = 0
        self._open: dict[str, int] = {}
        self.phi: list[TextPHI] = []
        self.sections: dict[str, tuple[int, int]] = {}

    @property
    def pos(self) -> int:
        """Offset where the next character will go."""
        return self._pos

    def _put(self, text: str) -> None:
        self._parts.append(text)
        self._pos += len(text)

    def _newline(self) -> None:
        if self._parts:
            self._put("\n")

    def _piece(self, text: str, kind: str) -> None:
        if kind.startswith("@open:"):
            self._open[kind[6:]] = self._pos
        elif kind.startswith("@close:"):
            self.sections[kind[7:]] = (self._open.pop(kind[7:]), self._pos)
        elif kind and text:
            self.phi.append(TextPHI(self._pos, self._pos + len(text), kind, text))
        self._put(text)

    def line(self, pieces: list[Piece]) -> None:
        """Write one line exactly as given (no wrapping)."""
        self._newline()
        run: list[str] = []
        for text, kind in pieces:
            if kind:
                self._put("".join(run))
                run = []
                self._piece(text, kind)
            else:
                run.append(text)
        self._put("".join(run))

    def para(self, pieces: list[Piece]) -> None:
        """Write ``pieces`` wrapped at :data:`WIDTH`."""
        for line in wrap(pieces):
            self.line(line)

    def blank(self) -> None:
        """Write an empty line (a lone space, as in MIMIC-CXR)."""
        self.line([plain(INDENT)])

    def separator(self) -> None:
        """Write the underscore line that separates report segments."""
        self.line([plain(SEPARATOR)])

    def text(self) -> str:
        return "".join(self._parts)


def last_paragraph(text: str, start: int, end: int) -> str:
    """The last paragraph (blank-line separated) of ``text[start:end]``, stripped."""
    blocks: list[tuple[int, int]] = []
    offset, block_start, block_end = start, -1, -1
    for line in text[start:end].split("\n"):
        if line.strip():
            if block_start < 0:
                block_start = offset
            block_end = offset + len(line)
        elif block_start >= 0:
            blocks.append((block_start, block_end))
            block_start = -1
        offset += len(line) + 1
    if block_start >= 0:
        blocks.append((block_start, block_end))
    if not blocks:
        return ""
    return text[blocks[-1][0] : blocks[-1][1]].strip()
