"""The segment and section finders that avoid a pattern anchored by ``^`` find exactly what
the pattern finds (separator lines, ``FINAL REPORT`` lines, section headers)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from cxrkit.reports.sections import _HEADER, _line_headers
from cxrkit.reports.segments import _FINAL, _SEPARATOR, _has_final, _split_on_separators

_PIECES = [
    "_" * 8,
    "_" * 3,
    "__________",
    "\n",
    "\n ",
    " ",
    "\t",
    "x",
    "FINAL REPORT",
    "final Report",
    "FINAL REPORTS",
    "F\u0131NAL REPORT",  # dotless i: equal to "I" for re.IGNORECASE
    "IMPRESSION:",
    "Findings",
    ":",
    ". ",
    "\r",
]
_TEXTS = st.lists(st.sampled_from(_PIECES), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_separator_split_equals_the_pattern_split(text: str) -> None:
    assert _split_on_separators(text) == _SEPARATOR.split(text)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_final_report_found_where_the_pattern_finds_it(text: str) -> None:
    assert _has_final(text) == (_FINAL.search(text) is not None)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_line_headers_equal_the_pattern_matches(text: str) -> None:
    def spans(matches: list[re.Match[str]]) -> list[tuple[object, ...]]:
        return [(m.span("h"), m.span("c"), m.end()) for m in matches]

    assert spans(_line_headers(text)) == spans(list(_HEADER.finditer(text)))
