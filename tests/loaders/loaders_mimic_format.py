"""Writes MIMIC-CXR-JPG roots in the documented real format (S1, S17–S19) for tests:
8-digit integer subject_id (starts with 1) and study_id (starts with 5), 40-hex dicom_id in five
dash-separated groups, the real file names and column orders, and tiny flat JPGs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from cxrkit.loaders import CHEXPERT_LABELS

METADATA_COLUMNS = [
    "dicom_id",
    "subject_id",
    "study_id",
    "PerformedProcedureStepDescription",
    "ViewPosition",
    "Rows",
    "Columns",
    "StudyDate",
    "StudyTime",
    "ProcedureCodeSequence_CodeMeaning",
    "ViewCodeSequence_CodeMeaning",
    "PatientOrientationCodeSequence_CodeMeaning",
]
VIEWS = [  # ViewPosition, ViewCodeSequence_CodeMeaning
    ("PA", "postero-anterior"),
    ("LATERAL", "lateral"),
    ("AP", "antero-posterior"),
    ("LL", "left lateral"),
    ("", "lateral"),
]


@dataclass(frozen=True)
class MimicFixture:
    """A MIMIC-CXR-JPG root and what was written into it."""

    root: Path
    metadata: pd.DataFrame
    chexpert: pd.DataFrame
    negbio: pd.DataFrame
    split: pd.DataFrame
    manual: pd.DataFrame
    pixel: dict[str, int]  # dicom_id -> the grey value its JPG is filled with


def _dicom_id(rng: np.random.Generator) -> str:
    return "-".join(f"{int(v):08x}" for v in rng.integers(0, 2**32, size=5))


def _label_rows(rng: np.random.Generator, keys: pd.DataFrame) -> pd.DataFrame:
    values = rng.choice([1.0, 0.0, -1.0, np.nan], size=(len(keys), len(CHEXPERT_LABELS)))
    frame = pd.DataFrame(values, columns=list(CHEXPERT_LABELS))
    return pd.concat([keys.reset_index(drop=True), frame], axis=1)


def write_mimic(root: Path, *, patients: int = 12, seed: int = 3) -> MimicFixture:
    """Write a MIMIC-CXR-JPG root: 8-digit ids, 40-hex dicom_ids, the real files and layout."""
    rng = np.random.default_rng(seed)
    subjects = rng.choice(np.arange(10_000_000, 20_000_000), size=patients, replace=False)
    study_pool = iter(rng.choice(np.arange(50_000_000, 60_000_000), size=10 * patients))
    rows, pixel = [], {}
    for subject in subjects:
        for _ in range(int(rng.integers(1, 4))):
            study = int(next(study_pool))
            date = f"21{rng.integers(10, 99)}0{rng.integers(1, 10)}1{rng.integers(0, 10)}"
            for view_index in rng.choice(len(VIEWS), size=int(rng.integers(1, 4)), replace=False):
                dicom_id = _dicom_id(rng)
                position, meaning = VIEWS[view_index]
                exam = "CHEST (PA AND LAT)"
                ids = [dicom_id, int(subject), study]
                rows.append([*ids, exam, position, 40, 32, int(date), 101512.687, exam, meaning])
                rows[-1].append("Erect")
                value = 20 + 10 * (len(pixel) % 23)
                pixel[dicom_id] = value
                folder = root / "files" / f"p{str(subject)[:2]}" / f"p{subject}" / f"s{study}"
                folder.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(folder / f"{dicom_id}.jpg"), np.full((40, 32), value, np.uint8))
    metadata = pd.DataFrame(rows, columns=METADATA_COLUMNS)
    metadata["ViewPosition"] = metadata["ViewPosition"].replace("", np.nan)
    studies = metadata[["subject_id", "study_id"]].drop_duplicates()
    chexpert = _label_rows(rng, studies.iloc[:-1])  # the last study has no labeler row
    negbio = _label_rows(rng, studies)
    parts = {
        s: "test" if i < 2 else "validate" if i < 4 else "train" for i, s in enumerate(subjects)
    }
    split = metadata[["dicom_id", "study_id", "subject_id"]].copy()
    split["split"] = split["subject_id"].map(parts)
    test_studies = split.loc[split["split"] == "test", ["study_id"]].drop_duplicates()
    manual = _label_rows(rng, test_studies)
    metadata.to_csv(root / "mimic-cxr-2.0.0-metadata.csv.gz", index=False)
    chexpert.to_csv(root / "mimic-cxr-2.0.0-chexpert.csv.gz", index=False)
    negbio.to_csv(root / "mimic-cxr-2.0.0-negbio.csv.gz", index=False)
    split.to_csv(root / "mimic-cxr-2.0.0-split.csv.gz", index=False)
    manual.to_csv(root / "mimic-cxr-2.1.0-test-set-labeled.csv", index=False)
    return MimicFixture(root, metadata, chexpert, negbio, split, manual, pixel)
