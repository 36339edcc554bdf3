"""S8: de-identified DICOM passes dciodvfy without errors the input did not already have."""

from __future__ import annotations

import csv
from pathlib import Path

import pydicom
import pytest

from cxrkit.dicom.conformance import new_errors
from cxrkit.dicom.headers import Pseudonyms, deidentify_header

REAL = Path(__file__).resolve().parents[1] / "data" / "dicom" / "real"
IDS = Pseudonyms(subject_id=12345678, study_id=56781234, shift_days=36000, key=bytes(32))


def _new_errors(source: Path, tmp: Path) -> set[str]:
    ds = pydicom.dcmread(source)
    deidentify_header(ds, IDS)
    out = tmp / "out.dcm"
    ds.save_as(out, enforce_file_format=True)
    return new_errors(source, out)


@pytest.mark.parametrize("name", sorted(p.name for p in REAL.glob("*.dcm")))
def test_real_files_gain_no_conformance_error(name: str, tmp_path: Path) -> None:
    assert _new_errors(REAL / name, tmp_path) == set()


def test_synthetic_files_gain_no_conformance_error(export50_root: Path, tmp_path: Path) -> None:
    with (export50_root / "truth" / "images.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if not r["broken"]]
    picked = {}
    for row in rows:  # one file per (modality, transfer syntax, photometric)
        picked.setdefault((row["modality"], row["transfer_syntax"], row["photometric"]), row)
    assert len(picked) >= 12
    for row in picked.values():
        assert _new_errors(export50_root / row["file"], tmp_path) == set(), row["file"]
