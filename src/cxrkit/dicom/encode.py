"""Writing scrubbed pixels back into a dataset, losslessly (S5).

A lossless input keeps its transfer syntax: native stays native (Explicit VR Big Endian,
retired, becomes Explicit VR Little Endian), JPEG Lossless is re-encoded with imagecodecs
(first-order prediction), JPEG 2000 lossless and RLE through pydicom's encoders. A lossless
syntax cxrkit cannot encode is written native. A lossy input (JPEG baseline or extended,
JPEG 2000, JPEG-LS near-lossless, HTJ2K lossy) is written as Explicit VR Little Endian with
Lossy Image Compression ``01`` kept: pixels are never re-encoded lossily.
"""

from __future__ import annotations

import imagecodecs
import numpy as np
import pydicom
from numpy.typing import NDArray
from pydicom.dataset import FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    UID,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLosslessSV1,
    RLELossless,
)

from cxrkit.errors import SourceError

JPEG_LOSSLESS = frozenset({"1.2.840.10008.1.2.4.57", str(JPEGLosslessSV1)})
PYDICOM_ENCODED = frozenset({str(JPEG2000Lossless), str(RLELossless)})
NATIVE = frozenset({str(ExplicitVRLittleEndian), str(ImplicitVRLittleEndian)})
LOSSLESS_OTHER = frozenset(
    {
        "1.2.840.10008.1.2.2",  # Explicit VR Big Endian (retired)
        "1.2.840.10008.1.2.1.99",  # Deflated Explicit VR Little Endian
        "1.2.840.10008.1.2.4.80",  # JPEG-LS lossless
        "1.2.840.10008.1.2.4.201",  # HTJ2K lossless
        "1.2.840.10008.1.2.4.202",  # HTJ2K lossless RPCL
    }
)


def _stored(ds: pydicom.Dataset, array: NDArray[np.integer]) -> NDArray[np.integer]:
    bits = int(ds.get("BitsAllocated", 8 if array.dtype.itemsize == 1 else 16))
    signed = int(ds.get("PixelRepresentation", 0)) == 1
    kind = "i" if signed else "u"
    return np.ascontiguousarray(array).astype(f"<{kind}{max(bits // 8, 1)}")


def _set_syntax(ds: pydicom.Dataset, transfer_syntax: str) -> None:
    if not hasattr(ds, "file_meta"):
        ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(transfer_syntax)


def _write_native(ds: pydicom.Dataset, array: NDArray[np.integer], transfer_syntax: str) -> None:
    data = _stored(ds, array)
    for keyword in ("PixelData", "ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
        if keyword in ds:
            delattr(ds, keyword)
    vr = "OB" if data.dtype.itemsize == 1 else "OW"
    ds.add_new(0x7FE00010, vr, data.tobytes())
    if str(ds.get("PhotometricInterpretation", "")).startswith("YBR"):
        ds.PhotometricInterpretation = "RGB"  # pydicom decodes YBR to RGB
    _set_syntax(ds, transfer_syntax)


def _write_jpeg_lossless(
    ds: pydicom.Dataset, array: NDArray[np.integer], transfer_syntax: str
) -> None:
    bits = int(ds.BitsStored)
    frame = imagecodecs.jpeg8_encode(
        _stored(ds, array), lossless=True, predictor=1, bitspersample=bits
    )
    if "PixelData" in ds:
        del ds.PixelData
    ds.add_new(0x7FE00010, "OB", encapsulate([bytes(frame)]))
    ds["PixelData"].is_undefined_length = True
    _set_syntax(ds, transfer_syntax)


def encode_pixels(ds: pydicom.Dataset, array: NDArray[np.integer], transfer_syntax: str) -> None:
    """Write ``array`` into ``ds`` as its Pixel Data, losslessly (see the module docstring).

    ``transfer_syntax`` is the input's; the output's is in ``ds.file_meta`` afterwards.

    Examples
    --------
    >>> ds = pydicom.Dataset()
    >>> ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit = 2, 2, 16, 12, 11
    >>> ds.SamplesPerPixel, ds.PixelRepresentation = 1, 0
    >>> ds.PhotometricInterpretation = "MONOCHROME2"
    >>> encode_pixels(ds, np.array([[0, 1], [2, 4095]], np.uint16), "1.2.840.10008.1.2.4.50")
    >>> ds.file_meta.TransferSyntaxUID.name, ds.LossyImageCompression
    ('Explicit VR Little Endian', '01')
    """
    ts = str(transfer_syntax)
    if ts in NATIVE:
        _write_native(ds, array, ts)
    elif ts in JPEG_LOSSLESS:
        _write_jpeg_lossless(ds, array, ts)
    elif ts in PYDICOM_ENCODED:
        try:
            # pylibjpeg (rle, openjpeg) by name: pydicom would pick gdcm when it is importable.
            ds.compress(
                ts, _stored(ds, array), generate_instance_uid=False, encoding_plugin="pylibjpeg"
            )
        except (RuntimeError, ValueError) as exc:
            raise SourceError(
                f"cannot re-encode pixels as {UID(ts).name}: {exc}; install pylibjpeg-openjpeg "
                "and pylibjpeg-rle"
            ) from exc
    elif ts in LOSSLESS_OTHER:
        _write_native(ds, array, str(ExplicitVRLittleEndian))
    else:
        _write_native(ds, array, str(ExplicitVRLittleEndian))
        ds.LossyImageCompression = "01"
