"""Patient-wise splits and patient sampling: a patient's images always move together."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxrkit.errors import ConfigError


def _patients(table: pd.DataFrame, column: str) -> pd.Series:
    if column not in table.columns:
        raise ConfigError(f"the table has no {column!r} column to split patients by")
    counts = table.groupby(column, sort=True).size()
    return counts


def patient_split(
    table: pd.DataFrame,
    fractions: Mapping[str, float],
    *,
    seed: int = 0,
    column: str = "subject_id",
) -> pd.Series:
    """Assign every row to a part by patient, so that no patient is in two parts.

    Patients are shuffled with ``seed`` and each is given, with all its images, to the part
    that is furthest below its share of the images; the parts end within one patient's images
    of ``fractions`` (normalised to sum to 1). The result depends only on the patients and
    their image counts, not on the row order.

    Parameters
    ----------
    table
        One row per image, with a patient column.
    fractions
        Part name → share of the images, e.g. ``{"train": 0.8, "validate": 0.1, "test": 0.1}``.
    seed
        Seed of the shuffle.
    column
        The patient column.

    Returns
    -------
    pandas.Series
        The part name of each row, aligned with ``table``.

    Examples
    --------
    >>> table = pd.DataFrame({"subject_id": [1, 1, 2, 3, 4, 4]})
    >>> parts = patient_split(table, {"a": 0.5, "b": 0.5}, seed=1)
    >>> bool(parts.groupby(table["subject_id"]).nunique().max() == 1)
    True
    """
    names = list(fractions)
    shares = np.array([float(fractions[n]) for n in names])
    if not names or (shares < 0).any() or shares.sum() <= 0:
        raise ConfigError(f"fractions {dict(fractions)!r} must be non-negative with a positive sum")
    counts = _patients(table, column)
    order = np.random.default_rng(seed).permutation(len(counts))
    targets = shares / shares.sum() * counts.sum()
    filled = np.zeros(len(names))
    assigned = np.empty(len(counts), dtype=np.int64)
    sizes = counts.to_numpy()
    for position in order:
        part = int(np.argmax(targets - filled))
        assigned[position] = part
        filled[part] += sizes[position]
    by_patient = pd.Series(np.array(names, dtype=object)[assigned], index=counts.index)
    return table[column].map(by_patient).astype("str")


def sample_patients(
    table: pd.DataFrame, n: int, *, seed: int = 0, column: str = "subject_id"
) -> NDArray[np.bool_]:
    """Return a row mask selecting every image of ``n`` patients drawn at random.

    Rows are kept whole: an image always comes with its own labels and metadata.

    Examples
    --------
    >>> table = pd.DataFrame({"subject_id": [1, 1, 2, 3]})
    >>> mask = sample_patients(table, 1, seed=0)
    >>> table[mask]["subject_id"].nunique()
    1
    """
    patients = _patients(table, column).index.to_numpy()
    if not 0 <= n <= len(patients):
        raise ConfigError(
            f"cannot sample {n} patients from {len(patients)}; pick 0–{len(patients)}"
        )
    chosen = np.random.default_rng(seed).choice(patients, size=n, replace=False)
    return table[column].isin(chosen).to_numpy()
