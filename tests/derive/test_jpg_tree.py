"""``cxrkit jpg`` over a DICOM tree."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pydicom
from click.testing import CliRunner

from cxrkit.cli import main
from cxrkit.derive.jpg import encode_jpg
from cxrkit.pipeline.jpg_tree import jpg_name

REAL = Path(__file__).resolve().parents[1] / "data" / "dicom" / "real"


def test_names() -> None:
    assert jpg_name("files/p10/p10000032/s5/ab.dcm") == "files/p10/p10000032/s5/ab.jpg"
    assert jpg_name("x/y.dcm.gz") == "x/y.jpg"
    assert jpg_name("IM00001") == "IM00001.jpg"


def test_jpg_tree_mirrors_layout_and_skips_non_images(tmp_path: Path) -> None:
    src = tmp_path / "files" / "p10" / "p10000032" / "s50414267"
    src.mkdir(parents=True)
    shutil.copy(REAL / "siim_chest_cr.dcm", src / "aa.dcm")
    shutil.copy(REAL / "nih_chest_dx.dcm", src / "bb")
    (src / "notes.txt").write_text("not an image")
    out = tmp_path / "jpg"
    result = CliRunner().invoke(
        main, ["jpg", str(tmp_path / "files"), str(out), "-q", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "files 3: 2 JPGs written, 1 skipped" in result.stdout
    jpg = out / "p10" / "p10000032" / "s50414267" / "aa.jpg"
    ds = pydicom.dcmread(REAL / "siim_chest_cr.dcm")
    assert jpg.read_bytes() == encode_jpg(ds.pixel_array, str(ds.PhotometricInterpretation))
    img = cv2.imread(str(out / "p10" / "p10000032" / "s50414267" / "bb.jpg"), 0)
    assert img is not None and img.shape == (1024, 1024) and int(np.ptp(img)) > 200
