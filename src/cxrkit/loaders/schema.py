"""The harmonised label schema, view names and uncertainty policies shared by the loaders.

The tables are data files (``_data/labels.csv``, ``_data/views.csv``, sources in
``_data/README.md``) read once at first use.

Label values follow CheXpert: ``1.0`` positive, ``0.0`` negative, ``-1.0`` uncertain, ``NaN``
not mentioned (or not annotated by the dataset).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd

from cxrkit.errors import ConfigError
from cxrkit.labels.schema import LABELS

Policy = Literal["keep", "ones", "zeros", "ignore"]
UncertaintyPolicy = Policy | Mapping[str, Policy]
POLICIES: tuple[Policy, ...] = ("keep", "ones", "zeros", "ignore")
DATASETS = ("mimic-cxr-jpg", "chexpert", "nih-cxr14")
UNKNOWN_VIEW = "UNKNOWN"
VIEW_GROUPS = ("frontal", "lateral", "other")

#: The 14 CheXpert observations, in the column order of the MIMIC-CXR-JPG label files.
CHEXPERT_LABELS: tuple[str, ...] = LABELS


@dataclass(frozen=True)
class LabelMapping:
    """One row of the harmonised schema.

    ``sources`` maps a dataset name to the source names feeding the label (empty: not
    annotated by that dataset); ``aliases`` are other accepted spellings.
    """

    label: str
    sources: Mapping[str, tuple[str, ...]]
    aliases: tuple[str, ...]


def _read_data(name: str) -> list[dict[str, str]]:
    text = resources.files("cxrkit.loaders").joinpath("_data", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part for part in cell.split("|") if part)


@cache
def label_schema() -> tuple[LabelMapping, ...]:
    """Return the harmonised label schema, one :class:`LabelMapping` per label.

    Examples
    --------
    >>> [m.sources["nih-cxr14"] for m in label_schema() if m.label == "Lung Lesion"]
    [('Mass', 'Nodule')]
    """
    columns = {"chexpert": "chexpert", "mimic-cxr-jpg": "mimic_cxr_jpg", "nih-cxr14": "nih_cxr14"}
    return tuple(
        LabelMapping(
            label=row["label"],
            sources={ds: _split(row[col]) for ds, col in columns.items()},
            aliases=_split(row["aliases"]),
        )
        for row in _read_data("labels.csv")
    )


def harmonised_labels() -> tuple[str, ...]:
    """Return every harmonised label name: the 14 CheXpert labels, then NIH-only findings.

    Examples
    --------
    >>> harmonised_labels()[:2], len(harmonised_labels())
    (('Atelectasis', 'Cardiomegaly'), 18)
    """
    return tuple(m.label for m in label_schema())


def dataset_labels(dataset: str) -> tuple[str, ...]:
    """Return the harmonised labels that ``dataset`` annotates, in schema order.

    Examples
    --------
    >>> "Infiltration" in dataset_labels("nih-cxr14"), "Fracture" in dataset_labels("nih-cxr14")
    (True, False)
    """
    return tuple(m.label for m in label_schema() if m.sources[dataset])


@cache
def _name_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for m in label_schema():
        for name in (m.label, *m.aliases):
            index[name.casefold()] = m.label
    return index


def canonical_label(name: str) -> str | None:
    """Return the harmonised label for ``name`` (a label or an alias, any case), else None.

    Examples
    --------
    >>> canonical_label("Effusion"), canonical_label("airspace opacity"), canonical_label("x")
    ('Pleural Effusion', 'Lung Opacity', None)
    """
    return _name_index().get(name.strip().casefold())


def resolve_labels(names: Sequence[str] | None, dataset: str) -> tuple[str, ...]:
    """Return the harmonised labels asked for (default: those ``dataset`` annotates).

    Raises
    ------
    ConfigError
        If a name is neither a harmonised label nor an alias.

    Examples
    --------
    >>> resolve_labels(["Effusion", "Hernia"], "nih-cxr14")
    ('Pleural Effusion', 'Hernia')
    """
    if names is None:
        return dataset_labels(dataset)
    out: list[str] = []
    for name in names:
        label = canonical_label(name)
        if label is None:
            raise ConfigError(
                f"unknown label {name!r}; use one of: {', '.join(harmonised_labels())}"
            )
        if label not in out:
            out.append(label)
    return tuple(out)


@cache
def _view_index() -> dict[str, tuple[str, str]]:
    return {r["value"].casefold(): (r["view"], r["group"]) for r in _read_data("views.csv")}


def harmonise_views(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Map source view values to harmonised names and groups (``frontal``/``lateral``/``other``).

    Examples
    --------
    >>> view, group = harmonise_views(pd.Series(["PA", "lateral", None]))
    >>> list(view), list(group)
    (['PA', 'LATERAL', 'UNKNOWN'], ['frontal', 'lateral', 'other'])
    """
    index = _view_index()
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    pairs = [
        index.get(str(u).strip().casefold() if pd.notna(u) else "", (UNKNOWN_VIEW, "other"))
        for u in uniques
    ]
    views = np.array([p[0] for p in pairs], dtype=object)
    groups = np.array([p[1] for p in pairs], dtype=object)
    view = pd.Series(views[codes], index=values.index, dtype="str")
    group = pd.Series(groups[codes], index=values.index, dtype="str")
    return view, group


def known_views() -> tuple[str, ...]:
    """Return the harmonised view names (plus ``UNKNOWN``).

    Examples
    --------
    >>> "LL" in known_views(), "UNKNOWN" in known_views()
    (True, True)
    """
    views = dict.fromkeys(view for view, _ in _view_index().values())
    return (*views, UNKNOWN_VIEW)


def _policy_for(policy: UncertaintyPolicy, label: str) -> Policy:
    if isinstance(policy, str):
        chosen: str = policy
    else:
        chosen = policy.get(label, policy.get("*", "keep"))
    if chosen not in POLICIES:
        raise ConfigError(
            f"unknown uncertainty policy {chosen!r} for {label!r}; use one of {', '.join(POLICIES)}"
        )
    return chosen


def check_policy(policy: UncertaintyPolicy) -> None:
    """Raise :class:`ConfigError` if ``policy`` (or a per-label key) is not valid.

    Examples
    --------
    >>> check_policy({"Edema": "ones", "*": "zeros"})
    """
    if isinstance(policy, str):
        _policy_for(policy, "*")
        return
    for key in policy:
        if key != "*" and canonical_label(key) is None:
            raise ConfigError(f"unknown label {key!r} in the uncertainty policy")
        _policy_for(policy, key)


def apply_uncertainty(values: pd.Series, label: str, policy: UncertaintyPolicy) -> pd.Series:
    """Apply the uncertainty policy to one label column (``-1.0`` values).

    ``keep`` leaves ``-1.0``; ``ones``/``zeros`` turn it into ``1.0``/``0.0``; ``ignore`` into
    ``NaN`` (to be masked out of a loss). A mapping chooses per label; its ``"*"`` key is the
    default for labels it does not name (else ``keep``).

    Examples
    --------
    >>> list(apply_uncertainty(pd.Series([1.0, -1.0, 0.0]), "Edema", {"Edema": "ones"}))
    [1.0, 1.0, 0.0]
    """
    if isinstance(policy, Mapping):
        policy = {canonical_label(k) or k: v for k, v in policy.items()}
    chosen = _policy_for(policy, label)
    replacement = {"keep": -1.0, "ones": 1.0, "zeros": 0.0, "ignore": np.nan}[chosen]
    return values.where(values != -1.0, replacement)
