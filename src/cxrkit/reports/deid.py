"""Report text de-identification (S10): every PHI span becomes exactly ``___``.

Three sources of spans are merged: the generic patterns (:mod:`cxrkit.reports.patterns`),
names in name contexts and PHI header fields (:mod:`cxrkit.reports.names`), and, when the
caller has one, the study's :class:`~cxrkit.reports.deny.TextDenyList`. Without a deny-list this
is a standalone de-identifier for any clinical text (``cxrkit deid-text``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cxrkit.reports._flat import flatten
from cxrkit.reports._rules import Text
from cxrkit.reports.deny import TextDenyList
from cxrkit.reports.names import find_context_names, find_field_names
from cxrkit.reports.patterns import Span, find_patterns
from cxrkit.reports.places import find_places, towns_after

__all__ = ["PLACEHOLDER", "deidentify_text", "find_text_phi", "redact"]

#: What every PHI span is replaced with, as in MIMIC-CXR.
PLACEHOLDER = "___"
_TIME = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?(?:\s*[aApP]\.?[mM]\.?)?$")


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Overlapping or touching spans merged into one, in text order.

    Examples
    --------
    >>> merge_spans([Span(4, 8, "date"), Span(0, 5, "name"), Span(10, 12, "id")])
    [Span(start=0, end=8, category='name'), Span(start=10, end=12, category='id')]
    """
    merged: list[Span] = []
    for span in sorted(spans):
        if merged and span.start <= merged[-1].end:
            last = merged[-1]
            if span.end > last.end:
                merged[-1] = Span(last.start, span.end, last.category)
        else:
            merged.append(span)
    return merged


def find_text_phi(text: str, deny: TextDenyList | None = None) -> list[Span]:
    """The merged PHI spans of a report's ``text``, in order; times of day are never among
    them.

    Parameters
    ----------
    text
        Report text (any clinical text).
    deny
        The study's known PHI values, if the caller has them.

    Examples
    --------
    >>> text = "Discussed with Dr. Hope at 10:30 on 3/4/2015."
    >>> [text[s.start : s.end] for s in find_text_phi(text)]
    ['Hope', '3/4/2015']
    """
    spans = _multi_line(text, deny)
    spans.extend(find_field_names(text))
    kept = []
    for span in spans:
        end = span.end
        while end > span.start and text[end - 1] in " \t\n,;":
            end -= 1
        if end > span.start and not _TIME.match(text[span.start : end]):
            kept.append(Span(span.start, end, span.category))
    return merge_spans(kept)


def _multi_line(text: str, deny: TextDenyList | None) -> list[Span]:
    """Spans of the rules that read a paragraph's lines as one (patterns, name contexts,
    deny-list), found in the joined text and mapped back to ``text``."""
    flat = flatten(text)
    source = Text(flat.text)
    found = [*find_patterns(source), *find_places(source), *find_context_names(source)]
    if deny is not None:
        known = list(deny.find(flat.text))
        found.extend(known)
        ends = (s.end for s in known if s.category == "place")
        found.extend(towns_after(flat.text, ends))
    if flat.text is text:
        return found
    return [Span(*flat.span(s.start, s.end), s.category) for s in found]


def redact(text: str, spans: Iterable[Span]) -> str:
    """``text`` with each of the (merged, ordered) ``spans`` replaced by ``___``.

    Examples
    --------
    >>> redact("Dr. Bell at 555-1234.", [Span(4, 8, "name"), Span(12, 20, "phone")])
    'Dr. ___ at ___.'
    """
    out: list[str] = []
    pos = 0
    for span in spans:
        out.append(text[pos : span.start])
        out.append(PLACEHOLDER)
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


def deidentify_text(text: str, deny: TextDenyList | None = None) -> str:
    """``text`` with every PHI span replaced by exactly ``___`` (times of day kept).

    Examples
    --------
    >>> deidentify_text("May represent frank edema; d/w Frank Hope 10:30 AM 2/3/2015.")
    'May represent frank edema; d/w ___ 10:30 AM ___.'
    """
    return redact(text, find_text_phi(text, deny))
