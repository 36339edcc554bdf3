"""Shared fixtures: synthetic exports are made once per test session."""

from __future__ import annotations

from collections.abc import Iterator
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


@pytest.fixture(scope="session")
def export8(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    """The small export that the scrub, deid-dicom and build tests share (every image of it
    is scrubbed several times, so it is kept small): 8 patients, seed 27, chosen because it
    still holds every case those tests need. ``test_the_small_export_holds_every_case``
    (tests/sources/test_synth_export.py) checks that it does, so that no test passes on an
    export that lacks its case."""
    root = tmp_path_factory.mktemp("export8")
    return synthesize(root, patients=8, seed=27, workers=2)


@pytest.fixture(scope="session")
def export8_root(export8: SynthSummary) -> Path:
    return export8.root


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL 16 server (PyPI ``pgserver``) for the session, on a Unix socket."""
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
