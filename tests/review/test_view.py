"""What the review screen is sent of an image: windowed 8-bit pixels, boxes, header flags."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pydicom
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from cxrkit.dicom.scrub import ScrubResult, record_scrub
from cxrkit.review.view import FIT, graphic_boxes, header_rows, read_image, window_png


def _image(path: Path, a: np.ndarray, photometric: str = "MONOCHROME2") -> Path:
    ds = pydicom.Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.Rows, ds.Columns = a.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.RescaleSlope, ds.RescaleIntercept = 2, -100
    ds.PixelData = a.astype(np.uint16).tobytes()
    record_scrub(ds, ScrubResult(a, ((3, 4, 10, 8),), True, True))
    seq = pydicom.Dataset()
    seq.CodeMeaning = "seen by Smith^John"
    ds.ProcedureCodeSequence = pydicom.Sequence([seq])
    ds.save_as(path, enforce_file_format=True)
    return path


def _decode(png: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)


def test_windowing_goes_through_the_modality_lut_and_monochrome1(tmp_path: Path) -> None:
    a = np.arange(40 * 50, dtype=np.uint16).reshape(40, 50) % 1000 + 100
    ds, p = read_image(_image(tmp_path / "a.dcm", a))
    assert (p.low, p.high) == (2 * 100 - 100, 2 * 1099 - 100)
    low, high = 500.0, 1500.0
    expected = np.clip((a * 2.0 - 100 - low) * 255 / (high - low), 0, 255).astype(np.uint8)
    assert np.array_equal(_decode(window_png(p, low, high)), expected)
    _, inverted = read_image(_image(tmp_path / "b.dcm", a, "MONOCHROME1"))
    flipped = (p.high + p.low) - (a * 2.0 - 100)
    expected = np.clip((flipped - low) * 255 / (high - low), 0, 255).astype(np.uint8)
    assert np.array_equal(_decode(window_png(inverted, low, high)), expected)
    assert graphic_boxes(ds) == [[3.0, 4.0, 10.0, 8.0]]


def test_the_preview_fits_a_screen(tmp_path: Path) -> None:
    a = np.zeros((2 * FIT, FIT), np.uint16)
    _, p = read_image(_image(tmp_path / "big.dcm", a))
    assert _decode(window_png(p, 0, 1, fit=True)).shape == (FIT, FIT // 2)
    assert _decode(window_png(p, 0, 1)).shape == (2 * FIT, FIT)


def test_header_rows_expand_sequences_and_flag_names(tmp_path: Path) -> None:
    ds, _ = read_image(_image(tmp_path / "a.dcm", np.zeros((4, 4), np.uint16)))
    rows = header_rows(ds)
    meaning = next(r for r in rows if r.name == "Code Meaning")
    assert (meaning.depth, meaning.flag) == (2, "name")
    assert any(r.name == "Graphic Data" and r.depth == 4 for r in rows)
    assert all(r.tag != "(7FE0,0010)" for r in rows)


def test_the_preview_of_32_bit_pixels(tmp_path: Path) -> None:
    _, p = read_image(_image(tmp_path / "a.dcm", np.zeros((4, 4), np.uint16)))
    wide = replace(p, raw=np.full((2 * FIT, FIT), 7, np.int32))  # slope 2, intercept -100
    preview = _decode(window_png(wide, -100, 0, fit=True))
    assert preview.shape == (FIT, FIT // 2)
    assert set(preview.ravel().tolist()) == {int((7 * 2 - 100 + 100) * 255 / 100)}
