"""CheXpert v1.0 and v1.0-small: the table of images.

The root is the folder holding ``train.csv`` and ``valid.csv`` (and the ``train/``, ``valid/``
image folders). Test labels (the 500 studies read by five radiologists) are read from
``test_labels.csv`` or ``test.csv`` when present. The ``Path`` column comes in several forms —
``CheXpert-v1.0-small/train/patient00001/study1/view1_frontal.jpg``, ``CheXpert-v1.0/valid/…``,
or without the first part (``test/patient64741/study1/view1_frontal.jpg``); all are resolved
against the root.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cxrkit.errors import DataFileError
from cxrkit.loaders.files import find_file, read_csv, relative, require_columns
from cxrkit.loaders.schema import canonical_label, dataset_labels, harmonise_views

PARTS = (
    ("train", ("train.csv",)),
    ("validate", ("valid.csv",)),
    ("test", ("test_labels.csv", "test.csv")),
)
_PATH_PATTERN = (
    r"^(?:[^/]*CheXpert[^/]*/)?"
    r"(?P<rel>(?:[^/]+/)?(?P<subject>patient\d+)/(?P<study>study\d+)/(?P<file>[^/]+))$"
)


def _normalise_paths(paths: pd.Series, csv_path: Path, root: Path) -> pd.DataFrame:
    parts = paths.astype("str").str.replace("\\", "/", regex=False).str.extract(_PATH_PATTERN)
    if parts["rel"].isna().any():
        bad = paths[parts["rel"].isna()].iloc[0]
        raise DataFileError(
            f"{relative(csv_path, root)}: Path {bad!r} is not of the form "
            "[CheXpert-v1.0…/]<part>/patientNNNNN/studyN/<view>.jpg"
        )
    return parts


def _views(frame: pd.DataFrame, files: pd.Series) -> tuple[pd.Series, pd.Series]:
    from_file = files.str.contains("lateral", case=False).map({True: "Lateral", False: "Frontal"})
    side = frame["Frontal/Lateral"] if "Frontal/Lateral" in frame.columns else from_file
    side = side.astype("str").fillna(from_file)
    _, group = harmonise_views(side)
    position = frame["AP/PA"] if "AP/PA" in frame.columns else pd.Series(pd.NA, index=frame.index)
    source = position.astype("str").where(group == "frontal", side)
    source = source.where(source.notna() & (source != ""), side)
    view, _ = harmonise_views(source)
    return view, group


def _read_part(path: Path, root: Path, split: str) -> pd.DataFrame:
    frame = read_csv(path, root)
    require_columns(frame, ["Path"], path, root)
    renames = {c: canonical_label(c) for c in frame.columns}
    frame = frame.rename(columns={c: lab for c, lab in renames.items() if lab is not None})
    labels = [lab for lab in dataset_labels("chexpert") if lab in frame.columns]
    if not labels:
        raise DataFileError(f"{relative(path, root)} has none of the 14 CheXpert label columns")
    parts = _normalise_paths(frame["Path"], path, root)
    table = pd.DataFrame(index=frame.index)
    table["image_id"] = parts["rel"]
    table["subject_id"] = parts["subject"]
    table["study_id"] = parts["subject"] + "/" + parts["study"]
    table["view"], table["view_group"] = _views(frame, parts["file"])
    table["split"] = split
    table["sex"] = frame["Sex"].astype("str") if "Sex" in frame.columns else pd.NA
    age = frame["Age"] if "Age" in frame.columns else pd.Series(pd.NA, index=frame.index)
    table["age"] = pd.to_numeric(age, errors="coerce")
    for label in labels:
        table[label] = pd.to_numeric(frame[label], errors="coerce")
    return table


def read_chexpert(root: Path) -> tuple[pd.DataFrame, list[str]]:
    """Return the image table of a CheXpert root (train, validate and, if present, test).

    Examples
    --------
    >>> read_chexpert(Path("/nonexistent"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    cxrkit.errors.DataFileError: train.csv or valid.csv not found in /nonexistent; ...
    """
    frames, found = [], set()
    for split, names in PARTS:
        path = find_file(root, *names, required=False)
        if path is not None:
            frames.append(_read_part(path, root, split))
            found.add(split)
    if not found & {"train", "validate"}:
        find_file(root, "train.csv", "valid.csv")
    table = pd.concat(frames, ignore_index=True)
    labels = [lab for lab in dataset_labels("chexpert") if lab in table.columns]
    if table["image_id"].duplicated().any():
        dup = table.loc[table["image_id"].duplicated(), "image_id"].iloc[0]
        raise DataFileError(f"image {dup} is listed twice in the CheXpert label files")
    table["path"] = str(root).rstrip("/") + "/" + table["image_id"]
    table["dataset"] = "chexpert"
    return table, labels
