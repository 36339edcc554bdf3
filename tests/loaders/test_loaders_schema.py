"""The harmonised label schema, views and uncertainty policies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxrkit.errors import ConfigError
from cxrkit.loaders import CHEXPERT_LABELS, apply_uncertainty, canonical_label, dataset_labels
from cxrkit.loaders.schema import harmonise_views, harmonised_labels, label_schema, resolve_labels


def test_the_14_chexpert_labels_head_the_schema() -> None:
    assert harmonised_labels()[:14] == CHEXPERT_LABELS
    assert harmonised_labels()[14:] == ("Infiltration", "Emphysema", "Fibrosis", "Hernia")
    assert dataset_labels("chexpert") == dataset_labels("mimic-cxr-jpg") == CHEXPERT_LABELS


def test_nih_mapping_follows_the_issue() -> None:
    nih = {m.label: m.sources["nih-cxr14"] for m in label_schema() if m.sources["nih-cxr14"]}
    assert nih["Pleural Effusion"] == ("Effusion",)
    assert nih["Lung Lesion"] == ("Mass", "Nodule")
    assert nih["Pleural Other"] == ("Pleural_Thickening",)
    assert nih["No Finding"] == ("No Finding",)
    assert len(nih) == 14  # 14 findings + No Finding, Mass and Nodule folded into one
    for missing in ("Fracture", "Lung Opacity", "Support Devices", "Enlarged Cardiomediastinum"):
        assert missing not in nih


def test_aliases_and_unknown_labels() -> None:
    assert canonical_label("pleural_thickening") == "Pleural Other"
    assert canonical_label(" Infiltrate ") == "Infiltration"
    assert canonical_label("Mass") is None  # Mass alone is not Lung Lesion's alias
    with pytest.raises(ConfigError, match="unknown label 'Tumour'"):
        resolve_labels(["Tumour"], "chexpert")


def test_views_are_harmonised() -> None:
    values = pd.Series(["PA", "ap", "LATERAL", "LL", "AP AXIAL", "left lateral", "XX", None])
    view, group = harmonise_views(values)
    assert list(view) == ["PA", "AP", "LATERAL", "LL", "AP AXIAL", "LL", "UNKNOWN", "UNKNOWN"]
    assert list(group) == ["frontal"] * 2 + ["lateral"] * 2 + ["frontal", "lateral"] + ["other"] * 2


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("keep", [1.0, -1.0, 0.0, np.nan]),
        ("ones", [1.0, 1.0, 0.0, np.nan]),
        ("zeros", [1.0, 0.0, 0.0, np.nan]),
        ("ignore", [1.0, np.nan, 0.0, np.nan]),
        ({"Edema": "ones"}, [1.0, 1.0, 0.0, np.nan]),
        ({"Atelectasis": "ones"}, [1.0, -1.0, 0.0, np.nan]),
        ({"Atelectasis": "ones", "*": "zeros"}, [1.0, 0.0, 0.0, np.nan]),
        ({"edema": "ignore"}, [1.0, np.nan, 0.0, np.nan]),
    ],
)
def test_uncertainty_policies(policy: object, expected: list[float]) -> None:
    values = pd.Series([1.0, -1.0, 0.0, np.nan])
    result = apply_uncertainty(values, "Edema", policy)  # type: ignore[arg-type]
    np.testing.assert_array_equal(result.to_numpy(), np.array(expected))


def test_bad_policy_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown uncertainty policy 'maybe'"):
        apply_uncertainty(pd.Series([1.0]), "Edema", "maybe")  # type: ignore[arg-type]


def test_agrees_with_the_labelers_schema() -> None:
    """docs/architecture.md: loaders and labelers share one set of CheXpert label names."""
    from cxrkit.labels.schema import LABELS

    assert tuple(LABELS) == CHEXPERT_LABELS
