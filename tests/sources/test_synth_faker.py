"""The ``faker`` report style: outside names, towns, streets and institutions, PHI split
across lines on purpose, exact truth spans, deterministic output, and full recall."""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cxrkit.cli import main
from cxrkit.errors import ConfigError
from cxrkit.reports.evaluate import recall_on_export
from cxrkit.sources.synth import synthesize
from cxrkit.sources.synth.cohort import build_cohort
from cxrkit.sources.synth.model import Study
from cxrkit.sources.synth.reports import write_report
from cxrkit.sources.synth.truth import CATEGORIES, SynthReport


@pytest.fixture(scope="module")
def faker_reports() -> list[tuple[Study, SynthReport]]:
    studies = [s for s in build_cohort(40, seed=5).studies if s.has_report]
    return [
        (s, write_report(s, random.Random(f"faker-{k}"), "faker")) for k, s in enumerate(studies)
    ]


def test_same_seed_same_report() -> None:
    study = next(s for s in build_cohort(2, seed=1).studies if s.has_report)
    first = write_report(study, random.Random(3), "faker")
    assert write_report(study, random.Random(3), "faker") == first
    assert write_report(study, random.Random(3)).text != first.text


def test_spans_exact_and_lines_fit(faker_reports: list[tuple[Study, SynthReport]]) -> None:
    for _, report in faker_reports:
        assert max(len(line) for line in report.text.split("\n")) <= 79
        for p in report.phi:
            assert report.text[p.start : p.end] == p.value, p
            assert p.category in CATEGORIES and "\n" not in p.value
        spans = sorted((p.start, p.end) for p in report.phi)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start


def test_phi_is_split_across_lines(faker_reports: list[tuple[Study, SynthReport]]) -> None:
    """Multi-word values of one category sit on both sides of a line break."""
    split: dict[str, int] = {}
    for _, report in faker_reports:
        for a, b in itertools.pairwise(sorted(report.phi, key=lambda p: p.start)):
            gap = report.text[a.end : b.start]
            if a.category == b.category and re.fullmatch(r",?\n ", gap):
                split[a.category] = split.get(a.category, 0) + 1
    assert {"hospital", "name", "city"} <= set(split), split


def test_outside_values_and_diacritics(faker_reports: list[tuple[Study, SynthReport]]) -> None:
    text = "\n".join(r.text for _, r in faker_reports)
    assert re.search(r"[\u00c0-\u017f]", text)  # names and towns with diacritics
    for form in ("General Hospital", "St. ", "Medical Center", "outside films from"):
        assert form in text, form


def test_unknown_style_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="report-style"):
        synthesize(tmp_path, patients=1, seed=1, report_style="odd")


def test_recall_on_a_faker_export(tmp_path: Path) -> None:
    synthesize(tmp_path, patients=15, seed=21, workers=1, report_style="mixed")
    for deny in (True, False):
        result = recall_on_export(tmp_path, use_ris=deny, use_dicom=deny)
        assert result.recall == 1.0, result.missed[:5]


def test_cli_report_style(tmp_path: Path) -> None:
    """``--report-style classic`` is the default, byte for byte; ``faker`` changes reports."""
    texts = {}
    for name, extra in (
        ("default", []),
        ("classic", ["--report-style", "classic"]),
        ("faker", ["--report-style", "faker"]),
    ):
        out = tmp_path / name
        args = ["synth", str(out), "--patients", "2", "--seed", "5", "--workers", "1", "-q"]
        result = CliRunner().invoke(main, args + extra)
        assert result.exit_code == 0, result.output
        texts[name] = (out / "truth" / "phi.jsonl").read_bytes()
    assert texts["default"] == texts["classic"] != texts["faker"]
