"""`cxrkit db`: a release in DuckDB, PostgreSQL and SQLite."""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cxrkit.cli import main
from cxrkit.db import LoadOptions, load_release
from cxrkit.db.backends import Backend
from cxrkit.db.load import open_backend
from cxrkit.db.schema import seconds_of_day
from cxrkit.errors import ConfigError, DataFileError
from cxrkit.labels import LABELS
from cxrkit.release.assemble import CHEXPERT, METADATA
from cxrkit.release.tables import gzip_bytes

SCHEMA = "mimiciv_cxr"


def query(release: Path, url: str, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` with ``{name}`` placeholders for the schema's tables."""
    db = open_backend(release, url)
    try:
        names = {n: db.table(SCHEMA, n) for n in _NAMES}
        return db.query(sql.format(**names))
    finally:
        db.close()


_NAMES = (
    "record_list",
    "study_list",
    "metadata",
    "chexpert",
    "negbio",
    "split",
    "studies",
    "study_order",
    "labels_long",
    "frontal",
    "paths",
    "admissions",
    "study_admission",
    "test_set_labeled",
)


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def test_every_table_is_loaded_typed(release: Path, db_url: str) -> None:
    summary = load_release(release, db_url)
    assert summary.rows == {
        "study_list": 5,
        "record_list": 7,
        "metadata": 7,
        "chexpert": 5,
        "negbio": 5,
        "split": 7,
    }
    rows = query(
        release,
        db_url,
        'SELECT "StudyDate", "StudyTime", subject_id + 1, "Rows" * 2 FROM {metadata} '
        "WHERE study_id = 50000002",
    )
    assert [(_day(d), t, s, r) for d, t, s, r in rows] == [
        ("2150-03-20", "000001.5", 10000002, 6112)
    ]
    labels = query(
        release,
        db_url,
        'SELECT "Edema", "Pleural Effusion", "Atelectasis" FROM {chexpert} ORDER BY study_id',
    )
    assert labels[2] == (-1.0, 1.0, None)
    assert labels[1][1] == 0.0


def test_keys_refuse_a_duplicate_image(release: Path, db_url: str) -> None:
    load_release(release, db_url)
    db = open_backend(release, db_url)
    try:
        with pytest.raises(Exception, match=r"(?i)unique|duplicate|primary key|constraint"):
            db.execute(
                f"INSERT INTO {db.table(SCHEMA, 'record_list')} "
                "SELECT subject_id, study_id, dicom_id, path "
                f"FROM {db.table(SCHEMA, 'record_list')}"
            )
    finally:
        db.close()


def test_a_second_run_does_nothing_and_a_changed_release_reloads(
    release: Path, db_url: str
) -> None:
    assert not load_release(release, db_url).unchanged
    again = load_release(release, db_url)
    assert again.unchanged
    assert again.rows["metadata"] == 7
    rows = _metadata_without_last_image(release)
    (release / METADATA).write_bytes(gzip_bytes(rows))
    (release / "mimic-cxr-2.0.0-split.csv.gz").write_bytes(
        gzip_bytes(_without_last_line(release / "mimic-cxr-2.0.0-split.csv.gz"))
    )
    third = load_release(release, db_url)
    assert not third.unchanged
    assert query(release, db_url, "SELECT count(*) FROM {metadata}") == [(6,)]


def _without_last_line(path: Path) -> bytes:
    lines = gzip.decompress(path.read_bytes()).splitlines(keepends=True)
    return b"".join(lines[:-1])


def _metadata_without_last_image(release: Path) -> bytes:
    return _without_last_line(release / METADATA)


def test_an_interrupted_load_keeps_the_previous_content_and_then_completes(
    release: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_release(release, db_url)
    (release / CHEXPERT).write_bytes(gzip_bytes(_without_last_line(release / CHEXPERT)))
    backend_type = type(open_backend(release, db_url))
    original = backend_type.load_table

    def dies_on_negbio(self: Backend, schema: str, spec: Any, path: Path) -> None:
        if spec.name == "negbio":
            raise KeyboardInterrupt
        original(self, schema, spec, path)  # type: ignore[arg-type]

    monkeypatch.setattr(backend_type, "load_table", dies_on_negbio)
    with pytest.raises(KeyboardInterrupt):
        load_release(release, db_url)
    assert query(release, db_url, "SELECT count(*) FROM {chexpert}") == [(5,)]
    monkeypatch.setattr(backend_type, "load_table", original)
    summary = load_release(release, db_url)
    assert not summary.unchanged and summary.rows["chexpert"] == 4


def test_a_table_with_other_columns_is_refused(release: Path, tmp_path: Path) -> None:
    (release / CHEXPERT).write_bytes(gzip_bytes(b"subject_id,study_id,Other\n1,2,3\n"))
    with pytest.raises(DataFileError, match="does not have the columns of chexpert"):
        load_release(release, str(tmp_path / "x.duckdb"))


def test_a_folder_that_is_not_a_release_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["db", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not a release" in result.output


def test_derived_views(release: Path, db_url: str) -> None:
    load_release(release, db_url)
    studies = query(
        release,
        db_url,
        "SELECT study_id, n_images, views, split, report_path FROM {studies} ORDER BY study_id",
    )
    assert studies[0] == (50000001, 2, "LATERAL,PA", "train", "files/p10/p10000001/s50000001.txt")
    order = query(
        release, db_url, "SELECT study_id, study_order FROM {study_order} ORDER BY study_id"
    )
    assert [o for _, o in order] == [1, 2, 1, 1, 2]
    when = query(release, db_url, "SELECT study_datetime FROM {studies} ORDER BY study_id")
    assert str(when[1][0]).replace("T", " ") == "2150-03-20 00:00:01.500000"
    assert when[4][0] is None
    long = query(
        release,
        db_url,
        "SELECT labeler, label, value FROM {labels_long} "
        "WHERE study_id = 50000003 ORDER BY labeler, label",
    )
    assert long == [
        ("chexpert", "Edema", -1.0),
        ("chexpert", "Pleural Effusion", 1.0),
        ("negbio", "Edema", -1.0),
        ("negbio", "Pleural Effusion", 1.0),
    ]
    frontal = query(
        release, db_url, 'SELECT dicom_id, "ViewPosition", split FROM {frontal} ORDER BY dicom_id'
    )
    assert [v for _, v, _ in frontal] == ["PA", "AP", "PA", "AP"]
    paths = query(release, db_url, "SELECT dicom_path, jpg_path FROM {paths} ORDER BY dicom_id")
    assert paths[0][1] == "jpg/" + paths[0][0][: -len(".dcm")] + ".jpg"


def test_bigquery_names(release: Path, db_url: str) -> None:
    load_release(release, db_url, LoadOptions(bigquery_names=True))
    db = open_backend(release, db_url)
    try:
        source = "chexpert_bq" if db.dialect == "sqlite" else "mimiciv_cxr_bq.chexpert"
        rows = db.query(f"SELECT No_Finding, Pleural_Effusion FROM {source} ORDER BY study_id")
    finally:
        db.close()
    assert rows[3] == (1.0, 0.0)


@pytest.mark.parametrize(
    "text", ["074823", "74823.0", "000001.5", "235959.999999", "7", "120000.25"]
)
def test_study_datetime_in_sql_equals_python(text: str, tmp_path: Path) -> None:
    import duckdb

    from cxrkit.db.backends import _time_seconds_sql

    sql = _time_seconds_sql("t").replace("DOUBLE PRECISION", "DOUBLE")
    found = duckdb.connect().execute(f"SELECT {sql} FROM (SELECT ? AS t)", [text]).fetchone()
    assert found is not None
    assert found[0] == pytest.approx(seconds_of_day(text))


def test_the_command_loads_and_says_so(release: Path) -> None:
    result = CliRunner().invoke(main, ["db", str(release)])
    assert result.exit_code == 0, result.output
    assert "metadata" in result.output and (release / "cxr.duckdb").is_file()
    result = CliRunner().invoke(main, ["db", str(release)])
    assert "nothing to do" in result.output


def test_the_schema_diagram_of_the_docs_is_the_live_schema(
    release: Path, tmp_path: Path, new_pg_database: Callable[[str], str]
) -> None:
    admissions = tmp_path / "admissions.csv"
    admissions.write_text(
        "subject_id,hadm_id,admittime,dischtime,admission_type\n"
        "10000001,a1,2150-03-13 07:00:00,2150-03-16 07:00:00,URGENT\n",
        encoding="utf-8",
    )
    picture = tmp_path / "schema.png"
    url = new_pg_database("diagram")
    result = CliRunner().invoke(
        main,
        ["db", str(release), "--url", url, "--attach", f"admissions={admissions}",
         "--diagram", str(picture)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert picture.read_bytes()[:4] == b"\x89PNG"
    drawn = picture.with_suffix(".mmd").read_text(encoding="utf-8")
    assert 'study_list ||--o{ metadata : "study_id"' in drawn
    docs = Path(__file__).parents[2] / "docs"
    assert (docs / "database-schema.mmd").read_text(encoding="utf-8") == drawn
    assert f"```mermaid\n{drawn}```" in (docs / "database.md").read_text(encoding="utf-8")


def test_a_schema_with_tables_of_others_is_left_alone(release: Path, db_url: str) -> None:
    db = open_backend(release, db_url)
    try:
        if db.dialect != "sqlite":
            db.execute(f"CREATE SCHEMA {SCHEMA}")
        db.execute(f"CREATE TABLE {db.table(SCHEMA, 'mine')} (x INTEGER)")
        if db.dialect == "postgresql":
            db.commit()
    finally:
        db.close()
    with pytest.raises(ConfigError, match="holds tables that cxrkit db did not load"):
        load_release(release, db_url)
    assert query(release, db_url, "SELECT count(*) FROM " + _mine(db_url)) == [(0,)]


def _mine(url: str) -> str:
    return '"mine"' if url.startswith("sqlite") else f'"{SCHEMA}"."mine"'


def test_study_admission_with_tolerance_and_overlapping_stays(
    release: Path, db_url: str, tmp_path: Path
) -> None:
    admissions = tmp_path / "admissions.csv"
    admissions.write_text(
        "subject_id,hadm_id,admittime,dischtime,admission_type\n"
        "10000001,A,2150-03-13 00:00:00,2150-03-14 07:00:00,URGENT\n"  # ends 48 min early
        "10000001,B,2150-03-19 00:00:00,2150-03-21 00:00:00,URGENT\n"
        "10000001,C,2150-03-19 12:00:00,2150-03-25 00:00:00,URGENT\n"  # overlaps B
        "10000002,D,2161-01-02 00:00:00,2161-01-05 00:00:00,ELECTIVE\n",  # a second late
        encoding="utf-8",
    )
    sql = (
        "SELECT study_id, hadm_id, n_candidates, ambiguous FROM {study_admission} ORDER BY study_id"
    )
    for hours, first, third in (
        (0.0, (None, 0, 0), (None, 0, 0)),
        (1.0, ("A", 1, 0), ("D", 1, 0)),  # both ends widened
    ):
        attach = (("admissions", admissions),)
        load_release(release, db_url, LoadOptions(attach=attach, tolerance_hours=hours))
        rows = query(release, db_url, sql)
        assert [r[0] for r in rows] == [50000001, 50000002, 50000003, 50000004, 50000005]
        assert rows[0][1:] == first
        assert rows[1][1:] == ("C", 2, 1)  # inside both: flagged, the later admission
        assert rows[2][1:] == third


def test_an_image_of_a_study_not_listed_is_refused(release: Path, db_url: str) -> None:
    path = release / "cxr-record-list.csv.gz"
    data = gzip.decompress(path.read_bytes()) + b"10000009,59999999,ffff,files/x.dcm\n"
    path.write_bytes(gzip_bytes(data))
    with pytest.raises(DataFileError, match=r"(?i)foreign key|not in study_list|constraint"):
        load_release(release, db_url)


def test_the_labeled_test_set_is_loaded_where_present(release: Path, db_url: str) -> None:
    header = ",".join(["study_id", *(f'"{n}"' if " " in n else n for n in LABELS)])
    row = ",".join(["50000004", *("1.0" if n == "No Finding" else "" for n in LABELS)])
    (release / "mimic-cxr-2.1.0-test-set-labeled.csv").write_text(
        f"{header}\n{row}\n", encoding="utf-8"
    )
    assert load_release(release, db_url).rows["test_set_labeled"] == 1
    found = query(release, db_url, 'SELECT study_id, "No Finding", "Edema" FROM {test_set_labeled}')
    assert found == [(50000004, 1.0, None)]
