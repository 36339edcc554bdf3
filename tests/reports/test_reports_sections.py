"""Segments (S9) and sections (S11) against the synthetic truth and Open-I."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxrkit.reports import parse_sections, read_reports, split_segments, wrap_lines
from cxrkit.reports.evaluate import HEADER_STYLES, openi_section_accuracy
from cxrkit.reports.sections import normalise_header, section_counts
from cxrkit.sources.synth import SynthSummary

OPENI_FLOOR = 0.99


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_sections_of_synthetic_reports_match_their_truth(export50: SynthSummary) -> None:
    records = {r.accession: r for r in read_reports(export50.root).reports}
    checked = unread = 0
    for line in (export50.root / "truth" / "sections.jsonl").open(encoding="utf-8"):
        truth = json.loads(line)
        if truth["accession"] not in records:  # the corrupt HL7 message
            unread += 1
            continue
        segments = split_segments(records[truth["accession"]].text)
        kept = "\n \n".join(p for p in (segments.addendum, segments.body) if p)
        sections = parse_sections(kept)
        assert sections.label_section == truth["label_section"]
        for name, text in truth["sections"].items():
            if name == "addendum":
                assert _squash(text) in _squash(segments.addendum)
            elif name == "last_paragraph":
                assert _squash(sections.last_paragraph) == _squash(text)
            else:
                assert _squash(sections.get(name)) == _squash(text), (name, truth["accession"])
            checked += 1
    assert checked > 500
    assert unread == export50.corrupt_reports


def test_segments_drop_header_and_clinical_keep_addendum_and_body(export50: SynthSummary) -> None:
    reports = read_reports(export50.root).reports
    with_addendum = 0
    for record in reports:
        segments = split_segments(record.text)
        assert "FINAL REPORT" in segments.body
        assert "MRN" not in segments.text and "CLINICAL" not in segments.text.upper()[:40]
        assert "signed by" not in segments.text.lower()
        assert max(len(line) for line in segments.text.split("\n")) <= 79
        if segments.addendum:
            with_addendum += 1
            assert segments.addendum.lstrip().startswith("ADDENDUM")
            assert segments.dropped == 2
    assert with_addendum > 0


def test_wrap_keeps_short_lines_and_indentation() -> None:
    text = " short\n   " + "word " * 30
    lines = wrap_lines(text).split("\n")
    assert lines[0] == " short"
    assert all(len(line) <= 79 and line.startswith("   ") for line in lines[1:])


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("IMPRESSON", "impression"),
        ("Findings", "findings"),
        ("COMPARISION", "comparison"),
        ("INDICATIONS", "indication"),
        ("CLINICAL HISTORY", "history"),
        ("EXAM", "examination"),
        ("Conclusion", "impression"),
        ("Dictated by", None),
    ],
)
def test_header_names_are_normalised(header: str, name: str | None) -> None:
    assert normalise_header(header) == name


def test_label_text_falls_back_impression_findings_last_paragraph() -> None:
    two = parse_sections("IMPRESSION: first.\n\nFINDINGS: f.\n\nIMPRESSION: last one.")
    assert two.label_text == "last one."
    findings = parse_sections(" findings:\n Clear lungs.")
    assert (findings.label_section, findings.label_text) == ("findings", "Clear lungs.")
    plain = parse_sections("Some text.\n \nThe last paragraph.")
    assert (plain.label_section, plain.label_text) == ("last_paragraph", "The last paragraph.")
    assert parse_sections("").label_section == ""


def test_counts() -> None:
    parsed = [parse_sections(t) for t in ("IMPRESSION: a", "FINDINGS: b", "text", "")]
    assert section_counts(parsed) == {
        "reports": 4,
        "impression": 1,
        "findings_only": 1,
        "neither": 2,
    }


def test_open_i_findings_and_impression_come_back_in_every_header_style(openi_tgz: Path) -> None:
    results = openi_section_accuracy(openi_tgz)
    assert set(results) == set(HEADER_STYLES)
    for style, (exact, total) in results.items():
        assert total == 2 * 3955
        assert exact / total >= OPENI_FLOOR, style


def test_headers_in_the_middle_of_a_line_after_a_sentence() -> None:
    s = parse_sections(
        "EXAMINATION: CHEST PA AND LAT. INDICATION: Cough. FINDINGS: Clear lungs. "
        "No effusion. Impression: No acute process."
    )
    assert s.get("examination") == "CHEST PA AND LAT."
    assert s.get("findings") == "Clear lungs. No effusion."
    assert s.label_text == "No acute process."


def test_a_colon_in_prose_is_no_header() -> None:
    s = parse_sections("FINDINGS: Seen by Dr. Bell. Note: the findings: are stable. Pleural: none.")
    assert [name for name, _ in s.parts] == ["findings"]
