"""The scrub's named thresholds: one frozen object, read at run time, and linted for."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cxrkit.dicom import tuning
from cxrkit.dicom.textfind import text_levels

ROOT = Path(__file__).resolve().parents[2]


def _spiked() -> np.ndarray:
    """A ramp of values with a block at one fixed grey (a marker box's value)."""
    a = (np.arange(128 * 128).reshape(128, 128) % 4000).astype(np.uint16)
    a[40:60, 40:60] = 2222
    return a


def test_the_tuning_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        tuning.TUNING.scrub.margin = 0.6  # type: ignore[misc]


def test_a_replaced_tuning_is_what_the_modules_run_with(monkeypatch) -> None:
    assert [lv.name for lv in text_levels(_spiked())] == ["top", "bottom", "spike"]
    finder = dataclasses.replace(tuning.TUNING.finder, max_spikes=0)
    monkeypatch.setattr(tuning, "TUNING", dataclasses.replace(tuning.TUNING, finder=finder))
    assert [lv.name for lv in text_levels(_spiked())] == ["top", "bottom"]


@pytest.mark.parametrize(("path", "flagged"), [("dicom/probe.py", True), ("probe.py", False)])
def test_a_magic_number_fails_the_lint_in_dicom_only(path: str, flagged: bool) -> None:
    code = "def f(x: int) -> bool:\n    return x > 37\n"
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--stdin-filename", f"src/cxrkit/{path}", "-"],
        input=code,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ("PLR2004" in result.stdout) is flagged, result.stdout + result.stderr
