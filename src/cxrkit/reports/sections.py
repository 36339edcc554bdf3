"""Report sections (S11), in the shape of MIT-LCP's ``mimic_cxr_sectioned.csv``.

Headers are found at the start of a line, in upper or lower case, with or without leading
spaces, followed by ``:`` (and text, or nothing on that line) or alone on their line — or,
for a known header in upper or Title case with a colon, after the end of a sentence in the
middle of a line — and mapped to normalised names (``_data/section_headers.txt``,
misspellings included). The text to label is the last impression, else the findings, else
the last paragraph, else the comparison.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cxrkit.release.layout import write_atomic
from cxrkit.reports.lexicon import read_lines

__all__ = ["SECTIONED_COLUMNS", "Sections", "parse_sections", "section_counts", "write_sectioned"]

#: Columns of ``mimic_cxr_sectioned.csv``.
SECTIONED_COLUMNS = ("study", "impression", "findings", "last_paragraph", "comparison")
_HEADER = re.compile(r"(?m)^[ \t]*(?P<h>[A-Za-z][A-Za-z /()&'-]{0,40}?)[ \t]*(?P<c>:|$)")
# The same after a line break: a pattern that starts with a literal is searched fast (one
# that starts with ``^`` is tried at every position).
_NEXT_HEADER = re.compile(r"(?m)\n[ \t]*(?P<h>[A-Za-z][A-Za-z /()&'-]{0,40}?)[ \t]*(?P<c>:|$)")
# A known header in the middle of a line, after the end of a sentence ("… PA AND LAT.
# FINDINGS: …"), as in reports whose line breaks were lost on the way from the RIS.
_MIDLINE = re.compile(r"[.;?!][ \t]+(?P<h>[A-Z][A-Za-z /()&'-]{2,40}?)[ \t]*:")
_BLANK = re.compile(r"\n[ \t]*\n")
#: Sections that end at a blank line: a paragraph after them without a header is not theirs.
_ONE_PARAGRAPH = frozenset({"comparison", "technique", "indication", "history", "examination"})


@dataclass(frozen=True)
class Sections:
    """The sections of one report, in order, and its last paragraph.

    Attributes
    ----------
    parts
        ``(name, text)`` pairs in report order; text before the first header is named
        ``preamble``; paragraphs without a header after a one-paragraph section
        (comparison, technique, indication, history, examination) are ``unlabeled``; a
        name may repeat (two impressions).
    last_paragraph
        The last blank-line separated paragraph, stripped.
    """

    parts: tuple[tuple[str, str], ...]
    last_paragraph: str

    def get(self, name: str) -> str:
        """The text of the last section called ``name`` that has text, or ``""``."""
        for key, text in reversed(self.parts):
            if key == name and text:
                return text
        return ""

    @property
    def label_section(self) -> str:
        """``impression``, else ``findings``, else ``last_paragraph``, else ``comparison``."""
        for name in ("impression", "findings"):
            if self.get(name):
                return name
        if self.last_paragraph:
            return "last_paragraph"
        return "comparison" if self.get("comparison") else ""

    @property
    def label_text(self) -> str:
        """The text a labeler should read (``""`` when the report has no usable text)."""
        name = self.label_section
        return self.last_paragraph if name == "last_paragraph" else self.get(name) if name else ""

    def row(self, study: str) -> dict[str, str]:
        """A ``mimic_cxr_sectioned.csv`` row, whitespace collapsed."""
        values = {
            "impression": self.get("impression"),
            "findings": self.get("findings"),
            "last_paragraph": self.last_paragraph,
            "comparison": self.get("comparison"),
        }
        return {"study": study, **{k: " ".join(v.split()) for k, v in values.items()}}


@functools.cache
def _names() -> dict[str, str]:
    table: dict[str, str] = {}
    for line in read_lines("section_headers.txt"):
        name, _, header = line.partition(":")
        table[" ".join(header.lower().split())] = name.strip()
    return table


def normalise_header(header: str) -> str | None:
    """The normalised name of a section header, or ``None`` if it is not one.

    Examples
    --------
    >>> normalise_header(" IMPRESSON"), normalise_header("Comparisons"), normalise_header("Pt")
    ('impression', 'comparison', None)
    """
    key = " ".join(header.lower().split())
    table = _names()
    if key in table:
        return table[key]
    if key.endswith("s") and key[:-1] in table:
        return table[key[:-1]]
    return None


def _line_headers(text: str) -> list[re.Match[str]]:
    """The matches of ``_HEADER`` in ``text`` (each within its line, found from its start)."""
    first = _HEADER.match(text)
    return [first, *_NEXT_HEADER.finditer(text)] if first else list(_NEXT_HEADER.finditer(text))


def _headers(text: str) -> list[tuple[int, int, str]]:
    found = []
    for match in _line_headers(text):
        header = match.group("h")
        name = normalise_header(header)
        if name is None and match.group("c") and header.isupper() and len(header) >= 4:
            name = "_".join(header.lower().split())  # an unknown upper-case header
        if name is not None and (match.group("c") or header.strip().isupper()):
            found.append((match.start("h"), match.end(), name))
    for match in _MIDLINE.finditer(text):
        header = match.group("h")
        name = normalise_header(header)
        if name is not None and (header.isupper() or header.istitle()):
            found.append((match.start("h"), match.end(), name))
    found.sort()
    return [h for k, h in enumerate(found) if k == 0 or h[0] >= found[k - 1][1]]


def last_paragraph(text: str) -> str:
    """The last non-empty blank-line separated paragraph of ``text``, stripped."""
    paragraphs = [p.strip() for p in _BLANK.split(text) if p.strip()]
    return paragraphs[-1] if paragraphs else ""


def parse_sections(text: str) -> Sections:
    """The sections of a report body.

    Examples
    --------
    >>> s = parse_sections(" FINDINGS:  Clear lungs.\\n \\n impression:\\n No acute process.")
    >>> s.get("findings"), s.label_section, s.label_text
    ('Clear lungs.', 'impression', 'No acute process.')
    """
    headers = _headers(text)
    parts: list[tuple[str, str]] = []
    first = headers[0][0] if headers else len(text)
    if text[:first].strip():
        parts.append(("preamble", text[:first].strip()))
    for k, (_, end, name) in enumerate(headers):
        stop = headers[k + 1][0] if k + 1 < len(headers) else len(text)
        body = text[end:stop].strip()
        blank = _BLANK.search(body) if name in _ONE_PARAGRAPH else None
        if blank:
            parts.append((name, body[: blank.start()].strip()))
            parts.append(("unlabeled", body[blank.end() :].strip()))
        else:
            parts.append((name, body))
    return Sections(tuple(parts), last_paragraph(text))


def section_counts(sections: Iterable[Sections]) -> dict[str, int]:
    """Reports with an impression, with findings only, and with neither (S11).

    Examples
    --------
    >>> section_counts([parse_sections("IMPRESSION: x"), parse_sections("FINDINGS: y")])
    {'reports': 2, 'impression': 1, 'findings_only': 1, 'neither': 0}
    """
    counts = {"reports": 0, "impression": 0, "findings_only": 0, "neither": 0}
    for s in sections:
        counts["reports"] += 1
        key = (
            "impression"
            if s.get("impression")
            else "findings_only"
            if s.get("findings")
            else "neither"
        )
        counts[key] += 1
    return counts


def write_sectioned(rows: Iterable[dict[str, str]], path: Path) -> int:
    """Write ``mimic_cxr_sectioned.csv`` rows sorted by study; return how many."""
    ordered = sorted(rows, key=lambda r: r["study"])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SECTIONED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(ordered)
    write_atomic(path, buffer.getvalue().encode("utf-8"))
    return len(ordered)
