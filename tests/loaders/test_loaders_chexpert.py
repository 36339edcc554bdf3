"""CheXpert against its real train.csv (fetched at test time, never committed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxrkit.errors import DataFileError
from cxrkit.loaders import CHEXPERT_LABELS, load


@pytest.fixture(scope="module")
def chexpert(chexpert_root: Path):  # type: ignore[no-untyped-def]
    return load("chexpert", chexpert_root)


@pytest.fixture(scope="module")
def raw(chexpert_train_csv: Path) -> pd.DataFrame:
    return pd.read_csv(chexpert_train_csv)


def test_real_train_csv_counts(chexpert, raw: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    train = chexpert.table[chexpert.table["split"] == "train"]
    assert len(train) == len(raw) == 223_414
    assert train["subject_id"].nunique() == 64_540
    assert train["study_id"].nunique() == raw["Path"].str.rsplit("/", n=1).str[0].nunique()
    assert set(chexpert.table["split"]) == {"train", "validate", "test"}
    assert len(chexpert) == 223_414 + 3 + 1
    assert chexpert.labels == CHEXPERT_LABELS


def test_labels_keep_the_file_values(chexpert, raw: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    train = chexpert.table[chexpert.table["split"] == "train"].reset_index(drop=True)
    for label in CHEXPERT_LABELS:
        pd.testing.assert_series_equal(train[label], raw[label], check_names=False)
    assert set(np.unique(train["Edema"].dropna())) == {-1.0, 0.0, 1.0}


def test_views_and_ids(chexpert) -> None:  # type: ignore[no-untyped-def]
    train = chexpert.table[chexpert.table["split"] == "train"]
    assert train["view_group"].value_counts().to_dict() == {"frontal": 191_027, "lateral": 32_387}
    counts = train["view"].value_counts().to_dict()
    assert counts == {"AP": 161_590, "LATERAL": 32_387, "PA": 29_420, "LL": 16, "RL": 1}
    first = chexpert.table.iloc[0]
    assert first["image_id"] == "train/patient00001/study1/view1_frontal.jpg"
    assert (first["subject_id"], first["study_id"]) == ("patient00001", "patient00001/study1")
    assert (first["sex"], first["age"]) == ("Female", 68)


def test_path_variants_resolve_against_the_root(chexpert, chexpert_root: Path) -> None:  # type: ignore[no-untyped-def]
    table = chexpert.table.set_index("image_id")
    assert table.loc["train/patient00001/study1/view1_frontal.jpg", "path"] == str(
        chexpert_root / "train/patient00001/study1/view1_frontal.jpg"
    )
    valid = table.loc["valid/patient64542/study1/view2_lateral.jpg"]
    assert (valid["split"], valid["view"]) == ("validate", "LATERAL")
    test = table.loc["test/patient64741/study1/view1_frontal.jpg"]
    assert (test["split"], test["view_group"], test["Pleural Effusion"]) == ("test", "frontal", 1.0)
    assert test["view"] == "UNKNOWN"  # the test label file has no AP/PA column


def test_images_and_missing_images(chexpert) -> None:  # type: ignore[no-untyped-def]
    for i in range(6):
        assert chexpert[i].image.shape == (24, 20)
        assert int(chexpert[i].image.mean()) in range(29 + i, 32 + i)
    with pytest.raises(DataFileError, match=r"image train/patient00004/.+ not found"):
        _ = chexpert[6].image


def test_uncertainty_split_and_view_options(chexpert_root: Path, raw: pd.DataFrame) -> None:
    ds = load(
        "chexpert",
        chexpert_root,
        split="train",
        views="frontal",
        uncertainty={"Atelectasis": "ones", "Edema": "ones", "*": "zeros"},
        labels=["Atelectasis", "Edema", "Cardiomegaly"],
    )
    frontal = raw[raw["Frontal/Lateral"] == "Frontal"].reset_index(drop=True)
    assert len(ds) == len(frontal)
    assert ds.table["Atelectasis"].sum() == frontal["Atelectasis"].isin([1.0, -1.0]).sum()
    assert ds.table["Cardiomegaly"].sum() == (frontal["Cardiomegaly"] == 1.0).sum()
    assert not (ds.table[list(ds.labels)] == -1.0).any().any()
    valid = load("chexpert", chexpert_root, split="valid")
    assert set(valid.table["subject_id"]) == {"patient64541", "patient64542"}


def test_bad_path_is_reported(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Path": ["some/other/file.jpg"], "Edema": [1.0]})
    frame.to_csv(tmp_path / "train.csv", index=False)
    with pytest.raises(DataFileError, match=r"train\.csv: Path 'some/other/file\.jpg'"):
        load("chexpert", tmp_path)


def test_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"train\.csv or valid\.csv not found"):
        load("chexpert", tmp_path)
