"""DICOM to JPG exactly as MIMIC-CXR-JPG (S16), in a fast lookup-table form.

The recipe: take the stored pixel values as pydicom decodes them; subtract the minimum; divide
by the maximum of the shifted image; scale to 0–255 and truncate to uint8; invert MONOCHROME1
so that every JPG follows the MONOCHROME2 convention; histogram-equalise with OpenCV; write a
JPEG of quality 95.

:func:`to_uint8_reference` is the recipe written plainly in floating point.
:func:`to_uint8` gives the same bytes from a lookup table of the ``max - min + 1`` possible
values — each table entry is computed by exactly the same floating-point operations as the
plain form computes for that value, so the two agree bit for bit (the tests check it on real
and synthetic images) while the table form touches each pixel once with an integer index.
A constant image (maximum equal to minimum) becomes all zeros (then inverted for MONOCHROME1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from cxrkit.release.layout import write_atomic

JPEG_QUALITY = 95
MAX_TABLE = 1 << 20  # integer ranges up to this size use a table; wider ones the plain form


def to_uint8_reference(pixels: NDArray[Any], photometric: str) -> NDArray[np.uint8]:
    """The recipe, plainly: float arithmetic over the whole array."""
    img = pixels.astype(np.float64)
    img = img - img.min()
    top = img.max()
    out = np.zeros(img.shape, np.uint8) if top == 0 else (img / top * 255.0).astype(np.uint8)
    if photometric == "MONOCHROME1":
        out = 255 - out
    return out


def _table(lo: int, hi: int, photometric: str) -> NDArray[np.uint8]:
    values = np.arange(lo, hi + 1, dtype=np.float64) - lo
    top = float(hi - lo)
    table = (
        np.zeros(values.shape, np.uint8) if top == 0 else (values / top * 255.0).astype(np.uint8)
    )
    return (255 - table).astype(np.uint8) if photometric == "MONOCHROME1" else table


def to_uint8(pixels: NDArray[Any], photometric: str) -> NDArray[np.uint8]:
    """The recipe through a lookup table; bit-identical to :func:`to_uint8_reference`.

    Examples
    --------
    >>> a = np.array([[0, 1023], [512, 100]], np.uint16)
    >>> to_uint8(a, "MONOCHROME2").tolist()
    [[0, 255], [127, 24]]
    >>> bool((to_uint8(a, "MONOCHROME1") == to_uint8_reference(a, "MONOCHROME1")).all())
    True
    """
    if not np.issubdtype(pixels.dtype, np.integer):
        return to_uint8_reference(pixels, photometric)
    lo, hi = int(pixels.min()), int(pixels.max())
    if hi - lo + 1 > MAX_TABLE:
        return to_uint8_reference(pixels, photometric)
    index = pixels.astype(np.int64) - lo if lo else pixels
    result: NDArray[np.uint8] = np.asarray(_table(lo, hi, photometric)[index], np.uint8)
    return result


def equalise(img: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """OpenCV histogram equalisation."""
    return np.asarray(cv2.equalizeHist(np.ascontiguousarray(img)), np.uint8)


def encode_jpg(pixels: NDArray[Any], photometric: str) -> bytes:
    """The JPG bytes of an image by the S16 recipe."""
    ok, data = cv2.imencode(
        ".jpg", equalise(to_uint8(pixels, photometric)), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    )
    if not ok:  # pragma: no cover - OpenCV failing on a valid uint8 array
        raise RuntimeError("OpenCV could not encode the JPG")
    return bytes(data.tobytes())


def write_jpg(path: Path, pixels: NDArray[Any], photometric: str) -> None:
    """Write the S16 JPG of ``pixels`` to ``path`` (through a temporary name)."""
    write_atomic(path, encode_jpg(pixels, photometric))
