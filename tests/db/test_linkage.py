"""`cxrkit link-ehr` and `cxrkit db --attach`: the synthetic EHR on the release's pseudonyms,
each study assigned the admission the export's truth says it was taken in."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cxrkit.cli import main
from cxrkit.db import LoadOptions, load_release
from cxrkit.db.ehr import pseudonym
from cxrkit.db.load import open_backend
from cxrkit.identity.keys import load_or_create_key
from cxrkit.identity.keystore import Keystore
from cxrkit.identity.source_keys import PatientKey
from cxrkit.pipeline.build import BuildSummary
from cxrkit.release.verify import verify
from cxrkit.sources.synth import SynthSummary

Release = tuple[SynthSummary, BuildSummary, Path, Path]


@pytest.fixture(scope="module")
def release(export8: SynthSummary, release8: tuple[BuildSummary, Path, Path]) -> Release:
    """The shared small export and its release (tests/conftest.py)."""
    return (export8, *release8)


@pytest.fixture
def linked(release: Release, tmp_path: Path) -> tuple[Path, Path, Path]:
    """A copy of the shared release and workspace, and its admissions linked."""
    export, _, out, private = release
    shutil.copytree(out, tmp_path / "out")
    shutil.copytree(private, tmp_path / "private")
    result = CliRunner().invoke(
        main,
        [
            "link-ehr",
            str(export.root / "ehr" / "admissions.csv"),
            "--private",
            str(tmp_path / "private"),
            "-o",
            str(tmp_path / "admissions.csv"),
            "--mrn-column",
            "mrn",
            "--date-columns",
            "admittime,dischtime",
            "--hash",
            "hadm_id",
            "--keep",
            "admission_type",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "(1 new in the keystore)" in result.output
    return tmp_path / "out", tmp_path / "private", tmp_path / "admissions.csv"


def _truth(export: Path, private: Path) -> dict[int, str]:
    """study_id → the pseudonym of the admission it was taken in ('' for none)."""
    key = load_or_create_key(private)
    store = Keystore.open(private)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT source_study, study_id FROM studies")).all()
    study_of = {str(source).removeprefix("acc:"): int(study) for source, study in rows}
    with (export / "truth" / "study_admissions.csv").open(encoding="utf-8") as fh:
        return {
            study_of[r["accession"]]: pseudonym(key, r["hadm_id"])
            for r in csv.DictReader(fh)
            if r["accession"] in study_of
        }


@pytest.mark.parametrize("kind", ["duckdb", "postgresql"])
def test_every_study_gets_the_admission_of_the_truth(
    release: Release,
    linked: tuple[Path, Path, Path],
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    out, private, admissions = linked
    url = None if kind == "duckdb" else request.getfixturevalue("new_pg_database")("link")
    summary = load_release(out, url, LoadOptions(attach=(("admissions", admissions),)))
    db = open_backend(out, url)
    try:
        rows = db.query(
            f"SELECT study_id, hadm_id, ambiguous FROM {db.table('mimiciv_cxr', 'study_admission')}"
        )
    finally:
        db.close()
    found = {int(s): h or "" for s, h, _ in rows}
    truth = _truth(release[0].root, private)
    assert len(found) == summary.rows["study_list"] == len(truth)
    assert found == truth
    assert sum(1 for h in truth.values() if h) >= len(truth) // 2  # most inside a stay
    assert any(not h for h in truth.values())  # some outpatient studies
    assert not any(a for *_, a in rows)


def test_linked_dates_move_with_the_patient_and_keep_the_time(
    release: Release, linked: tuple[Path, Path, Path]
) -> None:
    _, private, admissions = linked
    with (release[0].root / "ehr" / "admissions.csv").open(encoding="utf-8") as fh:
        source = list(csv.DictReader(fh))
    with admissions.open(encoding="utf-8") as fh:
        result = list(csv.DictReader(fh))
    assert list(result[0]) == ["subject_id", "hadm_id", "admittime", "dischtime", "admission_type"]
    assert len(result) == len(source)
    store = Keystore.open(private)
    for before, after in zip(source, result, strict=True):
        assert before["admittime"][10:] == after["admittime"][10:]  # time of day kept
        ident = store.patient(PatientKey("SYNTHHEALTH", before["mrn"]), dt.date(2000, 1, 1))
        assert int(after["subject_id"]) == ident.subject_id
        moved = dt.date.fromisoformat(before["admittime"][:10]) + dt.timedelta(ident.shift_days)
        assert after["admittime"][:10] == moved.isoformat()
    text = admissions.read_text(encoding="utf-8")
    assert not any(r["mrn"] in text for r in source)
    assert not any(r["hadm_id"] in text for r in source)


def test_a_database_in_the_release_folder_is_not_part_of_the_release(
    linked: tuple[Path, Path, Path],
) -> None:
    out, _, admissions = linked
    load_release(out, None, LoadOptions(attach=(("admissions", admissions),)))
    assert (out / "cxr.duckdb").is_file()
    assert verify(out).ok


def _doc_queries() -> list[str]:
    text = (Path(__file__).parents[2] / "docs" / "database.md").read_text(encoding="utf-8")
    section = text.split("## Example cohort queries", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.S)


def _run(out: Path, url: str | None, sql: str) -> list[tuple[object, ...]]:
    db = open_backend(out, url)
    try:
        return [tuple(str(v) for v in row) for row in db.query(sql)]
    finally:
        db.close()


def test_the_example_queries_of_the_docs_agree_on_duckdb_and_postgresql(
    release: Release, linked: tuple[Path, Path, Path], request: pytest.FixtureRequest
) -> None:
    out, private, admissions = linked
    queries = _doc_queries()
    assert len(queries) == 3
    pg = request.getfixturevalue("new_pg_database")("docs")
    options = LoadOptions(attach=(("admissions", admissions),))
    for url in (None, pg):
        load_release(out, url, options)
    results = [(_run(out, None, q), _run(out, pg, q)) for q in queries]
    for duck, postgres in results:
        assert duck == postgres
    truth = _truth(release[0].root, private)
    assert len(results[1][0]) == len({h for h in truth.values() if h})  # one per admission
    frontal = {r[0] for r in results[0][0]}
    meta, labels, split = (
        _table(out / f"mimic-cxr-2.0.0-{n}.csv.gz") for n in ("metadata", "chexpert", "split")
    )
    effusion = {r["study_id"] for r in labels if r["Pleural Effusion"] == "1.0"}
    train = {r["dicom_id"] for r in split if r["split"] == "train"}
    assert frontal == {
        r["dicom_id"]
        for r in meta
        if r["ViewPosition"] == "PA" and r["study_id"] in effusion and r["dicom_id"] in train
    }


def _table(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
