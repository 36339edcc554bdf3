"""Per-image work, run by the executor's workers: decode once, de-identify, scrub, write.

:func:`process_batch` is a pure function of its arguments (paths, pseudonyms, output root);
it writes each output file under a temporary name and renames it into place, and returns one
:class:`ImageResult` per image. A failure quarantines that image and the batch goes on.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataset import Dataset

from cxrkit.dicom.headers import deidentify_header
from cxrkit.dicom.scrub import DenyList, encode_pixels, record_scrub, scrub_pixels
from cxrkit.pipeline.plan import WorkItem


@dataclass(frozen=True)
class ImageResult:
    rel: str  # source path relative to the source root (private)
    out_rel: str  # release path, "" when not written
    reason: str  # "" when written; why it was left out otherwise (no PHI)
    boxes: int = 0


def _decode(ds: Dataset) -> Any:
    if "PixelData" not in ds:
        raise ValueError("no pixel data")
    return ds.pixel_array


def write_atomic(path: Path, ds: Dataset) -> None:
    """Write ``ds`` to a temporary file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".dcm")
    try:
        with os.fdopen(fd, "wb") as fh:
            ds.save_as(fh, enforce_file_format=True)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def process_image(item: WorkItem, out_root: Path) -> ImageResult:
    """De-identify one image (header and pixels) into the release tree."""
    try:
        with Path(item.source).open("rb") as fh:  # a file object: messages name no path
            ds = pydicom.dcmread(fh)
            array = _decode(ds)
    except Exception as exc:
        return ImageResult(item.rel, "", f"pixel data cannot be read ({type(exc).__name__})")
    try:
        return _deidentify(ds, array, item, out_root)
    except Exception as exc:
        return ImageResult(item.rel, "", f"de-identification failed ({type(exc).__name__})")


def _deidentify(ds: Dataset, array: Any, item: WorkItem, out_root: Path) -> ImageResult:
    transfer_syntax = str(ds.file_meta.TransferSyntaxUID)
    deny = DenyList.from_dataset(ds)
    deidentify_header(ds, item.ids)
    result = scrub_pixels(
        array,
        photometric=str(ds.PhotometricInterpretation),
        bits_stored=int(ds.BitsStored),
        deny=deny,
    )
    if not result.verified:
        return ImageResult(item.rel, "", f"burned-in text not proven clean: {result.reason}")
    record_scrub(ds, result)
    if result.boxes:
        encode_pixels(ds, result.array, transfer_syntax)
    write_atomic(out_root / item.out_rel, ds)
    return ImageResult(item.rel, item.out_rel, "", len(result.boxes))


def process_batch(items: list[WorkItem], out_root: str) -> list[ImageResult]:
    """Process a batch of images; warnings are silenced (they could name a source path)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [process_image(item, Path(out_root)) for item in items]
