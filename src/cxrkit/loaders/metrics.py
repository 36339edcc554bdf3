"""ROC-AUC and AUPRC (average precision) with seeded bootstrap confidence intervals.

Both metrics are computed from one sort of the scores: ties count half in the ROC-AUC
(the Mann-Whitney statistic) and form one threshold in the average precision
(``AP = Σ (R_k − R_{k−1}) P_k`` over distinct score thresholds, the usual step-wise AUPRC).
A bootstrap resample is a vector of row counts, so all resamples reuse that one sort.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cxrkit.errors import ConfigError

_CHUNK_CELLS = 4_000_000


@dataclass(frozen=True)
class Interval:
    """A point estimate with a percentile bootstrap confidence interval (NaN if undefined)."""

    value: float
    low: float
    high: float


def _prepare(y_true: ArrayLike, y_score: ArrayLike) -> tuple[NDArray[Any], NDArray[Any]]:
    truth = np.asarray(y_true, dtype=np.float64).ravel()
    score = np.asarray(y_score, dtype=np.float64).ravel()
    if truth.shape != score.shape:
        raise ConfigError(f"{truth.size} labels but {score.size} scores; give one score a label")
    if not np.isin(truth, (0.0, 1.0)).all():
        raise ConfigError("labels must be 0 or 1; drop uncertain (-1) and missing labels first")
    if not np.isfinite(score).all():
        raise ConfigError("scores must be finite numbers")
    order = np.argsort(score, kind="mergesort")
    score, truth = score[order], truth[order]
    starts = np.flatnonzero(np.r_[True, score[1:] != score[:-1]])
    return truth, starts


def _weighted(
    truth: NDArray[Any], starts: NDArray[Any], weights: NDArray[Any]
) -> tuple[NDArray[Any], NDArray[Any]]:
    """ROC-AUC and AP for each row of ``weights`` (rows: resamples; columns: sorted items)."""
    pos = np.add.reduceat(weights * truth, starts, axis=1)
    neg = np.add.reduceat(weights * (1.0 - truth), starts, axis=1)
    total_pos, total_neg = pos.sum(axis=1), neg.sum(axis=1)
    below = np.cumsum(neg, axis=1) - neg
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (pos * (below + 0.5 * neg)).sum(axis=1) / (total_pos * total_neg)
        tp = np.cumsum(pos[:, ::-1], axis=1)
        fp = np.cumsum(neg[:, ::-1], axis=1)
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        ap = (pos[:, ::-1] * precision).sum(axis=1) / total_pos
    undefined = (total_pos == 0) | (total_neg == 0)
    auc[undefined] = np.nan
    ap[total_pos == 0] = np.nan
    return auc, ap


def roc_auc(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Return the area under the ROC curve (NaN when only one class is present).

    Examples
    --------
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    truth, starts = _prepare(y_true, y_score)
    return float(_weighted(truth, starts, np.ones((1, truth.size)))[0][0])


def average_precision(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Return the average precision, the step-wise area under the precision-recall curve.

    Examples
    --------
    >>> round(average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
    0.8333
    """
    truth, starts = _prepare(y_true, y_score)
    return float(_weighted(truth, starts, np.ones((1, truth.size)))[1][0])


def bootstrap_metrics(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    n_bootstrap: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[Interval, Interval]:
    """Return ROC-AUC and AUPRC, each with a percentile bootstrap confidence interval.

    Rows are resampled with replacement ``n_bootstrap`` times from a generator seeded with
    ``seed`` (the same inputs and seed give the same intervals). Resamples holding one class
    only are left out of the percentiles.

    Examples
    --------
    >>> auc, ap = bootstrap_metrics([0, 0, 1, 1, 0, 1], [0.1, 0.2, 0.7, 0.9, 0.6, 0.4], seed=1)
    >>> round(auc.value, 3), auc.low <= auc.value <= auc.high
    (0.889, True)
    """
    if n_bootstrap < 0 or not 0 < confidence < 1:
        raise ConfigError(
            f"n_bootstrap {n_bootstrap} must be >= 0 and confidence {confidence} in (0, 1)"
        )
    truth, starts = _prepare(y_true, y_score)
    point_auc, point_ap = _weighted(truth, starts, np.ones((1, truth.size)))
    rng = np.random.default_rng(seed)
    n = truth.size
    chunk = max(1, _CHUNK_CELLS // max(n, 1))
    aucs, aps = [], []
    for done in range(0, n_bootstrap, chunk):
        b = min(chunk, n_bootstrap - done)
        picks = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        weights = np.bincount(picks.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)
        auc, ap = _weighted(truth, starts, weights)
        aucs.append(auc)
        aps.append(ap)
    tail = (1.0 - confidence) / 2 * 100

    def interval(point: float, samples: list[NDArray[Any]]) -> Interval:
        values = np.concatenate(samples) if samples else np.array([])
        values = values[np.isfinite(values)]
        if not np.isfinite(point) or values.size == 0:
            return Interval(point, np.nan, np.nan)
        low, high = np.percentile(values, [tail, 100 - tail])
        return Interval(point, float(low), float(high))

    return interval(float(point_auc[0]), aucs), interval(float(point_ap[0]), aps)
