"""S16: the table form of DICOM→JPG is bit-identical to the plain recipe."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cxrkit.derive.jpg import encode_jpg, equalise, to_uint8, to_uint8_reference

REAL = Path(__file__).resolve().parents[1] / "data" / "dicom" / "real"


@pytest.mark.parametrize("name", ["siim_chest_cr.dcm", "nih_chest_dx.dcm", "rg3_tibia_cr.dcm"])
@pytest.mark.parametrize("photometric", ["MONOCHROME1", "MONOCHROME2"])
def test_table_form_equals_the_recipe_on_real_images(name: str, photometric: str) -> None:
    pixels = pydicom.dcmread(REAL / name).pixel_array
    assert np.array_equal(to_uint8(pixels, photometric), to_uint8_reference(pixels, photometric))


def test_table_form_equals_the_recipe_on_synthetic_images(export50_root: Path) -> None:
    with (export50_root / "truth" / "images.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if not r["broken"]]
    by_kind = {}
    for row in rows:
        by_kind.setdefault((row["bits_stored"], row["photometric"]), row)
    assert len(by_kind) == 8
    for row in by_kind.values():
        ds = pydicom.dcmread(export50_root / row["file"])
        a, b = (
            to_uint8(ds.pixel_array, row["photometric"]),
            to_uint8_reference(ds.pixel_array, row["photometric"]),
        )
        assert np.array_equal(a, b), row["file"]


@settings(max_examples=200, deadline=None)
@given(
    arrays(
        np.uint16, st.tuples(st.integers(1, 12), st.integers(1, 12)), elements=st.integers(0, 65535)
    ),
    st.sampled_from(["MONOCHROME1", "MONOCHROME2"]),
)
def test_table_form_equals_the_recipe_on_any_integer_image(a: np.ndarray, photometric: str) -> None:
    assert np.array_equal(to_uint8(a, photometric), to_uint8_reference(a, photometric))


def test_signed_and_float_pixels() -> None:
    signed = np.array([[-1024, 0], [3071, 12]], np.int16)
    assert np.array_equal(
        to_uint8(signed, "MONOCHROME2"), to_uint8_reference(signed, "MONOCHROME2")
    )
    floats = np.array([[0.5, 1.5], [2.5, 0.25]], np.float32)
    assert to_uint8(floats, "MONOCHROME2").tolist() == [[28, 141], [255, 0]]


def test_constant_images_become_black_or_white() -> None:
    flat = np.full((4, 5), 700, np.uint16)
    assert to_uint8(flat, "MONOCHROME2").max() == 0
    assert to_uint8(flat, "MONOCHROME1").min() == 255
    assert to_uint8_reference(flat, "MONOCHROME1").min() == 255
    assert len(encode_jpg(flat, "MONOCHROME2")) > 0


def test_monochrome1_is_inverted_to_the_monochrome2_convention() -> None:
    a = np.array([[0, 100], [200, 400]], np.uint16)
    assert to_uint8(a, "MONOCHROME1").tolist() == (255 - to_uint8(a, "MONOCHROME2")).tolist()


def test_jpg_is_the_equalised_image_at_quality_95() -> None:
    pixels = pydicom.dcmread(REAL / "siim_chest_cr.dcm").pixel_array
    data = encode_jpg(pixels, "MONOCHROME2")
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    expected = equalise(to_uint8(pixels, "MONOCHROME2"))
    assert decoded.shape == expected.shape
    ok, q95 = cv2.imencode(".jpg", expected, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok and bytes(q95.tobytes()) == data
    assert np.abs(decoded.astype(int) - expected.astype(int)).mean() < 3
