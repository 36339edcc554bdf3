"""Fixtures of the report tests: a 200-patient export for the recall figure, Open-I."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxrkit.sources.synth import SynthSummary, synthesize

DATA = Path(__file__).resolve().parents[1] / "data"
OPENI = DATA / "openi" / "NLMCXR_reports.tgz"


@pytest.fixture(scope="session")
def export200(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    """A 200-patient export with a seed (2) the rules were not developed on."""
    root = tmp_path_factory.mktemp("export200")
    return synthesize(root, patients=200, seed=2, workers=2)


@pytest.fixture(scope="session")
def openi_tgz() -> Path:
    assert OPENI.is_file(), f"{OPENI} missing: the Open-I reports ship with the tests"
    return OPENI
