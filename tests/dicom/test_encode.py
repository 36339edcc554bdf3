"""Writing scrubbed pixels back: every transfer syntax round-trips losslessly (S5)."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLosslessSV1,
    RLELossless,
    generate_uid,
)

from cxrkit.dicom.encode import encode_pixels


def _dataset(bits: int, shape: tuple[int, int] = (64, 48)) -> tuple[Dataset, np.ndarray]:
    rng = np.random.default_rng(bits)
    dtype = np.uint8 if bits == 8 else np.uint16
    a = rng.integers(0, 1 << bits, shape).astype(dtype)
    a[5:15, 5:30] = 0  # a black box
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1"
    ds.SOPInstanceUID = generate_uid()
    ds.Rows, ds.Columns = shape
    ds.SamplesPerPixel, ds.PixelRepresentation = 1, 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 8 if bits == 8 else 16
    ds.BitsStored, ds.HighBit = bits, bits - 1
    ds.file_meta = FileMetaDataset()
    return ds, a


def _reread(ds: Dataset) -> Dataset:
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    buf.seek(0)
    return pydicom.dcmread(buf)


@pytest.mark.parametrize("bits", [8, 10, 12, 15])
@pytest.mark.parametrize(
    "syntax",
    [
        ExplicitVRLittleEndian,
        ImplicitVRLittleEndian,
        JPEGLosslessSV1,
        JPEG2000Lossless,
        RLELossless,
    ],
)
def test_lossless_syntaxes_round_trip_and_are_kept(bits: int, syntax: str) -> None:
    ds, a = _dataset(bits)
    encode_pixels(ds, a, str(syntax))
    back = _reread(ds)
    assert back.file_meta.TransferSyntaxUID == syntax
    assert np.array_equal(back.pixel_array, a)
    assert "LossyImageCompression" not in back


def test_a_lossy_input_is_written_native_and_stays_marked_lossy() -> None:
    ds, a = _dataset(8)
    ds.LossyImageCompression = "01"
    encode_pixels(ds, a, str(JPEGBaseline8Bit))
    back = _reread(ds)
    assert back.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert back.LossyImageCompression == "01"
    assert np.array_equal(back.pixel_array, a)


def test_a_lossy_input_without_the_flag_gets_it() -> None:
    ds, a = _dataset(12)
    encode_pixels(ds, a, "1.2.840.10008.1.2.4.91")  # JPEG 2000 (lossy allowed)
    assert _reread(ds).LossyImageCompression == "01"
