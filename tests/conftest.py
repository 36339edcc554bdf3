"""Shared fixtures: synthetic exports are made once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxrkit.sources.synth import SynthSummary, synthesize


@pytest.fixture(scope="session")
def export50(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    """The 50-patient, seed-1 export that the foundation issue's figures are about."""
    root = tmp_path_factory.mktemp("export50")
    return synthesize(root, patients=50, seed=1, workers=2)


@pytest.fixture(scope="session")
def export50_root(export50: SynthSummary) -> Path:
    return export50.root
