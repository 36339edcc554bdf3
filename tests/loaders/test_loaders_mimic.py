"""MIMIC-CXR-JPG against fixtures in the documented real format (loaders_mimic_format.py)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from loaders_mimic_format import MimicFixture

from cxrkit.errors import ConfigError, DataFileError
from cxrkit.loaders import CHEXPERT_LABELS, load

DICOM_ID = re.compile(r"^[0-9a-f]{8}(-[0-9a-f]{8}){4}$")


def _by_dicom(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("dicom_id")


def test_fixture_is_in_the_real_format(mimic: MimicFixture) -> None:
    meta = pd.read_csv(mimic.root / "mimic-cxr-2.0.0-metadata.csv.gz")
    assert len(meta.columns) == 12 and meta.columns[0] == "dicom_id"
    assert meta["subject_id"].between(10_000_000, 19_999_999).all()
    assert meta["study_id"].between(50_000_000, 59_999_999).all()
    assert meta["dicom_id"].str.match(DICOM_ID).all()


def test_one_row_per_image_with_ids_paths_and_split(mimic: MimicFixture) -> None:
    ds = load("mimic-cxr-jpg", mimic.root)
    table = ds.table
    assert len(ds) == len(mimic.metadata)
    assert table["subject_id"].dtype == np.int64 and table["study_id"].dtype == np.int64
    assert (table["image_id"] == table["dicom_id"]).all()
    row = table.iloc[0]
    subject = str(row["subject_id"])
    expected = mimic.root / "files" / f"p{subject[:2]}" / f"p{subject}" / f"s{row['study_id']}"
    assert row["path"] == str(expected / f"{row['dicom_id']}.jpg")
    assert Path(row["path"]).is_file()
    split = _by_dicom(mimic.split)["split"]
    assert (table.set_index("dicom_id")["split"] == split.loc[table["dicom_id"]]).all()
    assert ds.labels == CHEXPERT_LABELS


def test_labels_are_the_study_labels_of_the_chosen_file(mimic: MimicFixture) -> None:
    for source, truth in (("chexpert", mimic.chexpert), ("negbio", mimic.negbio)):
        ds = load("mimic-cxr-jpg", mimic.root, label_source=source)  # type: ignore[arg-type]
        merged = ds.table.merge(truth, on=["subject_id", "study_id"], suffixes=("", "_file"))
        for label in CHEXPERT_LABELS:
            pd.testing.assert_series_equal(
                merged[label], merged[f"{label}_file"], check_names=False
            )
    ds = load("mimic-cxr-jpg", mimic.root)
    unlabelled = mimic.negbio["study_id"].iloc[-1]  # no row in the chexpert file
    assert (
        ds.table.loc[ds.table["study_id"] == unlabelled, list(CHEXPERT_LABELS)].isna().all().all()
    )


def test_manual_test_set_labels(mimic: MimicFixture) -> None:
    ds = load("mimic-cxr-jpg", mimic.root, label_source="manual")
    assert set(ds.table["study_id"]) == set(mimic.manual["study_id"])
    assert set(ds.table["split"]) == {"test"}
    merged = ds.table.merge(mimic.manual, on="study_id", suffixes=("", "_file"))
    assert merged["Edema"].equals(merged["Edema_file"])


def test_manual_file_with_airspace_opacity_spelling(tmp_path: Path, mimic: MimicFixture) -> None:
    for name in ("metadata", "split"):
        (tmp_path / f"mimic-cxr-2.0.0-{name}.csv.gz").write_bytes(
            (mimic.root / f"mimic-cxr-2.0.0-{name}.csv.gz").read_bytes()
        )
    manual = mimic.manual.rename(columns={"Lung Opacity": "Airspace Opacity"})
    manual.to_csv(tmp_path / "mimic-cxr-2.1.0-test-set-labeled.csv", index=False)
    ds = load("mimic-cxr-jpg", tmp_path, label_source="manual")
    assert "Lung Opacity" in ds.labels
    assert ds.table["Lung Opacity"].notna().any()


def test_images_are_read_lazily_as_uint8(mimic: MimicFixture) -> None:
    ds = load("mimic-cxr-jpg", mimic.root)
    for i in range(len(ds)):
        sample = ds[i]
        assert sample.image.dtype == np.uint8 and sample.image.shape == (40, 32)
        expected = mimic.pixel[sample.meta["dicom_id"]]
        assert abs(float(sample.image.mean()) - expected) < 2  # JPEG of a flat image
        assert sample.meta["subject_id"] == ds.table.loc[i, "subject_id"]
    assert load("mimic-cxr-jpg", mimic.root, size=(16, 8))[0].image.shape == (8, 16)


def test_views_are_harmonised_with_the_code_meaning_fallback(mimic: MimicFixture) -> None:
    ds = load("mimic-cxr-jpg", mimic.root)
    positions = _by_dicom(mimic.metadata)["ViewPosition"].loc[ds.table["dicom_id"]]
    views = ds.table["view"].to_numpy()
    assert set(views) <= {"PA", "AP", "LATERAL", "LL"}
    assert (views[positions.isna().to_numpy()] == "LATERAL").all()
    frontal = load("mimic-cxr-jpg", mimic.root, views="frontal")
    assert set(frontal.table["view"]) == {"PA", "AP"}
    only_ll = load("mimic-cxr-jpg", mimic.root, views=["ll"])
    assert set(only_ll.table["view"]) == {"LL"} and len(only_ll) > 0


def test_official_split_filter(mimic: MimicFixture) -> None:
    test = load("mimic-cxr-jpg", mimic.root, split="test")
    both = load("mimic-cxr-jpg", mimic.root, split=["validate", "test"])
    assert set(test.table["split"]) == {"test"}
    assert len(both) == len(test) + len(load("mimic-cxr-jpg", mimic.root, split="valid"))
    with pytest.raises(ConfigError, match="split dev not in mimic-cxr-jpg"):
        load("mimic-cxr-jpg", mimic.root, split="dev")


def test_missing_image_raises_naming_the_file(tmp_path: Path, mimic: MimicFixture) -> None:
    for name in ("metadata", "chexpert"):
        (tmp_path / f"mimic-cxr-2.0.0-{name}.csv.gz").write_bytes(
            (mimic.root / f"mimic-cxr-2.0.0-{name}.csv.gz").read_bytes()
        )
    ds = load("mimic-cxr-jpg", tmp_path)
    assert ds.table["split"].isna().all()  # no split file
    dicom_id = ds.table.loc[0, "dicom_id"]
    with pytest.raises(DataFileError, match=rf"image files/p1\d/p\d{{8}}/s5\d{{7}}/{dicom_id}"):
        _ = ds[0].image
    with pytest.raises(DataFileError, match="not found"):
        ds.require_images()


def test_hex_ids_are_rejected_with_the_reason(tmp_path: Path) -> None:
    meta = "dicom_id,subject_id,study_id,ViewPosition\nc5402f0b-2ecf6365,085cff35,a433a81c,PA\n"
    (tmp_path / "mimic-cxr-2.0.0-metadata.csv").write_text(meta, encoding="utf-8")
    labels = "subject_id,study_id,Edema\n085cff35,a433a81c,1.0\n"
    (tmp_path / "mimic-cxr-2.0.0-chexpert.csv").write_text(labels, encoding="utf-8")
    with pytest.raises(DataFileError, match="subject_id '085cff35' is not an integer"):
        load("mimic-cxr-jpg", tmp_path)


def test_missing_label_file_is_named(tmp_path: Path, mimic: MimicFixture) -> None:
    (tmp_path / "mimic-cxr-2.0.0-metadata.csv.gz").write_bytes(
        (mimic.root / "mimic-cxr-2.0.0-metadata.csv.gz").read_bytes()
    )
    with pytest.raises(DataFileError, match=r"mimic-cxr-2\.0\.0-negbio\.csv\.gz not found"):
        load("mimic-cxr-jpg", tmp_path, label_source="negbio")


def test_label_source_is_for_mimic_only(nih_root: Path) -> None:
    with pytest.raises(ConfigError, match="label_source applies to mimic-cxr-jpg only"):
        load("nih-cxr14", nih_root, label_source="negbio")


def test_uncertainty_policies_on_the_table(mimic: MimicFixture) -> None:
    keep = load("mimic-cxr-jpg", mimic.root).table
    ones = load("mimic-cxr-jpg", mimic.root, uncertainty="ones").table
    mixed = load(
        "mimic-cxr-jpg", mimic.root, uncertainty={"Edema": "zeros", "*": "ignore"}, blanks="zeros"
    ).table
    uncertain = keep["Atelectasis"] == -1.0
    assert uncertain.any()
    assert (ones.loc[uncertain, "Atelectasis"] == 1.0).all()
    assert mixed.loc[uncertain, "Atelectasis"].isna().all()
    assert (mixed.loc[keep["Edema"] == -1.0, "Edema"] == 0.0).all()
    blank = keep["Edema"].isna() & keep["No Finding"].notna()
    assert (mixed.loc[blank, "Edema"] == 0.0).all()
