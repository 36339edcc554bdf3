"""ROC-AUC and AUPRC against their definitions, and the bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxrkit.errors import ConfigError
from cxrkit.loaders import average_precision, bootstrap_metrics, metrics, roc_auc


def pairwise_auc(truth: np.ndarray, score: np.ndarray) -> float:
    """The Mann-Whitney definition: P(score_pos > score_neg) + 0.5 P(tie)."""
    pos, neg = score[truth == 1], score[truth == 0]
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


def definition_ap(truth: np.ndarray, score: np.ndarray) -> float:
    """Σ over distinct thresholds t (descending) of (R(t) − R(previous t)) · P(t)."""
    total, ap, last_recall = truth.sum(), 0.0, 0.0
    for t in np.unique(score)[::-1]:
        chosen = score >= t
        recall = truth[chosen].sum() / total
        ap += (recall - last_recall) * truth[chosen].mean()
        last_recall = recall
    return float(ap)


@settings(max_examples=100, deadline=None)
@given(
    data=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 8)), min_size=2, max_size=80).filter(
        lambda rows: len({t for t, _ in rows}) == 2
    )
)
def test_metrics_match_their_definitions_with_ties(data: list[tuple[int, int]]) -> None:
    truth = np.array([t for t, _ in data], dtype=float)
    score = np.array([s for _, s in data], dtype=float) / 8
    assert roc_auc(truth, score) == pytest.approx(pairwise_auc(truth, score))
    assert average_precision(truth, score) == pytest.approx(definition_ap(truth, score))


def test_known_values_and_undefined_cases() -> None:
    assert roc_auc([0, 1], [0.2, 0.8]) == 1.0
    assert roc_auc([0, 1], [0.8, 0.2]) == 0.0
    assert average_precision([0, 1, 1], [0.9, 0.5, 0.4]) == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert np.isnan(roc_auc([1, 1], [0.2, 0.3]))
    assert np.isnan(average_precision([0, 0], [0.2, 0.3]))
    with pytest.raises(ConfigError, match="labels must be 0 or 1"):
        roc_auc([0, -1], [0.1, 0.2])
    with pytest.raises(ConfigError, match="finite"):
        roc_auc([0, 1], [0.1, np.nan])


def test_bootstrap_is_seeded_and_brackets_the_estimate(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, 500).astype(float)
    score = truth * 0.5 + rng.random(500)
    auc, ap = bootstrap_metrics(truth, score, n_bootstrap=400, seed=7)
    again = bootstrap_metrics(truth, score, n_bootstrap=400, seed=7)
    assert (auc, ap) == again
    assert auc.value == pytest.approx(roc_auc(truth, score))
    assert auc.low < auc.value < auc.high and ap.low < ap.value < ap.high
    assert 0.02 < auc.high - auc.low < 0.15  # about ±1.96 standard errors for n = 500
    other = bootstrap_metrics(truth, score, n_bootstrap=400, seed=8)[0]
    assert other.low != auc.low
    monkeypatch.setattr(metrics, "_CHUNK_CELLS", 1000)  # many small chunks: same stream
    assert bootstrap_metrics(truth, score, n_bootstrap=400, seed=7)[0] == auc


def test_bootstrap_by_resampling_rows_directly() -> None:
    """The count-vector resampling equals metrics of explicitly resampled rows."""
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 2, 40).astype(float)
    score = np.round(rng.random(40), 1)
    picks = np.random.default_rng(11).integers(0, 40, size=(5, 40))
    auc_bs = bootstrap_metrics(truth, score, n_bootstrap=5, seed=11)[0]
    order = np.argsort(score, kind="mergesort")
    explicit = [roc_auc(truth[order][p], score[order][p]) for p in picks]
    assert auc_bs.low == pytest.approx(np.percentile(explicit, 2.5))
    assert auc_bs.high == pytest.approx(np.percentile(explicit, 97.5))
