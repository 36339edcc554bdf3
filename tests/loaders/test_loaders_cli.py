"""``cxrkit evaluate-model``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner

from cxrkit.cli import main


def _predictions(tmp_path: Path, nih_root: Path) -> Path:
    table = pd.read_csv(nih_root / "Data_Entry_2017_v2020.csv.gz", usecols=[0, 1])
    rng = np.random.default_rng(1)
    cardio = table["Finding Labels"].str.contains("Cardiomegaly").to_numpy()
    preds = pd.DataFrame(
        {"Image Index": table["Image Index"], "Cardiomegaly": cardio * 0.5 + rng.random(len(table))}
    )
    path = tmp_path / "preds.csv"
    preds.to_csv(path, index=False)
    return path


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(main, ["evaluate-model", "--help"])
    assert result.exit_code == 0 and "Example:" in result.output


def test_table_and_json(tmp_path: Path, nih_root: Path) -> None:
    preds = _predictions(tmp_path, nih_root)
    args = ["evaluate-model", str(preds), "--dataset", "nih-cxr14", "--root", str(nih_root)]
    result = CliRunner().invoke(main, [*args, "--bootstrap", "20", "--level", "image"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("nih-cxr14: 112120 images with predictions")
    assert lines[1].split() == [
        "label",
        "level",
        "n",
        "positives",
        "ROC-AUC",
        "[CI]",
        "AUPRC",
        "[CI]",
    ]
    assert lines[2].split()[:4] == ["Cardiomegaly", "image", "112120", "2776"]
    assert len(lines) == 3
    result = CliRunner().invoke(main, [*args, "--bootstrap", "0", "--json"])
    data = json.loads(result.stdout)
    assert [s["level"] for s in data["scores"]] == ["image", "study"]
    assert 0.75 < data["scores"][0]["auc"]["value"] < 0.95


def test_errors_exit_1_with_the_reason(tmp_path: Path, nih_root: Path) -> None:
    preds = _predictions(tmp_path, nih_root)
    args = ["evaluate-model", str(preds), "--dataset", "nih-cxr14", "--root", str(nih_root)]
    result = CliRunner().invoke(main, [*args, "--split", "test"])
    assert result.exit_code == 1
    assert "Error: nih-cxr14 at this root has no split information" in result.stderr
