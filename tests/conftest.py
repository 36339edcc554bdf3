"""Shared fixtures: synthetic exports are made once per test session."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

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
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL 16 server (PyPI ``pgserver``) for the session, on a Unix socket."""
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
def new_pg_database(postgres_url: str) -> Callable[[str], str]:
    """Makes a fresh database on the session's server: ``new_pg_database(prefix)`` → its URL."""
    from cxrkit.identity.keystore import engine_for

    def make(prefix: str) -> str:
        admin = engine_for(Path(), postgres_url)
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        admin.dispose()
        base, _, query = postgres_url.partition("?")
        return f"{base.rsplit('/', 1)[0]}/{name}?{query}"

    return make
