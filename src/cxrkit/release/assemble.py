"""Release assembly (S14, S17–S19, S22): the tables, lists and checksums of a release.

Written by the driver after every image and report is in place: the images' metadata rows
and the reports with the labels the report step found are turned into tables here, nothing
is computed anew. Rows are sorted and every file is written with deterministic bytes, so the
same input and key give the same release.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cxrkit.derive.metadata import METADATA_COLUMNS
from cxrkit.identity.keystore import Keystore
from cxrkit.labels.schema import LABELS, TEST_SET_FILE, Labels
from cxrkit.release.layout import clean_temporaries, report_path, write_atomic
from cxrkit.release.split import assign_splits
from cxrkit.release.tables import write_checksums, write_csv_gz
from cxrkit.release.test_set import TestLabels, write_release_labels
from cxrkit.release.text import LICENSE_TEXT, readme_text

RECORD_LIST = "cxr-record-list.csv.gz"
STUDY_LIST = "cxr-study-list.csv.gz"
METADATA = "mimic-cxr-2.0.0-metadata.csv.gz"
CHEXPERT = "mimic-cxr-2.0.0-chexpert.csv.gz"
NEGBIO = "mimic-cxr-2.0.0-negbio.csv.gz"
SPLIT = "mimic-cxr-2.0.0-split.csv.gz"
JPG_TABLES = (METADATA, CHEXPERT, NEGBIO, SPLIT)
#: The manual labels (``--test-set``), in the root and beside the JPG tables when there are any.
TEST_SET_FILES = frozenset({TEST_SET_FILE, f"jpg/{TEST_SET_FILE}"})
#: Every file of a release that is not an image or a report, relative to the release root.
TABLE_FILES = frozenset(
    {
        RECORD_LIST,
        STUDY_LIST,
        *JPG_TABLES,
        "IMAGE_FILENAMES",
        "README.md",
        "LICENSE",
        "SHA256SUMS.txt",
        *(f"jpg/{name}" for name in JPG_TABLES),
        *TEST_SET_FILES,
    }
)
LABEL_COLUMNS = ("subject_id", "study_id", *LABELS)


class WrittenImage(Protocol):
    out_rel: str
    metadata: dict[str, Any] | None


@dataclass(frozen=True)
class StudyReport:
    """A released report's study and the labels the report step found in it."""

    subject_id: int
    study_id: int
    labels: dict[str, Labels]  # labeler name → labels; empty (no label row) for a blank text


@dataclass(frozen=True)
class ReleaseContent:
    images: list[Any]  # ImageResult rows with out_rel and metadata
    reports: list[StudyReport]
    test_subjects: set[int]  # the patients of --test-patients
    validate_patients: int
    jpg: bool
    test_labels: TestLabels = field(default_factory=dict)  # of released studies (--test-set)


def _splits(keystore: Keystore, content: ReleaseContent, subjects: list[int]) -> dict[int, str]:
    existing = {s: v for s in subjects if (v := keystore.split(s))}
    test = {s for s in subjects if s in content.test_subjects}
    splits = assign_splits(subjects, existing, test, content.validate_patients, keystore.key)
    keystore.set_splits({s: v for s, v in splits.items() if s not in existing})
    return splits


def _image_rows(content: ReleaseContent) -> list[dict[str, Any]]:
    rows = []
    for image in content.images:
        row = dict(image.metadata)
        row["path"] = image.out_rel
        rows.append(row)
    return sorted(rows, key=lambda r: (r["subject_id"], r["study_id"], r["dicom_id"]))


def _label_rows(reports: list[StudyReport], labeler: str) -> list[dict[str, Any]]:
    """The rows of one labeler's table: the studies whose report has labels, sorted."""
    rows = [
        {"subject_id": r.subject_id, "study_id": r.study_id, **r.labels[labeler]}
        for r in reports
        if r.labels
    ]
    return sorted(rows, key=lambda r: (r["subject_id"], r["study_id"]))


def assemble(out: Path, keystore: Keystore, content: ReleaseContent) -> None:
    """Write every table of the release, then its checksums."""
    clean_temporaries(out)
    rows = _image_rows(content)
    studies = sorted({(r["subject_id"], r["study_id"]) for r in rows})
    splits = _splits(keystore, content, sorted({s for s, _ in studies}))
    write_csv_gz(out / RECORD_LIST, ("subject_id", "study_id", "dicom_id", "path"), rows)
    write_csv_gz(
        out / STUDY_LIST,
        ("subject_id", "study_id", "path"),
        (
            {"subject_id": s, "study_id": t, "path": report_path(s, t).as_posix()}
            for s, t in studies
        ),
    )
    write_csv_gz(out / METADATA, METADATA_COLUMNS, rows)
    write_csv_gz(
        out / SPLIT,
        ("dicom_id", "study_id", "subject_id", "split"),
        ({**r, "split": splits[r["subject_id"]]} for r in rows),
    )
    for name, labeler in ((CHEXPERT, "chexpert"), (NEGBIO, "negbio")):
        write_csv_gz(out / name, LABEL_COLUMNS, _label_rows(content.reports, labeler))
    write_atomic(out / "IMAGE_FILENAMES", "".join(r["path"] + "\n" for r in rows).encode("utf-8"))
    write_atomic(
        out / "README.md",
        readme_text(
            len({s for s, _ in studies}), len(studies), len(rows), len(content.test_labels)
        ).encode("utf-8"),
    )
    write_atomic(out / "LICENSE", LICENSE_TEXT.encode("utf-8"))
    if content.jpg:
        (out / "jpg").mkdir(exist_ok=True)  # no image written: the tables still go there
        for name in JPG_TABLES:
            write_atomic(out / "jpg" / name, (out / name).read_bytes())
    if content.test_labels:
        write_release_labels(out, content.test_labels, content.jpg)
    write_checksums(out)
