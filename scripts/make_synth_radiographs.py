"""Make the small radiographs that ``cxrkit synth`` draws its pixels from.

Run once from the repository root, given a folder DATA that holds the public source files
at the relative paths listed in ``DICOM_SOURCES`` and ``PNG_SOURCES`` below::

    python scripts/make_synth_radiographs.py DATA

It reads real public radiographs (sources and licenses in
``src/cxrkit/sources/synth/_radiographs/SOURCES.md``), puts them in the MONOCHROME2
convention (dense tissue bright), shrinks the long side to at most 1024 pixels and writes
lossless PNGs (16-bit where the source has more than 8 bits).
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pydicom

OUT = Path("src/cxrkit/sources/synth/_radiographs")
LONG_SIDE = 1024

DICOM_SOURCES = {
    "rg1_chest_pa.png": "dicom/nema-rg1-chest-cr/RG1_J2KR.dcm",
    "siim_chest_pa.png": (
        "dicom/siim-chest-cr/1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm"
    ),
    "nih_dx_chest_pa.png": (
        "dicom/nih-chest-dx/1.3.6.1.4.1.11129.5.5.110503645592756492463169821050252582267888.dcm"
    ),
    "rg3_tibia_ap.png": "dicom/nema-rg3-tibia-cr/RG3_J2KI.dcm",
}
PNG_SOURCES = {
    "nih_00000001_000.png": "nih-cxr14/images/00000001_000.png",
    "nih_00027426_000.png": "nih-cxr14/images/00027426_000.png",
}


def _shrink(a: np.ndarray) -> np.ndarray:
    scale = LONG_SIDE / max(a.shape)
    if scale >= 1:
        return a
    size = (round(a.shape[1] * scale), round(a.shape[0] * scale))
    return cv2.resize(a, size, interpolation=cv2.INTER_AREA)


def _from_dicom(path: Path) -> np.ndarray:
    ds = pydicom.dcmread(path)
    a = ds.pixel_array
    if ds.PhotometricInterpretation == "MONOCHROME1":
        a = (2 ** int(ds.BitsStored) - 1) - a.astype(np.int32)
    a = _shrink(a.astype(np.float32))
    if int(ds.BitsStored) <= 8:
        return np.clip(np.rint(a), 0, 255).astype(np.uint8)
    return np.clip(np.rint(a), 0, 65535).astype(np.uint16)


def main(shared_data: str) -> None:
    root = Path(shared_data)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, rel in DICOM_SOURCES.items():
        cv2.imwrite(str(OUT / name), _from_dicom(root / rel), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    for name, rel in PNG_SOURCES.items():
        a = cv2.imread(str(root / rel), cv2.IMREAD_UNCHANGED)
        cv2.imwrite(str(OUT / name), a, [cv2.IMWRITE_PNG_COMPRESSION, 9])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/make_synth_radiographs.py DATA")
    main(sys.argv[1])
