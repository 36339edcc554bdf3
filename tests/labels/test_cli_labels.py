"""``cxrkit label`` and ``cxrkit evaluate-labels`` through click's runner."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from cxrkit.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "labels"


def test_label_writes_the_reference_bytes(tmp_path: Path) -> None:
    out = tmp_path / "labeled.csv"
    samples = DATA / "chexpert-labeler-samples"
    result = CliRunner().invoke(
        main, ["label", str(samples / "sample_reports.csv"), "-o", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "Labeled 4 reports" in result.output
    assert out.read_bytes() == (samples / "labeled_reports.csv").read_bytes()


def test_label_negbio_and_evaluate_against_itself(tmp_path: Path) -> None:
    reports = tmp_path / "r.csv"
    reports.write_text("No effusion.\nMild cardiomegaly.\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    runner = CliRunner()
    assert (
        runner.invoke(
            main, ["label", str(reports), "-o", str(out), "--labeler", "negbio", "-q"]
        ).exit_code
        == 0
    )
    result = runner.invoke(main, ["evaluate-labels", str(out), str(out), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["reports"] == 2
    assert data["f1"]["mention"]["micro"] == 1.0
    assert data["f1"]["negation"]["per_label"]["Pleural Effusion"] == 1.0


def test_evaluate_labels_positive_only_with_map(tmp_path: Path) -> None:
    gold = tmp_path / "gold.csv"
    gold.write_text("filename,Effusion,normal\nCXR1,1,0\nCXR2,0,1\n")
    pred = tmp_path / "pred.csv"
    pred.write_text("filename,Pleural Effusion,No Finding\nCXR1,-1.0,\nCXR2,,1.0\n")
    result = CliRunner().invoke(
        main, ["evaluate-labels", str(gold), str(pred), "--positive-only", "--map", "chestxray14"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2 reports"
    assert lines[1].split() == ["label", "positive_u1", "positive_u0"]
    assert lines[2].split() == ["No", "Finding", "1.000", "1.000"]
    assert lines[3].split() == ["Pleural", "Effusion", "1.000", "0.000"]


def test_unreadable_gold_is_an_error_exit_1(tmp_path: Path) -> None:
    gold = tmp_path / "gold.csv"
    gold.write_text("id,Edema\n1,1\n")
    result = CliRunner().invoke(main, ["evaluate-labels", str(gold), str(gold)])
    assert result.exit_code == 1
    assert "Error: cannot read label CSV" in result.output or "Error:" in result.output


def test_help_texts_have_examples() -> None:
    for cmd in ("label", "evaluate-labels"):
        result = CliRunner().invoke(main, [cmd, "--help"])
        assert "Example:" in result.output


def test_label_reads_a_windows_1252_csv_and_says_so(tmp_path: Path) -> None:
    reports = tmp_path / "reports.csv"
    reports.write_bytes('"Small left effusion.\n\nCafé."\nNo pneumothorax.\n'.encode("cp1252"))
    out = tmp_path / "labeled.csv"
    result = CliRunner().invoke(main, ["label", str(reports), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert "(input read as cp1252)" in result.output
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["Reports"] == "Small left effusion.\n\nCafé."
    assert rows[0]["Pleural Effusion"] == "1.0"
    assert rows[1]["Reports"] == "No pneumothorax."


def test_label_refuses_a_binary_file_in_one_line(tmp_path: Path) -> None:
    reports = tmp_path / "scan.csv"
    reports.write_bytes(bytes(range(256)) * 4)
    result = CliRunner().invoke(main, ["label", str(reports), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and "binary content" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "o.csv").exists()
