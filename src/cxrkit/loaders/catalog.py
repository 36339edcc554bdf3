"""The one entry point, :func:`load`: a dataset name and root in, a :class:`Dataset` out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from cxrkit.errors import ConfigError, DataFileError
from cxrkit.loaders.chexpert import read_chexpert
from cxrkit.loaders.dataset import Dataset, Size, check_size
from cxrkit.loaders.mimic import LabelSource, read_mimic_cxr_jpg
from cxrkit.loaders.nih import read_boxes, read_nih_cxr14
from cxrkit.loaders.schema import (
    DATASETS,
    UNKNOWN_VIEW,
    VIEW_GROUPS,
    UncertaintyPolicy,
    apply_uncertainty,
    check_policy,
    known_views,
    resolve_labels,
)

SPLIT_ALIASES = {"valid": "validate", "val": "validate", "validation": "validate"}
SPLIT_ALIASES |= {"train_val": "train", "trainval": "train"}
Blanks = Literal["keep", "zeros"]
FIRST_COLUMNS = ["dataset", "image_id", "path", "subject_id", "study_id", "view", "view_group"]
FIRST_COLUMNS += ["split"]
_ALIASES = {"mimic": "mimic-cxr-jpg", "mimic-cxr": "mimic-cxr-jpg", "cxrkit": "mimic-cxr-jpg"}
_ALIASES |= {"nih": "nih-cxr14", "chestx-ray14": "nih-cxr14", "chexpert-small": "chexpert"}


def dataset_name(name: str) -> str:
    """Return the canonical dataset name (``mimic-cxr-jpg``, ``chexpert``, ``nih-cxr14``).

    Examples
    --------
    >>> dataset_name("NIH"), dataset_name("mimic-cxr-jpg")
    ('nih-cxr14', 'mimic-cxr-jpg')
    """
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in DATASETS:
        raise ConfigError(f"unknown dataset {name!r}; use one of {', '.join(DATASETS)}")
    return key


def _as_list(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _filter_split(table: pd.DataFrame, split: str | Sequence[str], name: str) -> pd.DataFrame:
    wanted = {SPLIT_ALIASES.get(s.lower(), s.lower()) for s in _as_list(split)}
    present = set(table["split"].dropna().unique())
    if not present:
        raise ConfigError(
            f"{name} at this root has no split information (the split/list files are missing); "
            "load without split= and use Dataset.patient_split"
        )
    unknown = wanted - present
    if unknown:
        raise ConfigError(
            f"split {', '.join(sorted(unknown))} not in {name}; use one of "
            f"{', '.join(sorted(present))}"
        )
    return table[table["split"].isin(wanted)]


def _filter_views(table: pd.DataFrame, views: str | Sequence[str]) -> pd.DataFrame:
    names = {v.strip().upper() for v in _as_list(views)}
    groups = {n.lower() for n in names if n.lower() in VIEW_GROUPS}
    unknown = names - set(known_views()) - {g.upper() for g in groups}
    if unknown:
        raise ConfigError(
            f"unknown view(s) {', '.join(sorted(unknown))}; use view names "
            f"({', '.join(known_views())}) or groups ({', '.join(VIEW_GROUPS)})"
        )
    keep = table["view"].isin(names) | table["view_group"].isin(groups)
    if UNKNOWN_VIEW in names:
        keep |= table["view"] == UNKNOWN_VIEW
    return table[keep]


def _read(
    name: str, root: Path, label_source: LabelSource | None
) -> tuple[pd.DataFrame, list[str]]:
    if label_source is not None and name != "mimic-cxr-jpg":
        raise ConfigError(f"label_source applies to mimic-cxr-jpg only, not to {name}")
    readers: dict[str, Callable[[Path], tuple[pd.DataFrame, list[str]]]] = {
        "mimic-cxr-jpg": lambda r: read_mimic_cxr_jpg(r, label_source=label_source or "chexpert"),
        "chexpert": read_chexpert,
        "nih-cxr14": read_nih_cxr14,
    }
    return readers[name](root)


def load(
    name: str,
    root: str | Path,
    *,
    split: str | Sequence[str] | None = None,
    views: str | Sequence[str] | None = None,
    uncertainty: UncertaintyPolicy = "keep",
    labels: Sequence[str] | None = None,
    blanks: Blanks = "keep",
    label_source: LabelSource | None = None,
    size: Size | None = None,
) -> Dataset:
    """Load MIMIC-CXR-JPG, CheXpert or NIH ChestX-ray14 from its files on disk.

    Only the metadata files are read; images are read when a sample's ``.image`` is used.

    Parameters
    ----------
    name
        ``"mimic-cxr-jpg"`` (also a cxrkit release), ``"chexpert"`` or ``"nih-cxr14"``.
    root
        The dataset's folder (the one holding its metadata CSV files).
    split
        Official split(s) to keep: ``train``, ``validate``, ``test`` (``valid`` and NIH's
        ``train_val`` are accepted as aliases). None keeps all rows.
    views
        Harmonised view names (``PA``, ``AP``, ``LATERAL``, ``LL`` …) and/or groups
        (``frontal``, ``lateral``, ``other``) to keep.
    uncertainty
        What ``-1.0`` (uncertain) becomes: ``keep``, ``ones``, ``zeros``, ``ignore`` (NaN), or
        a mapping label → policy (``"*"`` for the rest).
    labels
        Harmonised label names (or aliases) to keep; labels the dataset does not annotate are
        all-NaN columns. Default: every label the dataset has.
    blanks
        ``keep`` leaves not-mentioned labels NaN; ``zeros`` makes them ``0.0``.
    label_source
        MIMIC-CXR-JPG only: ``chexpert`` (default), ``negbio`` or ``manual`` (the labelled
        test set).
    size
        Resize images to this edge length or ``(width, height)`` with OpenCV; None: as stored.

    Returns
    -------
    Dataset

    Raises
    ------
    ConfigError
        On an unknown dataset, split, view, label or policy.
    DataFileError
        If a metadata file is missing or malformed (the message names it).

    Examples
    --------
    >>> load("nih-cxr14", "/nonexistent")
    Traceback (most recent call last):
    cxrkit.errors.DataFileError: dataset root /nonexistent is not a folder
    """
    canonical = dataset_name(name)
    wanted = resolve_labels(labels, canonical)
    check_policy(uncertainty)
    check_size(size)
    if blanks not in ("keep", "zeros"):
        raise ConfigError(f"blanks {blanks!r} must be 'keep' or 'zeros'")
    folder = Path(root).expanduser()
    if not folder.is_dir():
        raise DataFileError(f"dataset root {folder} is not a folder")
    table, present = _read(canonical, folder, label_source)
    if split is not None:
        table = _filter_split(table, split, canonical)
    if views is not None:
        table = _filter_views(table, views)
    for label in wanted:
        if label not in present:
            table[label] = np.nan
            continue
        values = table[label].astype("float64")
        values = values.fillna(0.0) if blanks == "zeros" else values
        table[label] = apply_uncertainty(values, label, uncertainty)
    table = table.drop(columns=[lab for lab in present if lab not in wanted])
    others = [c for c in table.columns if c not in FIRST_COLUMNS and c not in wanted]
    table = table[[*FIRST_COLUMNS, *others, *wanted]]
    boxes = read_boxes(folder) if canonical == "nih-cxr14" else None
    if boxes is not None:
        boxes = boxes[boxes["image_id"].isin(table["image_id"])].reset_index(drop=True)
    return Dataset(table, name=canonical, root=folder, labels=wanted, size=size, boxes=boxes)
