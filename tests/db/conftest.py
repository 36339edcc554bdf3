"""A tiny release written table by table (no images): three patients, five studies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cxrkit.derive.metadata import METADATA_COLUMNS
from cxrkit.labels import LABELS
from cxrkit.release.assemble import (
    CHEXPERT,
    LABEL_COLUMNS,
    METADATA,
    NEGBIO,
    RECORD_LIST,
    SPLIT,
    STUDY_LIST,
)
from cxrkit.release.layout import image_path, report_path
from cxrkit.release.tables import write_csv_gz

#: (subject_id, study_id, StudyDate, StudyTime, views, split)
STUDIES = (
    (10000001, 50000001, "21500314", "074823", ("PA", "LATERAL"), "train"),
    (10000001, 50000002, "21500320", "000001.5", ("AP",), "train"),
    (10000002, 50000003, "21610101", "235959", ("PA", "LATERAL"), "validate"),
    (10000003, 50000004, "21200630", "120000", ("LATERAL",), "test"),
    (10000003, 50000005, "21200701", "", ("AP",), "test"),
)


def dicom_id(study_id: int, k: int) -> str:
    return f"{study_id:08x}-{k:08x}-00000000-00000000-00000000"


def labels(study_id: int) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(LABELS)
    row["Pleural Effusion"] = 1.0 if study_id % 2 else 0.0
    row["No Finding"] = 1.0 if study_id == 50000004 else None
    row["Edema"] = -1.0 if study_id == 50000003 else None
    return row


def write_release(root: Path) -> Path:
    images = []
    for subject, study, day, time, views, split in STUDIES:
        for k, view in enumerate(views):
            d = dicom_id(study, k)
            images.append(
                {
                    "subject_id": subject,
                    "study_id": study,
                    "dicom_id": d,
                    "path": image_path(subject, study, d).as_posix(),
                    "ViewPosition": view,
                    "Rows": 3056,
                    "Columns": 2544,
                    "StudyDate": day,
                    "StudyTime": time,
                    "PerformedProcedureStepDescription": "CHEST (PA AND LAT)",
                    "split": split,
                }
            )
    write_csv_gz(root / RECORD_LIST, ("subject_id", "study_id", "dicom_id", "path"), images)
    write_csv_gz(
        root / STUDY_LIST,
        ("subject_id", "study_id", "path"),
        (
            {"subject_id": s, "study_id": t, "path": report_path(s, t).as_posix()}
            for s, t, *_ in STUDIES
        ),
    )
    write_csv_gz(root / METADATA, METADATA_COLUMNS, images)
    write_csv_gz(root / SPLIT, ("dicom_id", "study_id", "subject_id", "split"), images)
    for name in (CHEXPERT, NEGBIO):
        rows = [{"subject_id": s, "study_id": t, **labels(t)} for s, t, *_ in STUDIES]
        write_csv_gz(root / name, LABEL_COLUMNS, rows)
    return root


@pytest.fixture
def release(tmp_path: Path) -> Path:
    return write_release(tmp_path / "release")


@pytest.fixture(params=["duckdb", "postgresql", "sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of each kind: a DuckDB file, a fresh PostgreSQL database, a SQLite file."""
    if request.param == "duckdb":
        yield str(tmp_path / "cxr.duckdb")
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cxr.sqlite'}"
    else:
        yield request.getfixturevalue("new_pg_database")("db")
