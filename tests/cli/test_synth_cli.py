"""``cxrkit synth`` and ``cxrkit demo`` through click's CliRunner."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from cxrkit.cli import main


def test_synth_writes_an_export_and_reports_it(tmp_path: Path) -> None:
    out = tmp_path / "export"
    result = CliRunner().invoke(
        main, ["synth", str(out), "--patients", "2", "--seed", "5", "--workers", "1", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Synthetic hospital export written to {out}\n")
    assert (out / "truth" / "phi.jsonl").stat().st_size > 0
    assert any((out / "dicom").iterdir())
    assert list((out / "reports").glob("*.csv"))


def test_synth_json_summary(tmp_path: Path) -> None:
    out = tmp_path / "export"
    args = ["synth", str(out), "--patients", "2", "--seed", "5", "--workers", "1", "-q", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["patients"] == 2
    assert summary["root"] == str(out)
    manifest = json.loads((out / "truth" / "manifest.json").read_text())
    assert manifest["seed"] == 5
    assert manifest["images"] == summary["images"]


def test_synth_refuses_a_non_empty_folder_with_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    result = CliRunner().invoke(main, ["synth", str(tmp_path), "--patients", "1", "-q"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "--overwrite" in result.stderr


def test_synth_usage_errors_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["synth", str(tmp_path / "x"), "--patients", "0"])
    assert result.exit_code == 2
    result = CliRunner().invoke(main, ["synth", str(tmp_path / "x"), "--difficulty", "easy"])
    assert result.exit_code == 2


def test_synth_difficulty_hard_draws_every_line_the_hard_way(tmp_path: Path) -> None:
    out = tmp_path / "export"
    args = ["synth", str(out), "--patients", "2", "--seed", "5", "--workers", "1", "-q"]
    result = CliRunner().invoke(main, [*args, "--difficulty", "hard"])
    assert result.exit_code == 0, result.output
    lines = (out / "truth" / "markers.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines and {json.loads(line)["style"] for line in lines} == {"hard"}
    assert json.loads((out / "truth" / "manifest.json").read_text())["difficulty"] == "hard"


def _hard_lines_in_chest_images(export: Path) -> int:
    """Burned-in lines drawn the hard way in the readable chest images of an export."""
    with (export / "truth" / "images.csv").open(encoding="utf-8") as fh:
        chest = {r["file"] for r in csv.DictReader(fh) if r["chest"] == "True" and not r["broken"]}
    lines = 0
    for name in ("phi.jsonl", "markers.jsonl"):
        for line in (export / "truth" / name).read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            lines += item.get("file") in chest and item.get("style") == "hard"
    return lines


def test_demo_runs_synth_build_verify_and_says_where(tmp_path: Path) -> None:
    # One patient: its chest images carry text drawn the hard way (the default mixed
    # difficulty), which the release must still be proven free of; checked below.
    result = CliRunner().invoke(main, ["demo", str(tmp_path / "demo"), "--patients", "1", "-q"])
    assert result.exit_code == 0, result.output
    assert _hard_lines_in_chest_images(tmp_path / "demo" / "export") >= 10
    assert f"written to {tmp_path / 'demo' / 'export'}" in result.stdout
    assert "leaks found: 0" in result.stdout
    assert "release OK" in result.stdout
    assert f"Release: {(tmp_path / 'demo' / 'release').resolve()}" in result.stdout
    assert (tmp_path / "demo" / "release" / "SHA256SUMS.txt").exists()
    sums = (tmp_path / "demo" / "release" / "SHA256SUMS.txt").read_bytes()
    again = CliRunner().invoke(main, ["demo", str(tmp_path / "demo"), "--patients", "1", "-q"])
    assert again.exit_code == 0, again.output
    assert (tmp_path / "demo" / "release" / "SHA256SUMS.txt").read_bytes() == sums


def test_every_command_has_help_with_an_example() -> None:
    for command in main.commands:
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0
        assert "Example:" in result.stdout or "Examples:" in result.stdout, command
