"""NIH ChestX-ray14 against the real Data_Entry_2017_v2020 and BBox_List_2017 files."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxrkit.errors import ConfigError, DataFileError
from cxrkit.loaders import load
from cxrkit.loaders.nih import parse_ages

NIH_ONLY = ["Infiltration", "Emphysema", "Fibrosis", "Hernia"]


@pytest.fixture(scope="module")
def nih(nih_root: Path):  # type: ignore[no-untyped-def]
    return load("nih-cxr14", nih_root)


@pytest.fixture(scope="module")
def raw(nih_root: Path) -> pd.DataFrame:
    return pd.read_csv(nih_root / "Data_Entry_2017_v2020.csv.gz")


def test_reads_every_image_and_patient_of_the_real_file(nih) -> None:  # type: ignore[no-untyped-def]
    assert len(nih) == 112_120
    assert nih.table["subject_id"].nunique() == 30_805
    assert nih.table["image_id"].is_unique
    assert (nih.table["study_id"] == nih.table["image_id"].str.removesuffix(".png")).all()
    for column in ("path", "subject_id", "study_id", "view", "split", "sex", "age"):
        assert column in nih.table.columns


def test_labels_are_harmonised(nih, raw: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    assert nih.labels[-4:] == tuple(NIH_ONLY)
    for absent in ("Fracture", "Lung Opacity", "Support Devices", "Effusion", "Mass"):
        assert absent not in nih.table.columns
    findings = raw["Finding Labels"]
    table = nih.table
    assert table["Pleural Effusion"].sum() == findings.str.contains("Effusion").sum()
    lesion = findings.str.contains("Mass") | findings.str.contains("Nodule")
    assert (table["Lung Lesion"] == lesion.astype(float)).all()
    thickening = findings.str.contains("Pleural_Thickening").astype(float)
    assert (table["Pleural Other"] == thickening).all()
    assert table["No Finding"].sum() == (findings == "No Finding").sum() == 60_361
    assert set(np.unique(table[list(nih.labels)].to_numpy())) == {0.0, 1.0}
    row = table.set_index("image_id").loc["00000001_001.png"]
    assert (row["Cardiomegaly"], row["Emphysema"], row["No Finding"]) == (1.0, 1.0, 0.0)


def test_views_ages_and_sex(nih) -> None:  # type: ignore[no-untyped-def]
    assert nih.table["view"].value_counts().to_dict() == {"PA": 67_310, "AP": 44_810}
    assert set(nih.table["view_group"]) == {"frontal"}
    assert nih.table["age"].between(0, 120).all()
    assert set(nih.table["sex"]) == {"M", "F"}
    assert nih.table.loc[0, "width"] == 2682


def test_reads_the_real_pngs(nih_root: Path) -> None:
    ds = load("nih-cxr14", nih_root)
    on_disk = {p.name for p in (nih_root / "images").glob("*.png")}
    rows = np.flatnonzero(ds.table["image_id"].isin(on_disk).to_numpy())
    assert len(rows) == 16
    for i in rows:
        sample = ds[int(i)]
        assert sample.image.dtype == np.uint8 and sample.image.ndim == 2
        assert sample.image.shape in ((256, 256), (512, 512))
        assert sample.image.std() > 10  # a real radiograph, not a blank
        assert sample.meta["subject_id"] == int(sample.meta["image_id"][:8])
    resized = ds.resized(128)[int(rows[0])]
    assert resized.image.shape == (128, 128)


def test_missing_image_names_the_file(nih) -> None:  # type: ignore[no-untyped-def]
    sample = nih[len(nih) - 1]
    labels = sample.labels  # labels and metadata need no pixels
    assert set(labels) == set(nih.labels)
    with pytest.raises(DataFileError, match=r"images/00030805_000\.png not found"):
        _ = sample.image


def test_bounding_boxes(nih) -> None:  # type: ignore[no-untyped-def]
    boxes = nih.boxes
    assert boxes is not None and len(boxes) == 984
    assert boxes["label"].value_counts()["Infiltration"] == 123  # spelled "Infiltrate"
    assert set(boxes.loc[boxes["finding"].isin(["Mass", "Nodule"]), "label"]) == {"Lung Lesion"}
    with_box = nih.table.index[nih.table["image_id"] == boxes.loc[0, "image_id"]][0]
    box = nih[int(with_box)].meta["boxes"][0]
    assert box["finding"] == "Atelectasis" and box["w"] == pytest.approx(86.7796610169491)
    assert nih[0].meta["boxes"] == []


def test_official_split_lists(nih_root_with_lists: Path) -> None:
    ds = load("nih-cxr14", nih_root_with_lists)
    assert ds.table["split"].value_counts().to_dict() == {"train": 11, "test": 5}
    test = load("nih-cxr14", nih_root_with_lists, split="test")
    assert len(test) == 5 and test.boxes is not None
    assert len(load("nih-cxr14", nih_root_with_lists, split="train_val")) == 11


def test_split_without_lists_is_an_error_that_says_what_to_do(nih_root: Path) -> None:
    with pytest.raises(ConfigError, match="patient_split"):
        load("nih-cxr14", nih_root, split="test")


def test_kaggle_folder_layout(tmp_path: Path, nih_root: Path) -> None:
    shutil.copy(nih_root / "Data_Entry_2017_v2020.csv.gz", tmp_path)
    inner = tmp_path / "images_001" / "images"
    inner.mkdir(parents=True)
    shutil.copy(nih_root / "images" / "00000001_000.png", inner)
    ds = load("nih-cxr14", tmp_path)
    assert ds[0].meta["image_id"] == "00000001_000.png"
    assert ds[0].image.shape == (512, 512)
    assert ds.table.loc[1, "path"] == str(tmp_path / "images" / "00000001_001.png")


def test_2017_file_quirks_give_the_same_table(tmp_path: Path, nih_root: Path) -> None:
    """The original Data_Entry_2017.csv: trailing comma on every line, ages like 058Y."""
    with gzip.open(nih_root / "Data_Entry_2017_v2020.csv.gz", "rt") as fh:
        lines = [next(fh) for _ in range(200)]
    old = [lines[0].rstrip("\n") + ",\n"]
    for line in lines[1:]:
        cells = line.rstrip("\n").split(",")
        cells[4] = f"{int(cells[4]):03d}Y"
        old.append(",".join(cells) + ",\n")
    (tmp_path / "Data_Entry_2017.csv").write_text("".join(old), encoding="utf-8")
    ds = load("nih-cxr14", tmp_path)
    reference = load("nih-cxr14", nih_root).table.iloc[:199].drop(columns="path")
    pd.testing.assert_frame_equal(ds.table.drop(columns="path"), reference)


def test_parse_ages() -> None:
    ages = parse_ages(pd.Series(["58", "058Y", "006M", "014D", "148Y", "", "x"]))
    assert ages.iloc[:3].tolist() == [58.0, 58.0, 0.5]
    assert ages.iloc[3] == pytest.approx(14 / 365)
    assert ages.iloc[4:].isna().all()


def test_unknown_finding_is_reported(tmp_path: Path) -> None:
    header = "Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,"
    header += "View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]\n"
    row = "00000001_000.png,Cardiomegaly|Tumour,0,1,57,M,PA,2682,2749,0.143,0.143\n"
    (tmp_path / "Data_Entry_2017_v2020.csv").write_text(header + row, encoding="utf-8")
    with pytest.raises(DataFileError, match="Tumour"):
        load("nih-cxr14", tmp_path)


def test_labels_option_adds_unannotated_labels_as_nan(nih_root: Path) -> None:
    ds = load("nih-cxr14", nih_root, labels=["Effusion", "Fracture"])
    assert ds.labels == ("Pleural Effusion", "Fracture")
    assert ds.table["Fracture"].isna().all()
    assert list(ds.table.columns[-2:]) == ["Pleural Effusion", "Fracture"]
