"""Assembly writes the tables of a small hand-made release, and ``verify`` checks them.

The images are stand-in files (verify reads the tables and checksums, not the pixels); the
reports carry the labels the report step gave them.
"""

from __future__ import annotations

import datetime as dt
import gzip
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from cxrkit.identity.keystore import Keystore
from cxrkit.identity.source_keys import PatientKey
from cxrkit.labels import LABELS
from cxrkit.labels.reports import label_study
from cxrkit.release.assemble import (
    CHEXPERT,
    JPG_TABLES,
    NEGBIO,
    RECORD_LIST,
    SPLIT,
    STUDY_LIST,
    TABLE_FILES,
    TEST_SET_FILES,
    ReleaseContent,
    StudyReport,
    assemble,
)
from cxrkit.release.layout import image_path, write_report
from cxrkit.release.tables import write_checksums, write_csv_gz
from cxrkit.release.verify import read_table, verify


@dataclass(frozen=True)
class _Image:
    out_rel: str
    metadata: dict[str, Any]


def _dicom_id(n: int) -> str:
    return f"{n:08x}-00000000-00000000-00000000-00000000"


@pytest.fixture
def keystore(tmp_path: Path) -> Keystore:
    return Keystore.open(tmp_path / "private")


def _content(keystore: Keystore, out: Path, *, validate: int = 0) -> ReleaseContent:
    """Three patients; the second has two studies, the last study's report has no label text."""
    images, reports = [], []
    n = 0
    for p, studies in enumerate((1, 2, 1)):
        subject = keystore.patient(PatientKey("", f"MRN{p}"), dt.date(2015, 1, 1)).subject_id
        for s in range(studies):
            study = 50_000_000 + 10 * p + s
            for _ in range(2):
                n += 1
                rel = image_path(subject, study, _dicom_id(n)).as_posix()
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                (out / rel).write_bytes(b"stand-in")
                row = {"dicom_id": _dicom_id(n), "subject_id": subject, "study_id": study}
                images.append(_Image(rel, {**row, "ViewPosition": "PA", "Rows": 32}))
            text = "" if p == 2 else "Small left pleural effusion."
            write_report(out, subject, study, f" IMPRESSION: {text}")
            reports.append(StudyReport(subject, study, label_study(text)))
    return ReleaseContent(images[::-1], reports[::-1], set(), validate, jpg=True)


def test_the_tables_are_sorted_and_agree(tmp_path: Path, keystore: Keystore) -> None:
    out = tmp_path / "out"
    content = _content(keystore, out, validate=1)
    assemble(out, keystore, content)
    records = read_table(out / RECORD_LIST)
    assert len(records) == 8
    keys = [(int(r["subject_id"]), int(r["study_id"]), r["dicom_id"]) for r in records]
    assert keys == sorted(keys)
    assert [r["path"] for r in records] == (out / "IMAGE_FILENAMES").read_text().splitlines()
    assert len(read_table(out / STUDY_LIST)) == 4
    splits = {r["subject_id"]: r["split"] for r in read_table(out / SPLIT)}
    assert sorted(splits.values()) == ["train", "train", "validate"]
    chexpert = read_table(out / CHEXPERT)
    # sorted by patient, then study (patients' ids are pseudonyms of a fresh key: any order)
    label_keys = [(int(r["subject_id"]), int(r["study_id"])) for r in chexpert]
    assert label_keys == sorted(label_keys)
    assert sorted(r["study_id"] for r in chexpert) == ["50000000", "50000010", "50000011"]
    assert list(chexpert[0]) == ["subject_id", "study_id", *LABELS]
    assert {r["Pleural Effusion"] for r in chexpert} == {"1.0"}
    assert len(read_table(out / NEGBIO)) == 3  # the blank report has no label row
    for name in JPG_TABLES:
        assert (out / "jpg" / name).read_bytes() == (out / name).read_bytes()
    assert "3 patients, 4 studies, 8 images" in (out / "README.md").read_text()
    report = verify(out)
    assert report.ok, dict(report.problems)
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    tables = {f for f in written if not f.startswith(("files/", "jpg/files/"))}
    assert tables == TABLE_FILES - TEST_SET_FILES  # no manual test set here


def test_the_same_content_gives_the_same_bytes(tmp_path: Path, keystore: Keystore) -> None:
    content = _content(keystore, tmp_path / "a", validate=1)
    assemble(tmp_path / "a", keystore, content)
    _content(keystore, tmp_path / "b", validate=1)
    assemble(tmp_path / "b", keystore, replace(content, images=content.images[::-1]))
    sums = [(tmp_path / d / "SHA256SUMS.txt").read_bytes() for d in ("a", "b")]
    assert sums[0] == sums[1]


def test_splits_are_recorded_and_kept(tmp_path: Path, keystore: Keystore) -> None:
    out = tmp_path / "out"
    content = _content(keystore, out)
    first = sorted(content.images, key=lambda i: i.out_rel)[0].metadata["subject_id"]
    assemble(out, keystore, replace(content, test_subjects={first}))
    assert keystore.split(first) == "test"
    before = read_table(out / SPLIT)
    assemble(out, keystore, replace(content, validate_patients=3))  # a later build: no change
    assert read_table(out / SPLIT) == before
    assert sorted({r["subject_id"]: r["split"] for r in before}.values()) == [
        "test",
        "train",
        "train",
    ]


def _tamper(out: Path, name: str, rows: list[dict[str, str]]) -> None:
    write_csv_gz(out / name, list(rows[0]), rows)
    write_checksums(out)


@pytest.fixture
def release(tmp_path: Path, keystore: Keystore) -> Path:
    out = tmp_path / "out"
    assemble(out, keystore, _content(keystore, out))
    return out


def test_verify_finds_a_study_without_its_report(release: Path) -> None:
    next((release / "files").rglob("*.txt")).unlink()
    write_checksums(release)
    assert list(verify(release).problems) == ["study without its report"]


def test_verify_finds_labels_of_a_study_not_released(release: Path) -> None:
    rows = read_table(release / CHEXPERT)
    _tamper(release, CHEXPERT, [*rows, {**rows[0], "study_id": "59999999"}])
    assert list(verify(release).problems) == [f"{CHEXPERT} labels a study not in the release"]


def test_verify_finds_a_patient_in_two_splits(release: Path) -> None:
    rows = read_table(release / SPLIT)
    _tamper(release, SPLIT, [rows[0], {**rows[1], "split": "test"}, *rows[2:]])
    assert list(verify(release).problems) == ["patient in more than one split"]


def test_verify_finds_image_filenames_that_differ(release: Path) -> None:
    names = (release / "IMAGE_FILENAMES").read_text().splitlines()
    (release / "IMAGE_FILENAMES").write_text("\n".join(names[1:]) + "\n")
    write_checksums(release)
    assert list(verify(release).problems) == ["IMAGE_FILENAMES differs from the record list"]


def test_verify_finds_an_image_missing_from_the_record_list(release: Path) -> None:
    rows = read_table(release / RECORD_LIST)
    _tamper(release, RECORD_LIST, rows[1:])
    assert set(verify(release).problems) == {
        "image file and record list disagree",
        "record list and mimic-cxr-2.0.0-metadata.csv.gz disagree",
        "record list and mimic-cxr-2.0.0-split.csv.gz disagree",
        "IMAGE_FILENAMES differs from the record list",
    }


def test_verify_names_a_table_it_cannot_read(release: Path) -> None:
    (release / STUDY_LIST).write_bytes(gzip.compress(b"")[:5])
    write_checksums(release)
    assert "a table cannot be read" in verify(release).problems


def test_verify_refuses_a_folder_that_is_no_release(tmp_path: Path) -> None:
    assert list(verify(tmp_path).problems) == ["not a release (no SHA256SUMS.txt)"]
