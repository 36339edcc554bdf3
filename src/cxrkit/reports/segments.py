"""Report segments (S9): split on underscore lines, keep addendum and body, drop the header
and clinical-information segments, remove the electronic signature, wrap at 79 characters.
"""

from __future__ import annotations

import functools
import re
import textwrap
from dataclasses import dataclass

from cxrkit.reports.lexicon import read_lines

__all__ = ["Segments", "split_segments", "strip_signature", "wrap_lines"]

#: Longest line of a released report (MIMIC-CXR).
WIDTH = 79
_SEPARATOR = re.compile(r"(?m)^[ \t]*_{8,}[ \t]*$")
_FINAL = re.compile(r"(?im)^[ \t]*FINAL REPORT\b")
_ADDENDUM = re.compile(r"(?i)^\s*ADDENDUM\b")
_DATE = r"(?:\d{1,2}[/-]\d{1,2}[/-]\d{2,4}|\d{4}-\d\d-\d\d|___)"
_NAME_DATE = re.compile(
    rf"^(?:DR\.?\s+)?(?:[A-Z][A-Za-z'’.-]*\s+){{1,4}}{_DATE}(?:\s+\d{{1,2}}:\d\d.*)?$"
)


@dataclass(frozen=True)
class Segments:
    """The segments of one report that a release keeps.

    Attributes
    ----------
    addendum
        The addendum segment without its signature, or ``""``.
    body
        The main body (``FINAL REPORT`` …) without its signature.
    dropped
        How many segments were dropped (header, clinical information).
    """

    addendum: str
    body: str
    dropped: int

    @property
    def text(self) -> str:
        """The kept text: addendum and body separated by an underscore line, wrapped."""
        parts = [p for p in (self.addendum, self.body) if p.strip()]
        separator = "\n " + "_" * (WIDTH - 1) + "\n"
        return wrap_lines(separator.join(parts))


@functools.cache
def _signature_line() -> re.Pattern[str]:
    alternatives = "|".join(f"(?:{p})" for p in read_lines("signatures.txt"))
    return re.compile(rf"(?i)^(?:{alternatives})$")


def strip_signature(segment: str) -> str:
    """``segment`` without the electronic-signature lines (and blank lines) at its end.

    Examples
    --------
    >>> strip_signature(" IMPRESSION: Clear.\\n \\n Electronically signed by: DR. X on 1/2/2015")
    ' IMPRESSION: Clear.'
    """
    lines = segment.rstrip().split("\n")
    signature = _signature_line().match
    while lines:
        for n in (1, 2):  # a signature line may have been wrapped onto two lines
            line = " ".join(part.strip() for part in lines[-n:])
            if len(lines) >= n and (not line or signature(line) or _NAME_DATE.match(line)):
                del lines[-n:]
                break
        else:
            break
    return "\n".join(lines)


def split_segments(text: str) -> Segments:
    """The addendum and body of a raw RIS report; header and clinical segments dropped.

    The body is the segment with ``FINAL REPORT``, else the last one; an addendum is a
    segment before it that starts with ``ADDENDUM``. Every other segment is dropped.

    Examples
    --------
    >>> raw = " PATIENT: X\\n ____________\\n FINAL REPORT\\n FINDINGS: Clear.\\n Signed by: Y"
    >>> split_segments(raw)
    Segments(addendum='', body=' FINAL REPORT\\n FINDINGS: Clear.', dropped=1)
    """
    parts = [p.strip("\n") for p in _split_on_separators(text)]
    parts = [p for p in parts if p.strip()]
    if not parts:
        return Segments("", "", 0)
    finals = [i for i, p in enumerate(parts) if _has_final(p)]
    body_index = finals[-1] if finals else len(parts) - 1
    addenda = [i for i, p in enumerate(parts[:body_index]) if _ADDENDUM.match(p)]
    addendum = "\n \n".join(strip_signature(parts[i]) for i in addenda)
    return Segments(
        addendum=addendum,
        body=strip_signature(parts[body_index]),
        dropped=len(parts) - 1 - len(addenda),
    )


def _split_on_separators(text: str) -> list[str]:
    """``_SEPARATOR.split(text)``, with the separator lines found from their underscores (a
    pattern that starts with ``^`` is tried at every position of the text)."""
    parts, pos = [], 0
    at = text.find("_" * 8)
    while at >= 0:
        line = text.rfind("\n", 0, at) + 1
        if line >= pos and (match := _SEPARATOR.match(text, line)) is not None:
            parts.append(text[pos : match.start()])
            pos = match.end()
        after = text.find("\n", at)
        at = -1 if after < 0 else text.find("_" * 8, after)
    parts.append(text[pos:])
    return parts


def _has_final(part: str) -> bool:
    """Whether ``_FINAL`` is found in ``part``: tried only on the lines where an ASCII part
    says "final report" (in any case)."""
    if not part.isascii():
        return _FINAL.search(part) is not None
    lower = part.lower()
    at = lower.find("final report")
    while at >= 0:
        if _FINAL.match(part, part.rfind("\n", 0, at) + 1):
            return True
        at = lower.find("final report", at + 1)
    return False


def wrap_lines(text: str, width: int = WIDTH) -> str:
    """``text`` with every line longer than ``width`` wrapped, keeping its indentation.

    Examples
    --------
    >>> max(len(line) for line in wrap_lines(" " + "word " * 40).split("\\n")) <= 79
    True
    """
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())][: width // 2]
        out.extend(
            textwrap.wrap(
                line.strip(),
                width=width,
                initial_indent=indent,
                subsequent_indent=indent,
                break_on_hyphens=False,
            )
        )
    return "\n".join(out)
