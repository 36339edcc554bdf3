"""Shared fixtures: synthetic exports and their releases are made once per test session."""

from __future__ import annotations

import csv
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from cxrkit.sources.synth import SynthSummary, synthesize

if TYPE_CHECKING:
    from cxrkit.pipeline.build import BuildSummary


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
def release8(
    export8: SynthSummary, tmp_path_factory: pytest.TempPathFactory
) -> tuple[BuildSummary, Path, Path]:
    """The release of the small shared export, for every test that reads a release (the
    release tests, the tests of how builds run: resume after a kill, incremental, Dask; the
    EHR linkage): small, since every image is scrubbed by two OCR engines and every audit
    reads every image again. Tests copy the release and workspace before changing them."""
    base = tmp_path_factory.mktemp("release8")
    return build_release(export8.root, base, held=HELD)


#: Test patients listed, and validation patients drawn, in the shared release.
HELD = 2


def build_release(src: Path, base: Path, *, held: int) -> tuple[BuildSummary, Path, Path]:
    """Build ``src`` into ``base/out`` (workspace ``base/private``), the first ``held``
    patients listed as test patients and ``held`` patients drawn for validation."""
    from cxrkit.pipeline.build import BuildOptions, build

    test_csv = base / "test_patients.csv"
    with (src / "truth" / "studies.csv").open(encoding="utf-8") as fh:
        mrns = sorted({r["mrn"] for r in csv.DictReader(fh)})
    test_csv.write_text("patient_id\n" + "\n".join(mrns[:held]) + "\n", encoding="utf-8")
    options = BuildOptions(workers=2, test_patients=test_csv, validate_patients=held)
    summary = build(src, base / "out", base / "private", options=options)
    return summary, base / "out", base / "private"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL 16 server (PyPI ``pgserver``) for the session, on a Unix socket.

    Its data folder is made directly under the system's temporary folder: run as root,
    pgserver hands the folder to its own user, who must be able to reach it, and pytest's
    base folder is private to the user who made it (mode 0700).
    """
    import pgserver

    data = Path(tempfile.mkdtemp(prefix="cxrkit-pgdata-"))
    server = pgserver.get_server(data, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(data, ignore_errors=True)


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
