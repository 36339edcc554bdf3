"""``cxrkit deid-text`` and ``cxrkit sections`` through click's CliRunner."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from cxrkit.cli import main


def test_deid_text_keeps_rows_and_replaces_phi(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    texts = [
        "Discussed with Dr. Bell at 10:30 on 3/4/2015.\nMay represent edema.",
        "No PHI here, frank edema.",
        "",
        'Call 617-555-0123, "quoted" text.',
    ]
    with source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([[t] for t in texts])
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["deid-text", str(source), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"4 texts de-identified to {out}\n"
    with out.open(encoding="utf-8", newline="") as handle:
        rows = [row[0] for row in csv.reader(handle)]
    assert rows == [
        "Discussed with Dr. ___ at 10:30 on ___.\nMay represent edema.",
        "No PHI here, frank edema.",
        "",
        'Call ___, "quoted" text.',
    ]


def test_deid_text_missing_input_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["deid-text", str(tmp_path / "x.csv"), "-o", "o.csv"])
    assert result.exit_code == 1
    assert "Error:" in result.stderr and "does not exist" in result.stderr


def _tree(root: Path, reports: dict[tuple[str, str], str]) -> None:
    for (subject, study), text in reports.items():
        folder = root / "files" / f"p{subject[:2]}" / f"p{subject}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"s{study}.txt").write_text(text, encoding="utf-8")


def test_sections_writes_every_study_sorted_with_diagnostics(tmp_path: Path) -> None:
    _tree(
        tmp_path / "src",
        {
            ("10000002", "50000009"): " FINDINGS: Clear.\n \n IMPRESSION: Normal.",
            ("10000001", "50000001"): " findings:\n Small effusion.",
            ("10000001", "50000005"): " Nothing but text.\n \n Last one.",
            ("10000003", "50000003"): "",
        },
    )
    out = tmp_path / "out"
    args = ["sections", str(tmp_path / "src"), "-o", str(out), "-q", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "reports": 4,
        "impression": 1,
        "findings_only": 1,
        "neither": 2,
    }
    with (out / "mimic_cxr_sectioned.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["study"] for r in rows] == ["s50000001", "s50000003", "s50000005", "s50000009"]
    assert list(rows[0]) == ["study", "impression", "findings", "last_paragraph", "comparison"]
    assert rows[3]["impression"] == "Normal." and rows[3]["findings"] == "Clear."
    assert rows[2]["last_paragraph"] == "Last one."
    assert rows[1] == {k: ("s50000003" if k == "study" else "") for k in rows[1]}
    with (out / "mimic_cxr_sections_diagnostics.csv").open(encoding="utf-8") as handle:
        diagnostics = {r["study"]: r for r in csv.DictReader(handle)}
    assert "no_usable_text" in diagnostics["s50000003"]["flags"]
    assert diagnostics["s50000001"]["label_section"] == "findings"


def test_sections_on_a_folder_without_reports_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["sections", str(tmp_path), "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "no s<study_id>.txt reports" in result.stderr


def test_help_has_examples() -> None:
    for command in ("deid-text", "sections"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "Example:" in result.output
