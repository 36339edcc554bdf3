"""Patient-wise splits and patient sampling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxrkit.errors import ConfigError
from cxrkit.loaders import load, patient_split, sample_patients

FRACTIONS = {"train": 0.7, "validate": 0.1, "test": 0.2}


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=60),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_no_patient_in_two_parts(counts: list[int], seed: int) -> None:
    table = pd.DataFrame({"subject_id": np.repeat(np.arange(len(counts)), counts)})
    parts = patient_split(table, FRACTIONS, seed=seed)
    assert parts.groupby(table["subject_id"]).nunique().max() == 1
    assert set(parts) <= set(FRACTIONS)
    shuffled = table.sample(frac=1.0, random_state=seed)
    again = patient_split(shuffled, FRACTIONS, seed=seed)
    assert again.sort_index().equals(parts)  # independent of row order


def test_parts_are_close_to_the_fractions() -> None:
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"subject_id": np.repeat(np.arange(3000), rng.integers(1, 5, 3000))})
    shares = patient_split(table, FRACTIONS, seed=1).value_counts(normalize=True)
    for name, share in FRACTIONS.items():
        assert shares[name] == pytest.approx(share, abs=0.01)
    assert not patient_split(table, FRACTIONS, seed=2).equals(patient_split(table, FRACTIONS))


def test_sampling_keeps_whole_rows_with_their_own_labels(nih_root: Path) -> None:
    ds = load("nih-cxr14", nih_root)
    sample = ds.sample_patients(50, seed=3)
    assert sample.table["subject_id"].nunique() == 50
    all_images = ds.table[ds.table["subject_id"].isin(sample.table["subject_id"])]
    assert len(sample) == len(all_images)
    pd.testing.assert_frame_equal(sample.table, all_images.reset_index(drop=True))
    assert sample_patients(ds.table, 50, seed=3).sum() == len(sample)
    with pytest.raises(ConfigError, match="cannot sample"):
        ds.sample_patients(10**6)


def test_dataset_patient_split(nih_root: Path) -> None:
    ds = load("nih-cxr14", nih_root).sample_patients(400, seed=0)
    parts = ds.patient_split({"train": 0.8, "test": 0.2}, seed=5)
    assert len(parts["train"]) + len(parts["test"]) == len(ds)
    assert not set(parts["train"].table["subject_id"]) & set(parts["test"].table["subject_id"])
    assert parts["test"].boxes is not None
    assert set(parts["test"].boxes["image_id"]) <= set(parts["test"].table["image_id"])


def test_bad_fractions() -> None:
    with pytest.raises(ConfigError, match="non-negative"):
        patient_split(pd.DataFrame({"subject_id": [1]}), {"a": -1.0})
