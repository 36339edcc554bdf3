"""The fast search of a :class:`~cxrkit.reports._rules.Rule` finds exactly its plain matches.

Every rule of the report de-identifier (generic patterns, name contexts and place contexts)
is run both ways on synthetic reports, Open-I reports and generated text made of the pieces
the rules look for (credentials, month names, labels, the words that let a rule skip a text,
digits, blanks, commas, line breaks, the separators ``\\x1c``–``\\x1f``). A difference in
any match or group span fails.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxrkit.labels.openi import read_openi_reports
from cxrkit.reports import deidentify_text
from cxrkit.reports._rules import Rule, Text, alternation, first_words
from cxrkit.reports.lexicon import lexicon
from cxrkit.reports.names import _contexts
from cxrkit.reports.patterns import CUE_RULES, CueRule, _rules
from cxrkit.reports.places import _rules as _place_rules
from cxrkit.sources.synth.cohort import build_cohort
from cxrkit.sources.synth.reports import write_report

RULES = [*_rules(), *_contexts().values(), *_place_rules().values()]
Found = list[tuple[tuple[int, int], ...]]


def _plain(rule: Rule, text: str) -> Found:
    return [_spans(m) for m in rule.plain.finditer(text)]


def _fast(rule: Rule, text: str) -> Found:
    return [_spans(m) for m in rule.finditer(Text(text))]


def _spans(match: re.Match[str]) -> tuple[tuple[int, int], ...]:
    return (match.span(), *(match.span(g) for g in range(1, (match.re.groups or 0) + 1)))


def _assert_same(texts: list[str]) -> None:
    for rule in RULES:
        for text in texts:
            assert _fast(rule, text) == _plain(rule, text), (rule.plain.pattern[:80], text)


@pytest.fixture(scope="module")
def synthetic_reports() -> list[str]:
    cohort = build_cohort(120, seed=11)
    rng = random.Random(11)
    return [write_report(s, rng).text for s in cohort.studies if s.has_report][:200]


def test_fast_equals_plain_on_synthetic_reports(synthetic_reports: list[str]) -> None:
    assert len(synthetic_reports) >= 100
    _assert_same(synthetic_reports)


def test_fast_equals_plain_on_open_i(openi_tgz: Path) -> None:
    reports = list(read_openi_reports(openi_tgz).values())[::10]
    _assert_same([f"FINDINGS: {r.findings}\nIMPRESSION: {r.impression}" for r in reports])


_LEX = lexicon()
_PIECES = [
    *"0123456789",
    *" ,\n\t().:/-#@'",
    "  ",
    ", ",
    "\n ",
    "1999",
    "2015",
    "555-0123",
    "617",
    "x5",
    "ext. ",
    "MD",
    "M.D.",
    "RT(R)",
    "PA-C",
    "PA",
    "DO",
    "RN",
    "PhD",
    "(wife)",
    "March",
    "MAR",
    "Mar.",
    "May",
    "Sept",
    "Friday",
    "the ",
    "of ",
    "14th",
    "aged ",
    "Age: ",
    "yo",
    "from ",
    "at ",
    "on ",
    "to ",
    "lives in ",
    "moved here from ",
    "Boston",
    "Rose",
    "Hill",
    "HILL",
    "Hope",
    "St. ",
    "Mercy",
    "Hospital",
    "Health",
    "Unit",
    "ICU",
    "Pod",
    "East",
    "Ward",
    "Street",
    "Ohio",
    "New York",
    "Guinea",
    "Papua New Guinea",
    "MA",
    "www.",
    "https://",
    "A1234",
    "RAD-2015",
    "é",
    "\x1c",
    "\x1f",
    "son",
    "son's",
    "Healthcare",
    "Medical Center",
    "Apt ",
    "P.O. Box ",
    "PO Box ",
    "Suite ",
    "Bay",
    "CVICU",
    "http://",
    "age ",
    "AGE ",
    "lives at ",
    "home address: ",
    "France",
    "pager ",
    "PAGER",
    "beeper #",
    "Ext. ",
    "extension ",
    "No. ",
    "Room ",
    "room ",
    "Bed",
    "Rm.",
    "5B",
    "4417",
    "0930",
    "Call ",
    "paged ",
    "Pt.",
    "patient ",
    "(Rosie)",
    "Ward 5B",
    "Bed 3",
    "Unit",
    "UNIT",
    "ext",
    "called",
    "Contact ",
    " at ",
    " on ",
    "#",
    *sorted(_LEX.labels)[:25],
    *(p.title() for p in sorted(_LEX.contexts.get("before", ()))[:10]),
    *sorted(_LEX.contexts.get("title", ())),
    *sorted(_LEX.contexts.get("relation", ()))[:10],
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=40))
def test_fast_equals_plain_on_generated_text(pieces: list[str]) -> None:
    text = "".join(pieces)
    for rule in RULES:
        assert _fast(rule, text) == _plain(rule, text), rule.plain.pattern[:80]


def _cue_plain(rule: CueRule) -> re.Pattern[str]:
    """The plain pattern of a cue rule: every cue form, longest first, after no word
    character."""
    forms = {getattr(cue, case)() for cue in rule.cues for case in rule.cases}
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives}){rule.tail}")


def _assert_cue_rules_like_plain(text: str) -> None:
    for rule in CUE_RULES:
        plain = _cue_plain(rule)
        found = [_spans(m) for m in rule.finditer(Text(text))]
        # each match is the plain pattern's match at its start (a cue form is a whole word,
        # so one form at most matches there) …
        for match in rule.finditer(Text(text)):
            again = plain.match(text, match.start())
            assert again is not None and _spans(again) == _spans(match), (rule.cues, text)
        # … and the plain search finds none that the cue search misses
        assert {_spans(m) for m in plain.finditer(text)} <= set(found), (rule.cues, text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=40))
def test_cue_rules_find_the_plain_matches_on_generated_text(pieces: list[str]) -> None:
    _assert_cue_rules_like_plain("".join(pieces))


def test_cue_rules_find_the_plain_matches_on_synthetic_reports(
    synthetic_reports: list[str],
) -> None:
    for text in synthetic_reports:
        _assert_cue_rules_like_plain(text)


@settings(max_examples=200, deadline=None)
@given(
    st.sets(st.text(alphabet="abAB .", min_size=1, max_size=6), min_size=1, max_size=8),
    st.text(alphabet="abAB .x", max_size=40),
)
def test_alternation_matches_like_a_longest_first_alternation(words: set[str], text: str) -> None:
    plain = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    for tail in ("", r"\b", "x", r"(?=\.)"):
        expected = [m.span() for m in re.finditer(f"(?:{plain}){tail}", text)]
        assert [m.span() for m in re.finditer(f"(?:{alternation(words)}){tail}", text)] == (
            expected
        )


def test_alternation_refuses_an_empty_word() -> None:
    with pytest.raises(ValueError, match="empty"):
        alternation(["a", ""])


def test_a_rule_with_an_unknown_start_is_refused() -> None:
    with pytest.raises(ValueError, match="start"):
        Rule("x", start="everywhere")


def test_a_text_with_separators_is_searched_with_the_plain_pattern() -> None:
    # Unicode \\s counts \\x1c-\\x1f as blanks and the fast (re.ASCII) forms would not
    text = "Discussed with dr\x1cBell and Dr.\x1dHope on 3/4/2015\x1e."
    assert not Text(text).ascii
    assert re.match(r"\s", "\x1c") and not re.match(r"\s", "\x1c", re.ASCII)
    for rule in RULES:
        assert _fast(rule, text) == _plain(rule, text), rule.plain.pattern[:80]


def test_words_of_a_text() -> None:
    text = Text("Dr. O'Neil, 3/4: x_1 MAY")
    assert text.words == {b"Dr", b"O", b"Neil", b"3", b"4", b"x_1", b"MAY"}
    assert text.lower_words == {b"dr", b"o", b"neil", b"3", b"4", b"x_1", b"may"}


def test_first_words_refuses_a_phrase_without_a_leading_word() -> None:
    assert first_words(["d/w", "discussed with"]) == {"d", "discussed"}
    with pytest.raises(ValueError, match="no word"):
        first_words(["(wife)"])


def test_non_ascii_text_is_searched_with_the_plain_pattern() -> None:
    text = "Discussed with Dr. Zoë Hill on 3/4/2015 at Hôpital Saint-Luc."
    assert deidentify_text(text) == "Discussed with Dr. ___ on ___ at Hôpital Saint-Luc."


@pytest.mark.parametrize(
    "text",
    [
        "Patient lives in Springfield; stable.",
        "She travelled to Boston last month.",
        "Moved here from Des Moines.",
    ],
)
def test_places_after_a_move_or_a_home_are_removed(text: str) -> None:
    out = deidentify_text(text)
    assert "___" in out
    assert not any(p in out for p in ("Springfield", "Boston", "Des Moines"))
