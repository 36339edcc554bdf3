"""A tiny hand-made release for the review tests: three tables, six headers, four reports.

Only what :func:`cxrkit.review.sample.release_items` reads is written: the record list, the
study list, the metadata table, and DICOM files holding the header elements the strata use
(no pixels). Ids are invented; no value is PHI.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from cxrkit.release.layout import image_path, report_path, write_report
from cxrkit.release.tables import write_csv_gz

#: (subject, study, dicom_id, view in the metadata table, manufacturer, model)
IMAGES = (
    (10000001, 50000001, "a1", "PA", "ACME", "X1"),
    (10000001, 50000001, "a2", "LATERAL", "ACME", "X1"),
    (10000001, 50000002, "b1", "AP", "ACME", "X2"),
    (10000002, 50000003, "c1", "PA", "", "X1"),  # no Manufacturer in the header
    (10000002, 50000003, "c0", "", "OTHERCO", ""),  # no view, no model
    (11000003, 50000004, "d1", "AP", "OTHERCO", "Z"),
)
#: A study with a report and no image in the tables.
LONE_STUDY = (11000003, 50000005)


def _dicom(path: Path, manufacturer: str, model: str, view: str) -> None:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    if manufacturer:
        ds.Manufacturer = manufacturer
    if model:
        ds.ManufacturerModelName = model
    ds.ViewPosition = view or "PA"  # the header's view is used only when the table has none
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def make_release(out: Path) -> Path:
    rows = []
    for subject, study, dicom_id, view, manufacturer, model in IMAGES:
        rel = image_path(subject, study, dicom_id).as_posix()
        _dicom(out / rel, manufacturer, model, view)
        rows.append(
            {"subject_id": subject, "study_id": study, "dicom_id": dicom_id, "path": rel}
            | {"ViewPosition": view}
        )
    studies = sorted({(s, t) for s, t, *_ in IMAGES} | {LONE_STUDY})
    for subject, study in studies:
        write_report(out, subject, study, f"FINDINGS: study {study} is clear.")
    record_columns = ("subject_id", "study_id", "dicom_id", "path")
    write_csv_gz(out / "cxr-record-list.csv.gz", record_columns, rows)
    study_rows = [
        {"subject_id": s, "study_id": t, "path": report_path(s, t).as_posix()} for s, t in studies
    ]
    write_csv_gz(out / "cxr-study-list.csv.gz", ("subject_id", "study_id", "path"), study_rows)
    write_csv_gz(
        out / "mimic-cxr-2.0.0-metadata.csv.gz",
        ("dicom_id", "subject_id", "study_id", "ViewPosition"),
        rows,
    )
    return out


@pytest.fixture
def release_factory() -> Callable[[Path], Path]:
    """Writes a fresh tiny release into a folder (for tests that damage it)."""
    return make_release


@pytest.fixture(scope="module")
def tiny_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_release(tmp_path_factory.mktemp("release"))


# The review app's fixtures (a built release, the served app, the browser): app_fixtures.py.
from app_fixtures import browser, built_release, served  # noqa: E402, F401
