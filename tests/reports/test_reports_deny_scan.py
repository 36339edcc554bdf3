"""The deny-list's needle scanner finds exactly the spans of the regexes it replaced.

The regexes below are the deny-list's former implementation (one compiled alternation per
study), kept here only as the reference the scanner is checked against.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxrkit.reports import read_ris_csv
from cxrkit.reports.deny import TextDenyList, _cased, _date_forms, _name_parts
from cxrkit.reports.lexicon import lexicon
from cxrkit.sources.synth.cohort import build_cohort
from cxrkit.sources.synth.reports import write_report
from cxrkit.sources.synth.ris import CSV_COLUMNS, _csv_row

Found = list[tuple[int, int, str]]


def _reference_patterns(deny: TextDenyList) -> Iterator[tuple[re.Pattern[str], str]]:
    literal = [v.strip() for v in deny.identifiers if len(v.strip()) >= 2]
    literal += [v.lstrip("0") for v in deny.identifiers if v.strip().isdigit()]
    literal += [f for day in deny.dates for f in _date_forms(day)]
    if literal := sorted({v for v in literal if len(v) >= 2}, key=len, reverse=True):
        alt = "|".join(re.escape(v) for v in literal)
        yield re.compile(rf"(?i)(?<![\w/-])(?:{alt})(?![\w/-])"), "id"
    pieces = {p.strip() for v in deny.places for p in re.split(r"[\^,]|\s{2,}", v)}
    pieces |= {v.strip() for v in deny.places}
    if pieces := {p for p in pieces if len(p) >= 3 or (len(p) >= 2 and p.isupper())}:
        alt = "|".join(re.escape(p) for p in sorted(pieces, key=len, reverse=True))
        yield re.compile(rf"(?<!\w)(?:{alt})(?!\w)"), "place"
    numbers = {re.sub(r"\D", "", p) for p in deny.phones}
    for digits in sorted(n for n in numbers if len(n) >= 7):
        body = r"[ .()\-]{0,2}".join(re.escape(d) for d in digits[-10:])
        yield re.compile(rf"(?<!\d)\(?{body}(?!\d)"), "phone"
    yield from _reference_names(deny.names)


def _reference_names(names: tuple[str, ...]) -> Iterator[tuple[re.Pattern[str], str]]:
    lex = lexicon()
    if not (parts := _name_parts(names)):
        return
    strong = sorted({f for p in parts if not lex.is_common(p) for f in _cased(p)})
    every = sorted({f for p in parts for f in _cased(p)}, key=len, reverse=True)
    if strong:
        alt = "|".join(re.escape(p) for p in sorted(strong, key=len, reverse=True))
        yield re.compile(rf"(?<![\w'’-])(?:{alt})(?![\w'’-])"), "name"
    word = "|".join(re.escape(p) for p in every)
    unit = rf"(?:{word}|[A-Z]\.|[A-Z](?=[ \t,]))"
    edge = r"(?<![\w'’-])", r"(?![\w'’-])"
    yield re.compile(rf"{edge[0]}(?:{word})(?:,?[ \t]+{unit})+{edge[1]}"), "name"
    yield re.compile(rf"(?<![\w.])(?:[A-Z]\.?[ \t]+)+(?:{word}){edge[1]}"), "name"


def reference_find(deny: TextDenyList, text: str) -> Found:
    """The spans, in order, of the former regex implementation."""
    return [
        (m.start(), m.end(), category)
        for pattern, category in _reference_patterns(deny)
        for m in pattern.finditer(text)
    ]


def scanned(deny: TextDenyList, text: str) -> Found:
    return [(s.start, s.end, s.category) for s in deny.find(text)]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[TextDenyList, str]]:
    """Raw synthetic RIS reports (all segments, fake PHI) with their deny-lists."""
    cohort = build_cohort(150, seed=5)
    studies = [s for s in cohort.studies if s.has_report][:300]
    rng = random.Random(5)
    path = Path(tmp_path_factory.mktemp("deny_scan")) / "ris.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for study in studies:
            writer.writerow({**_csv_row(study), "report_text": write_report(study, rng).text})
    return [(r.deny_list(), r.text) for r in read_ris_csv(path).reports]


def test_scanner_matches_regexes_on_synthetic_reports(
    synthetic: list[tuple[TextDenyList, str]],
) -> None:
    assert len(synthetic) >= 200
    total = 0
    for deny, text in synthetic:
        expected = reference_find(deny, text)
        assert scanned(deny, text) == expected
        total += len(expected)
    assert total > 1000  # the corpus does exercise every kind of value


def test_scanner_matches_regexes_on_shuffled_reports(
    synthetic: list[tuple[TextDenyList, str]],
) -> None:
    """Another study's deny-list and word-shuffled text: partial and near matches."""
    rng = random.Random(11)
    for k, (_, text) in enumerate(synthetic[:150]):
        deny = synthetic[(k + 1) % len(synthetic)][0] | synthetic[k][0]
        words = re.split(r"(\s+)", text)
        rng.shuffle(words)
        mixed = "".join(words)
        assert scanned(deny, mixed) == reference_find(deny, mixed)


_PIECES = st.sampled_from(
    [
        "Hill", "HILL", "hill", "Rose", "ROSE", "Hope", "May", "MAY", "O'Neil", "Ann", "Anne",
        "Mc-Kay", "A", "B.", "J", "M.", "X", " ", "  ", "\t", ", ", ",", ".", "'", "’", "-",
        "/", "(", ")", "_", "0", "5", "555", "123", "4567", "00381763", "381763", "ab-12",
        "AB-12", "03/04/2015", "3/4/15", "2015-03-04", "20150304", "Farview", "FARVIEW",
        "St. Luke", "Main St", "İ", "ı", "ſ", "K", "é", "Ab12", "x", "(555)", "555-", "555.",
        "123-4567", "(555) 123-4567", "5551234567", "1-555-123-4567",
    ]
)  # fmt: skip
_NAME_PIECES = st.sampled_from(
    ["Hill", "HILL", "Rose", "Ann", "Anne", "O'Neil", "A", "B.", "M", " ", ",", ", ", ".", "-"]
)
_DENY = TextDenyList(
    names=("Hill, Rose M", "HOPE^MAY", "O'Neil^Ann^Anne", "Mc-Kay"),
    identifiers=("00381763", "AB-12", "ſk", "Ab12"),
    dates=(dt.date(2015, 3, 4),),
    places=("Farview^St. Luke,Main St",),
    phones=("(555) 123-4567",),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=40))
def test_scanner_matches_regexes_on_random_text(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert scanned(_DENY, text) == reference_find(_DENY, text)


@settings(max_examples=400, deadline=None)
@given(st.lists(_NAME_PIECES, max_size=30))
def test_scanner_matches_regexes_on_random_name_runs(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert scanned(_DENY, text) == reference_find(_DENY, text)


@pytest.mark.parametrize(
    "text",
    [
        "Hill B.", "Hill B", "Hill M,", "Hill, Rose M.", "Rose Hill-Smith", "R. M. Hill",
        "R.Hill", "x R. Hill", ".R Hill", "A B Hill's", "HILL ROSE  M", "Anne Ann, A.",
        "(555) 123-4567", "1(555)123-4567", "5(555) 123-4567", "555 .123-4567",
        "555  .123-4567", "555)(123-4567", "(5551234567)", "55512345678",
        "ſK AB-12/x ab-12 AB-123 3/4/15 03/04/2015", "Farview St. Luke Main Street",
    ],
)  # fmt: skip
def test_scanner_matches_regexes_on_edge_cases(text: str) -> None:
    assert scanned(_DENY, text) == reference_find(_DENY, text)


def test_scanner_keeps_the_order_of_phones_sharing_their_last_ten_digits() -> None:
    deny = TextDenyList(phones=("1-555-123-4567", "555-123-4567", "99 555 123 4567", "123-45"))
    text = "call 555-123-4567 or (555)1234567; not 5551234567 8"
    assert scanned(deny, text) == reference_find(deny, text)
    assert len(scanned(deny, text)) == 9


def test_scanner_follows_long_runs_without_recursion() -> None:
    text = "Rose" + " A" * 5000 + " Hill, " + "B. " * 3000 + "Hill"
    assert scanned(_DENY, text) == reference_find(_DENY, text)
