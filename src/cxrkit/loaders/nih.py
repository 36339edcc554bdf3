"""NIH ChestX-ray14: the table of images and the bounding boxes.

Files read from the root (each may be gzipped or not):

- ``Data_Entry_2017_v2020.csv`` (preferred) or ``Data_Entry_2017.csv``. Their header splits
  ``OriginalImage[Width,Height]`` and ``OriginalImagePixelSpacing[x,y]`` into four cells, the
  2017 file ends every line with an extra comma, and early copies write ages as ``058Y``; the
  columns are therefore read by position. Ages above 120 years (data-entry errors in the 2017
  file) become missing.
- ``BBox_List_2017.csv`` (``Image Index, Finding Label, Bbox [x,y,w,h]``, trailing empty
  columns; findings spelled ``Infiltrate``) → :attr:`Dataset.boxes`.
- ``train_val_list.txt`` / ``test_list.txt`` (one file name a line) → split ``train`` / ``test``.
- images in ``images/`` or in the ``images_001/images/`` … ``images_012/images/`` folders of the
  archive as distributed.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from cxrkit.errors import DataFileError
from cxrkit.loaders.files import find_file, read_csv, relative
from cxrkit.loaders.schema import canonical_label, dataset_labels, harmonise_views, label_schema

ENTRY_COLUMNS = (
    "image_id",
    "finding_labels",
    "follow_up",
    "subject_id",
    "age",
    "sex",
    "View Position",
    "width",
    "height",
    "spacing_x",
    "spacing_y",
)
BOX_COLUMNS = ("image_id", "finding", "x", "y", "w", "h")
MAX_AGE = 120.0


@cache
def _nih_names() -> dict[str, str]:
    """NIH finding name → harmonised label."""
    return {src: m.label for m in label_schema() for src in m.sources["nih-cxr14"]}


def nih_label(name: str) -> str | None:
    """Return the harmonised label of an NIH finding name (``Mass`` → ``Lung Lesion``).

    Examples
    --------
    >>> nih_label("Mass"), nih_label("Infiltrate"), nih_label("Effusion")
    ('Lung Lesion', 'Infiltration', 'Pleural Effusion')
    """
    return _nih_names().get(name.strip()) or canonical_label(name)


def parse_ages(values: pd.Series) -> pd.Series:
    """Return ages in years from ``58``, ``"58"`` or ``"058Y"``/``"011M"``/``"020D"`` values.

    Examples
    --------
    >>> list(parse_ages(pd.Series(["058Y", "006M", "45", "411"])))
    [58.0, 0.5, 45.0, nan]
    """
    plain = pd.to_numeric(values, errors="coerce")
    if plain.notna().all():
        years = plain.astype("float64")
        return years.where(years <= MAX_AGE)
    parts = values.astype("str").str.strip().str.extract(r"^(?P<n>\d+(?:\.\d+)?)\s*(?P<u>[YMDW]?)$")
    number = pd.to_numeric(parts["n"], errors="coerce")
    unit = parts["u"].fillna("").map({"": 1.0, "Y": 1.0, "M": 1 / 12, "W": 7 / 365, "D": 1 / 365})
    years = (number * unit).astype("float64")
    return years.where(years <= MAX_AGE)


def _read_entries(root: Path) -> tuple[pd.DataFrame, Path]:
    path = find_file(root, "Data_Entry_2017_v2020.csv.gz", "Data_Entry_2017.csv.gz")
    assert path is not None
    header = read_csv(path, root, nrows=0)
    if len(header.columns) < len(ENTRY_COLUMNS) or header.columns[0] != "Image Index":
        raise DataFileError(
            f"{relative(path, root)} does not start with the NIH columns "
            "(Image Index, Finding Labels, …); is it the original Data_Entry file?"
        )
    frame = read_csv(path, root, header=None, skiprows=1, dtype="str", keep_default_na=False)
    frame = frame.iloc[:, : len(ENTRY_COLUMNS)]
    frame.columns = list(ENTRY_COLUMNS)
    return frame, path


def _labels(findings: pd.Series, path: Path, root: Path) -> pd.DataFrame:
    """One 0/1 column per harmonised label from the ``|``-joined finding names."""
    names = _nih_names()
    labels = list(dataset_labels("nih-cxr14"))
    column = {source: labels.index(label) for source, label in names.items()}
    matrix = np.zeros((len(findings), len(labels)))
    unknown: set[str] = set()
    for row, cell in enumerate(findings.tolist()):
        for name in str(cell).split("|"):
            position = column.get(name.strip())
            if position is None:
                unknown.add(name.strip())
            else:
                matrix[row, position] = 1.0
    if unknown:
        raise DataFileError(
            f"{relative(path, root)}: unknown finding(s) {', '.join(sorted(unknown))} "
            "in Finding Labels"
        )
    return pd.DataFrame(matrix, columns=labels, index=findings.index)


def _image_locations(root: Path, names: pd.Series) -> pd.Series:
    default = str(root / "images").rstrip("/") + "/" + names
    folders = sorted(p for p in root.glob("images_*") if p.is_dir())
    if not folders:
        return default
    index: dict[str, str] = {}
    for folder in folders:
        inner = folder / "images" if (folder / "images").is_dir() else folder
        index.update((entry.name, str(entry)) for entry in inner.iterdir())
    return names.map(index).fillna(default)


def _splits(root: Path, names: pd.Series) -> pd.Series:
    split = pd.Series(pd.NA, index=names.index, dtype="str")
    for part, filename in (("train", "train_val_list.txt"), ("test", "test_list.txt")):
        path = find_file(root, filename, required=False)
        if path is not None:
            listed = {line.strip() for line in path.read_text("utf-8").splitlines()}
            split = split.mask(names.isin(listed), part)
    return split


def read_boxes(root: Path) -> pd.DataFrame | None:
    """Return ``BBox_List_2017.csv`` as ``image_id, finding, label, x, y, w, h`` (or None).

    ``finding`` is the file's name (``Infiltrate``, ``Mass``), ``label`` the harmonised one.

    Examples
    --------
    >>> read_boxes(Path("/nonexistent")) is None
    True
    """
    path = find_file(root, "BBox_List_2017.csv.gz", required=False)
    if path is None:
        return None
    frame = read_csv(path, root, header=None, skiprows=1)
    frame = frame.iloc[:, : len(BOX_COLUMNS)]
    frame.columns = list(BOX_COLUMNS)
    frame["finding"] = frame["finding"].astype("str").str.strip()
    frame["label"] = frame["finding"].map(nih_label)
    if frame["label"].isna().any():
        bad = frame.loc[frame["label"].isna(), "finding"].iloc[0]
        raise DataFileError(f"{relative(path, root)}: unknown finding {bad!r}")
    return frame[["image_id", "finding", "label", "x", "y", "w", "h"]]


def read_nih_cxr14(root: Path) -> tuple[pd.DataFrame, list[str]]:
    """Return the image table of an NIH ChestX-ray14 root and its harmonised labels.

    Examples
    --------
    >>> read_nih_cxr14(Path("/nonexistent"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    cxrkit.errors.DataFileError: Data_Entry_2017_v2020.csv.gz or Data_Entry_2017.csv.gz ...
    """
    frame, path = _read_entries(root)
    table = pd.DataFrame(index=frame.index)
    table["image_id"] = frame["image_id"].str.strip()
    subject = pd.to_numeric(frame["subject_id"], errors="coerce")
    if subject.isna().any():
        raise DataFileError(f"{relative(path, root)}: a Patient ID is not an integer")
    table["subject_id"] = subject.astype("int64")
    table["study_id"] = table["image_id"].str.replace(r"\.png$", "", regex=True)
    table["view"], table["view_group"] = harmonise_views(frame["View Position"])
    table["split"] = _splits(root, table["image_id"])
    table["sex"] = frame["sex"].str.strip()
    table["age"] = parse_ages(frame["age"])
    table["follow_up"] = pd.to_numeric(frame["follow_up"], errors="coerce")
    table["finding_labels"] = frame["finding_labels"]
    for column in ("width", "height", "spacing_x", "spacing_y"):
        table[column] = pd.to_numeric(frame[column], errors="coerce")
    labels = _labels(frame["finding_labels"], path, root)
    table = pd.concat([table, labels], axis=1)
    table["path"] = _image_locations(root, table["image_id"])
    table["dataset"] = "nih-cxr14"
    return table, list(dataset_labels("nih-cxr14"))
