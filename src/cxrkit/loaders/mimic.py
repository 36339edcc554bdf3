"""MIMIC-CXR-JPG (and a cxrkit release, which has its layout): the table of images.

Files read from the dataset root (each may be gzipped or not):

- ``mimic-cxr-2.0.0-metadata.csv.gz`` — one row per image (``dicom_id``, ``subject_id``,
  ``study_id``, ``ViewPosition``, …; S17);
- ``mimic-cxr-2.0.0-chexpert.csv.gz`` / ``-negbio.csv.gz`` — one row per study
  (``subject_id``, ``study_id`` and the 14 labels);
- ``mimic-cxr-2.1.0-test-set-labeled.csv`` — manual labels of test studies (``study_id`` and
  the 14 labels);
- ``mimic-cxr-2.0.0-split.csv.gz`` — ``dicom_id, study_id, subject_id, split``;
- ``files/p<first 2 digits>/p<subject_id>/s<study_id>/<dicom_id>.jpg``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd

from cxrkit.errors import ConfigError, DataFileError
from cxrkit.loaders.files import find_file, read_csv, relative, require_columns
from cxrkit.loaders.schema import canonical_label, dataset_labels, harmonise_views

LabelSource = Literal["chexpert", "negbio", "manual"]
LABEL_FILES: dict[str, tuple[str, ...]] = {
    "chexpert": ("mimic-cxr-2.0.0-chexpert.csv.gz",),
    "negbio": ("mimic-cxr-2.0.0-negbio.csv.gz",),
    "manual": ("mimic-cxr-2.1.0-test-set-labeled.csv",),
}
METADATA = "mimic-cxr-2.0.0-metadata.csv.gz"
SPLIT = "mimic-cxr-2.0.0-split.csv.gz"
META_COLUMNS = (
    "dicom_id",
    "PerformedProcedureStepDescription",
    "ViewPosition",
    "Rows",
    "Columns",
    "StudyDate",
    "StudyTime",
)
ID_COLUMNS = ("subject_id", "study_id")


def _integer_ids(frame: pd.DataFrame, path: Path, root: Path) -> pd.DataFrame:
    for column in ID_COLUMNS:
        if column not in frame.columns:
            continue
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.isna().any():
            bad = frame.loc[values.isna(), column].iloc[0]
            raise DataFileError(
                f"{relative(path, root)}: {column} {bad!r} is not an integer; MIMIC-CXR ids are "
                "plain integers (8 digits)"
            )
        frame[column] = values.astype("int64")
    return frame


def _read_metadata(root: Path) -> pd.DataFrame:
    path = find_file(root, METADATA)
    assert path is not None
    frame = read_csv(path, root, dtype={"dicom_id": "str"})
    require_columns(frame, ["dicom_id", "subject_id", "study_id", "ViewPosition"], path, root)
    frame = _integer_ids(frame, path, root)
    keep = [c for c in (*META_COLUMNS, *ID_COLUMNS) if c in frame.columns]
    if "ViewCodeSequence_CodeMeaning" in frame.columns:
        keep.append("ViewCodeSequence_CodeMeaning")
    return frame[keep]


def _read_labels(root: Path, source: LabelSource) -> tuple[pd.DataFrame, list[str]]:
    if source not in LABEL_FILES:
        raise ConfigError(
            f"label_source {source!r} is not one of {', '.join(LABEL_FILES)} for MIMIC-CXR-JPG"
        )
    path = find_file(root, *LABEL_FILES[source])
    assert path is not None
    frame = read_csv(path, root)
    keys = ["study_id"] if source == "manual" else list(ID_COLUMNS)
    require_columns(frame, keys, path, root)
    frame = _integer_ids(frame, path, root)
    renames = {c: canonical_label(c) for c in frame.columns if c not in ID_COLUMNS}
    frame = frame.rename(columns={c: lab for c, lab in renames.items() if lab is not None})
    labels = [lab for lab in dataset_labels("mimic-cxr-jpg") if lab in frame.columns]
    if not labels:
        raise DataFileError(f"{relative(path, root)} has none of the 14 CheXpert label columns")
    frame[labels] = frame[labels].apply(pd.to_numeric, errors="coerce")
    if frame.duplicated(keys).any():
        raise DataFileError(f"{relative(path, root)} has more than one row for a study")
    return frame[[*keys, *labels]], labels


def _read_split(root: Path) -> pd.DataFrame | None:
    path = find_file(root, SPLIT, required=False)
    if path is None:
        return None
    frame = read_csv(path, root, dtype={"dicom_id": "str", "split": "str"})
    require_columns(frame, ["dicom_id", "split"], path, root)
    return frame[["dicom_id", "split"]].drop_duplicates("dicom_id")


def image_paths(root: Path, table: pd.DataFrame) -> pd.Series:
    """Return the JPG path of each row from its ids (``files/pNN/p<subject>/s<study>/…``).

    Examples
    --------
    >>> t = pd.DataFrame({"subject_id": [10000032], "study_id": [50414267], "dicom_id": ["d"]})
    >>> image_paths(Path("/m"), t).iloc[0]
    '/m/files/p10/p10000032/s50414267/d.jpg'
    """
    subject = table["subject_id"].astype("str")
    relative_path = (
        "files/p"
        + subject.str[:2]
        + "/p"
        + subject
        + "/s"
        + table["study_id"].astype("str")
        + "/"
        + table["dicom_id"].astype("str")
        + ".jpg"
    )
    return str(root).rstrip("/") + "/" + relative_path


def read_mimic_cxr_jpg(
    root: Path, *, label_source: LabelSource = "chexpert"
) -> tuple[pd.DataFrame, list[str]]:
    """Return the image table of a MIMIC-CXR-JPG root and the labels its label file holds.

    Images of studies without a row in the label file keep ``NaN`` labels, except with
    ``label_source="manual"``, which keeps only the manually labelled (test) studies.

    Examples
    --------
    >>> read_mimic_cxr_jpg(Path("/nonexistent"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    cxrkit.errors.DataFileError: mimic-cxr-2.0.0-metadata.csv.gz not found in /nonexistent; ...
    """
    meta = _read_metadata(root)
    labels, names = _read_labels(root, label_source)
    if label_source == "manual":
        table = meta.merge(labels, on="study_id", how="inner", validate="many_to_one")
    else:
        table = meta.merge(labels, on=list(ID_COLUMNS), how="left", validate="many_to_one")
    split = _read_split(root)
    if split is None:
        table["split"] = pd.Series(pd.NA, index=table.index, dtype="str")
    else:
        table = table.merge(split, on="dicom_id", how="left", validate="one_to_one")
    fallback = table.get("ViewCodeSequence_CodeMeaning", pd.Series(index=table.index))
    position = table["ViewPosition"].astype("str").where(table["ViewPosition"].notna(), fallback)
    table["view"], table["view_group"] = harmonise_views(position)
    table["image_id"] = table["dicom_id"]
    table["path"] = image_paths(root, table)
    table["dataset"] = "mimic-cxr-jpg"
    table = table.drop(columns=["ViewCodeSequence_CodeMeaning"], errors="ignore")
    return table, names
