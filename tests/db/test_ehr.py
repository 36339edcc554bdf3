"""`cxrkit link-ehr` on small hand-made tables (all values synthetic)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from cxrkit.cli import main
from cxrkit.db.ehr import LinkSpec, link_ehr, pseudonym, shift_text
from cxrkit.errors import ConfigError, SourceError
from cxrkit.identity.keystore import Keystore
from cxrkit.identity.source_keys import PatientKey

MRN_KNOWN, MRN_NEW, MRN_GONE = "0012345", "0099999", "0055555"


@pytest.fixture
def private(tmp_path: Path) -> Path:
    store = Keystore.open(tmp_path / "private")
    store.patient(PatientKey("SYNTHHEALTH", MRN_KNOWN), dt.date(2015, 3, 14))
    store.patient(PatientKey("SYNTHHEALTH", MRN_GONE), dt.date(2016, 1, 1))
    store.withdraw({MRN_GONE})
    return tmp_path / "private"


def _table(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


ROWS = [
    {"mrn": MRN_KNOWN, "enc": "E1", "name": "Doe^Jo", "admit": "2015-03-13 23:10:00", "kind": "U"},
    {"mrn": MRN_KNOWN, "enc": "E2", "name": "Doe^Jane", "admit": "20160101", "kind": "E"},
    {"mrn": MRN_NEW, "enc": "E3", "name": "Roe^Rick", "admit": "2011-07-04T06:00", "kind": "U"},
    {"mrn": MRN_GONE, "enc": "E4", "name": "Poe^Pat", "admit": "2016-01-02 00:00:00", "kind": "U"},
]
SPEC = LinkSpec("mrn", ("admit",), drop=("name",), hash=("enc",), keep=("kind",))


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_mrns_dates_and_identifiers(private: Path, tmp_path: Path) -> None:
    store = Keystore.open(private)
    known = store.patient(PatientKey("SYNTHHEALTH", MRN_KNOWN), dt.date(2000, 1, 1))
    summary = link_ehr(_table(tmp_path / "t.csv", ROWS), private, tmp_path / "o.csv", SPEC)
    assert (summary.rows, summary.written, summary.withdrawn_rows) == (4, 3, 1)
    assert (summary.patients, summary.new_patients) == (2, 1)
    out = _read(tmp_path / "o.csv")
    assert list(out[0]) == ["subject_id", "enc", "admit", "kind"]
    assert out[0]["subject_id"] == out[1]["subject_id"] == str(known.subject_id)
    moved = dt.date(2015, 3, 13) + dt.timedelta(known.shift_days)
    assert out[0]["admit"] == f"{moved.isoformat()} 23:10:00"
    assert out[1]["admit"] == f"{dt.date(2016, 1, 1) + dt.timedelta(known.shift_days):%Y%m%d}"
    new = store.patient(PatientKey("SYNTHHEALTH", MRN_NEW), dt.date(1990, 1, 1))  # recorded: kept
    assert out[2]["subject_id"] == str(new.subject_id)
    assert 2100 <= int(out[2]["admit"][:4]) <= 2200 and out[2]["admit"].endswith("T06:00")
    assert out[0]["enc"] == pseudonym(store.key, "E1") != out[1]["enc"]
    text = (tmp_path / "o.csv").read_text(encoding="utf-8")
    for value in ("Doe", "Roe", "Poe", MRN_KNOWN, MRN_NEW, "E1,", "2015-03-13"):
        assert value not in text


def test_a_second_link_gives_the_same_table(private: Path, tmp_path: Path) -> None:
    table = _table(tmp_path / "t.csv", ROWS)
    link_ehr(table, private, tmp_path / "a.csv", SPEC)
    link_ehr(table, private, tmp_path / "b.csv", SPEC)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_a_parquet_table_links_as_its_csv_does(private: Path, tmp_path: Path) -> None:
    import pandas as pd

    table = tmp_path / "t.parquet"
    pd.DataFrame(ROWS).to_parquet(table, index=False)
    link_ehr(table, private, tmp_path / "o.parquet", SPEC)
    link_ehr(_table(tmp_path / "t.csv", ROWS), private, tmp_path / "o.csv", SPEC)
    out = pd.read_parquet(tmp_path / "o.parquet").astype(str).to_dict("records")
    assert out == _read(tmp_path / "o.csv")


def test_a_column_not_named_is_refused_by_name(private: Path, tmp_path: Path) -> None:
    table = _table(tmp_path / "t.csv", ROWS)
    result = CliRunner().invoke(
        main,
        ["link-ehr", str(table), "--private", str(private), "-o", str(tmp_path / "o.csv"),
         "--mrn-column", "mrn", "--date-columns", "admit", "--hash", "enc", "--keep", "kind"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "columns not named by any option: name" in result.output
    assert "Doe" not in result.output and not (tmp_path / "o.csv").exists()


def test_a_bad_date_names_its_column_and_line_not_its_value(private: Path, tmp_path: Path) -> None:
    rows = [*ROWS[:1], {**ROWS[1], "admit": "Doe 2016"}]
    with pytest.raises(SourceError, match="column admit, line 3") as info:
        link_ehr(_table(tmp_path / "t.csv", rows), private, tmp_path / "o.csv", SPEC)
    assert "Doe" not in str(info.value)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (LinkSpec("mrn", ("admit", "kind"), ("name",), ("enc",), ("kind",)), "two options"),
        (LinkSpec("patient", ("admit",), ("name",), ("enc",), ("kind",)), "not in the table"),
    ],
)
def test_options_that_do_not_fit_the_table(
    private: Path, tmp_path: Path, spec: LinkSpec, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        link_ehr(_table(tmp_path / "t.csv", ROWS), private, tmp_path / "o.csv", spec)


def test_shift_text_keeps_the_form() -> None:
    assert shift_text("2015-12-31", 1) == "2016-01-01"
    assert shift_text("20151231 23:59", 1) == "20160101 23:59"
    with pytest.raises(ValueError, match="not a date"):
        shift_text("2015-1231", 1)
