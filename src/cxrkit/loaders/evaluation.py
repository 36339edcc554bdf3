"""Evaluate a model's predictions on a loaded dataset, at image and at study level.

A prediction file has one row per image: a key column — ``image_id`` (MIMIC ``dicom_id``,
CheXpert's relative path, NIH ``Image Index``; those native names work too) or ``path``
(absolute, relative to the root, or CheXpert's ``Path`` with its ``CheXpert-v1.0…/`` prefix) —
and one score column per label (harmonised names or aliases). At study level a study's score is
the maximum over its views and its truth the maximum of its views' labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from cxrkit.errors import ConfigError, DataFileError
from cxrkit.loaders.dataset import Dataset
from cxrkit.loaders.metrics import Interval, bootstrap_metrics
from cxrkit.loaders.schema import canonical_label

Level = Literal["image", "study"]
KEY_COLUMNS = ("image_id", "dicom_id", "Image Index", "path", "Path")


@dataclass(frozen=True)
class LabelScore:
    """Metrics of one label at one level; ``n`` units with a 0/1 truth, ``positives`` of them 1."""

    label: str
    level: Level
    n: int
    positives: int
    auc: Interval
    auprc: Interval


@dataclass(frozen=True)
class Evaluation:
    """Per-label results of :func:`evaluate`, with the settings that produced them."""

    dataset: str
    matched_images: int
    n_bootstrap: int
    seed: int
    confidence: float
    scores: tuple[LabelScore, ...]

    def to_frame(self) -> pd.DataFrame:
        """Return one row per (label, level) with the value and interval of each metric."""
        rows = []
        for s in self.scores:
            rows.append(
                {"label": s.label, "level": s.level, "n": s.n, "positives": s.positives}
                | {f"auc{k}": v for k, v in _interval_fields(s.auc).items()}
                | {f"auprc{k}": v for k, v in _interval_fields(s.auprc).items()}
            )
        return pd.DataFrame(rows)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (NaN becomes None)."""
        data = asdict(self)
        for score in data["scores"]:
            for metric in ("auc", "auprc"):
                score[metric] = {k: _json_float(v) for k, v in score[metric].items()}
        return data


def _interval_fields(interval: Interval) -> dict[str, float]:
    return {"": interval.value, "_low": interval.low, "_high": interval.high}


def _json_float(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 6)


def _path_positions(dataset: Dataset, keys: pd.Series) -> pd.Series:
    rel = {
        Path(p).relative_to(dataset.root).as_posix(): i
        for i, p in enumerate(dataset.table["path"].astype(str))
    }
    root = dataset.root.as_posix().rstrip("/") + "/"

    def find(value: str) -> float:
        text = value.strip().replace("\\", "/")
        text = text.removeprefix(root)
        parts = text.split("/")
        for start in range(len(parts)):
            hit = rel.get("/".join(parts[start:]))
            if hit is not None:
                return float(hit)
        return np.nan

    return keys.astype("str").map(find)


def match_predictions(dataset: Dataset, predictions: pd.DataFrame) -> pd.Series:
    """Return, for each prediction row, the position of its image in ``dataset`` (NaN if none).

    Examples
    --------
    >>> table = pd.DataFrame({"path": ["/r/a.png"], "image_id": ["a.png"], "Edema": [1.0]})
    >>> ds = Dataset(table, name="x", root=Path("/r"), labels=["Edema"])
    >>> list(match_predictions(ds, pd.DataFrame({"path": ["a.png", "b.png"]})))
    [0.0, nan]
    """
    key = next((c for c in KEY_COLUMNS if c in predictions.columns), None)
    if key is None:
        raise DataFileError(
            f"the predictions have no key column; add one of {', '.join(KEY_COLUMNS)}"
        )
    if key in ("path", "Path"):
        return _path_positions(dataset, predictions[key])
    index = pd.Series(np.arange(len(dataset), dtype=np.float64), index=dataset.table["image_id"])
    return predictions[key].astype("str").str.strip().map(index)


def _score_columns(predictions: pd.DataFrame, labels: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for column in predictions.columns:
        label = canonical_label(str(column))
        if label is not None and label in labels and label not in found:
            found[label] = str(column)
    if not found:
        raise ConfigError(
            f"no prediction column names a label of this dataset ({', '.join(labels)})"
        )
    return found


def _units(table: pd.DataFrame, scores: pd.Series, label: str, level: Level) -> pd.DataFrame:
    truth = table[label].where(table[label].isin([0.0, 1.0]))
    frame = pd.DataFrame({"truth": truth, "score": scores, "study": table["study_id"]})
    if level == "study":
        frame = frame.groupby("study", sort=False).agg(
            truth=("truth", "max"), score=("score", "max")
        )
    return frame.dropna(subset=["truth"])


def evaluate(
    dataset: Dataset,
    predictions: pd.DataFrame,
    *,
    levels: Sequence[Level] = ("image", "study"),
    n_bootstrap: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Evaluation:
    """Compute per-label ROC-AUC and AUPRC with bootstrap intervals at image and study level.

    Only images with a prediction are evaluated; per label, images whose truth is not 0 or 1
    (NaN, or ``-1`` kept by the uncertainty policy) are left out.

    Examples
    --------
    >>> table = pd.DataFrame({"path": ["/r/a", "/r/b", "/r/c"], "image_id": ["a", "b", "c"],
    ...                       "study_id": [1, 1, 2], "Edema": [1.0, 1.0, 0.0]})
    >>> ds = Dataset(table, name="x", root=Path("/r"), labels=["Edema"])
    >>> preds = pd.DataFrame({"image_id": ["a", "b", "c"], "Edema": [0.9, 0.2, 0.5]})
    >>> [(s.level, s.n, s.auc.value) for s in evaluate(ds, preds, n_bootstrap=10).scores]
    [('image', 3, 0.5), ('study', 2, 1.0)]
    """
    if not levels or set(levels) - {"image", "study"}:
        raise ConfigError(f"levels {list(levels)!r} must be 'image' and/or 'study'")
    positions = match_predictions(dataset, predictions)
    if positions.notna().sum() == 0:
        raise DataFileError("no prediction row matches an image of the dataset; check the keys")
    if positions.dropna().duplicated().any():
        raise DataFileError("an image has more than one prediction row; keep one per image")
    kept = predictions[positions.notna()]
    rows = positions.dropna().astype("int64").to_numpy()
    table = dataset.table.iloc[rows].reset_index(drop=True)
    results = []
    for label, column in _score_columns(predictions, dataset.labels).items():
        scores = pd.to_numeric(kept[column], errors="coerce").reset_index(drop=True)
        if scores.isna().any():
            raise DataFileError(f"the predictions for {label!r} hold empty or non-numeric scores")
        for level in levels:
            units = _units(table, scores, label, level)
            auc, auprc = bootstrap_metrics(
                units["truth"],
                units["score"],
                n_bootstrap=n_bootstrap,
                seed=seed,
                confidence=confidence,
            )
            positives = int(units["truth"].sum())
            results.append(LabelScore(label, level, len(units), positives, auc, auprc))
    return Evaluation(dataset.name, len(rows), n_bootstrap, seed, confidence, tuple(results))
