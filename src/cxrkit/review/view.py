"""What the review screen shows of a released item: PNG pixels, header rows, boxes, text.

Every function reads one released file; nothing scans the release. The sample's items are
resolved to files once, through the release's record and study lists (:class:`ReleaseIndex`).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pydicom
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from cxrkit.errors import DataFileError
from cxrkit.labels.schema import LABELS
from cxrkit.release.assemble import CHEXPERT, NEGBIO, RECORD_LIST, STUDY_LIST
from cxrkit.release.verify import read_table

#: Value representations whose values are dates or times; of person names.
DATE_VRS = {"DA", "DT", "TM"}
NAME_VRS = {"PN"}
_DATE = re.compile(r"\b(19|20|21)\d{2}[-/.]?(0[1-9]|1[0-2])[-/.]?(0[1-9]|[12]\d|3[01])\b")
_ID = re.compile(r"\d{4,}")
_NAME = re.compile(r"[A-Za-z]+\^[A-Za-z]+|\b(Dr|Mr|Mrs|Ms)\.?\s+[A-Z]")
#: Window presets as (low, high) fractions of the image's value range.
PRESETS = {"full": (0.0, 1.0), "bright": (0.6, 1.0), "dark": (0.0, 0.4), "mid": (0.25, 0.75)}


@dataclass(frozen=True)
class HeaderRow:
    """One header element: depth (0 = top level, +1 per sequence), tag, name, VR, value, and
    ``flag`` ``name``, ``date`` or ``id`` when the value looks like one (else ``""``)."""

    depth: int
    tag: str
    name: str
    vr: str
    value: str
    flag: str


def flag_value(vr: str, value: str) -> str:
    """``name``, ``date``, ``id`` or ``""``: what a header value looks like.

    Examples
    --------
    >>> flag_value("PN", "13451224"), flag_value("DA", "21710625"), flag_value("LO", "MRN00412")
    ('name', 'date', 'id')
    >>> flag_value("CS", "CHEST"), flag_value("LO", "seen 2015-03-04")
    ('', 'date')
    """
    if not value:
        return ""
    if vr in NAME_VRS or _NAME.search(value):
        return "name"
    if vr in DATE_VRS or _DATE.search(value):
        return "date"
    if vr != "UI" and _ID.search(value):
        return "id"
    return ""


def header_rows(ds: Dataset, depth: int = 0) -> list[HeaderRow]:
    """Every element of ``ds`` but the pixel data, sequences expanded item by item."""
    rows: list[HeaderRow] = []
    for elem in ds:
        if elem.tag == 0x7FE00010:
            continue
        tag = f"({elem.tag.group:04X},{elem.tag.element:04X})"
        name = elem.name if not elem.tag.is_private else "private"
        if elem.VR == "SQ":
            rows.append(HeaderRow(depth, tag, name, "SQ", f"{len(elem.value)} item(s)", ""))
            for k, item in enumerate(elem.value):
                rows.append(HeaderRow(depth + 1, "", f"item {k + 1}", "", "", ""))
                rows.extend(header_rows(item, depth + 2))
            continue
        value = _text(elem.value, elem.VR)
        rows.append(
            HeaderRow(depth, tag, name, str(elem.VR), value, flag_value(str(elem.VR), value))
        )
    return rows


def _text(value: Any, vr: str) -> str:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if vr in {"OB", "OW", "OF", "OD", "OL", "OV", "UN"}:
        return "<binary>"
    if isinstance(value, pydicom.multival.MultiValue):
        return "\\".join(str(v) for v in value)
    return str(value)


def graphic_boxes(ds: Dataset) -> list[list[float]]:
    """The scrub's blacked-out regions, ``[x0, y0, x1, y1]`` in pixels, from the Graphic
    Annotation Sequence (PIXEL polylines written by :func:`cxrkit.dicom.scrub.record_scrub`)."""
    boxes: list[list[float]] = []
    for anno in ds.get("GraphicAnnotationSequence", []):
        for obj in anno.get("GraphicObjectSequence", []):
            data = [float(v) for v in obj.get("GraphicData", [])]
            if obj.get("GraphicAnnotationUnits") != "PIXEL" or len(data) < 4:
                continue
            xs, ys = data[0::2], data[1::2]
            boxes.append([min(xs), min(ys), max(xs), max(ys)])
    return boxes


@dataclass(frozen=True)
class Pixels:
    """A decoded image: the stored integers (or floats) and how they become values — the
    modality LUT's slope and intercept, MONOCHROME1 inverted — with the values' range."""

    raw: NDArray[Any]
    slope: float
    intercept: float
    invert: bool
    low: float
    high: float

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.raw.shape[0]), int(self.raw.shape[1])


def read_image(path: Path) -> tuple[Dataset, Pixels]:
    """The dataset and its pixels (first frame, first plane)."""
    ds = pydicom.dcmread(path)
    raw = ds.pixel_array
    if raw.ndim == 3:  # colour or multi-frame: the first plane
        raw = raw[..., 0] if ds.get("SamplesPerPixel", 1) > 1 else raw[0]
    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    ends = (float(raw.min()) * slope + intercept, float(raw.max()) * slope + intercept)
    invert = ds.get("PhotometricInterpretation") == "MONOCHROME1"
    return ds, Pixels(raw, slope, intercept, invert, min(ends), max(ends))


def _grey(p: Pixels, low: float, high: float) -> NDArray[np.uint8]:
    """``p`` as 8 bits, values ``low`` → black and ``high`` → white; through a lookup table
    over the stored range when the pixels are integers (one table lookup per pixel)."""
    scale = 255.0 / max(high - low, 1e-6)

    def grey(values: NDArray[Any]) -> NDArray[np.uint8]:
        v = values * p.slope + p.intercept
        if p.invert:
            v = p.high + p.low - v
        return np.clip((v - low) * scale, 0, 255).astype(np.uint8)

    if p.raw.dtype.kind not in "iu":
        return grey(p.raw.astype(np.float64))
    first = int(p.raw.min())
    lut = grey(np.arange(first, int(p.raw.max()) + 1, dtype=np.float64))
    return lut[(p.raw.astype(np.int64) - first) if p.raw.dtype.kind == "i" else p.raw - first]


#: The long side of the preview PNG (the image as it fits a screen).
FIT = 1024
#: Pixel types OpenCV scales as they are (others are scaled as float32).
_RESIZABLE = ("uint8", "uint16", "int16", "float32", "float64")


def window_png(p: Pixels, low: float, high: float, *, fit: bool = False) -> bytes:
    """An 8-bit PNG of ``p`` with ``low`` → black and ``high`` → white; ``fit``: scaled down
    to :data:`FIT` pixels on the long side (shown first, while the full one loads)."""
    rows, cols = p.shape
    if fit and max(rows, cols) > FIT:  # scale the stored values down first: less to map
        f = FIT / max(rows, cols)
        size = (round(cols * f), round(rows * f))
        raw = p.raw if p.raw.dtype.name in _RESIZABLE else p.raw.astype(np.float32)
        p = replace(p, raw=cv2.resize(raw, size, interpolation=cv2.INTER_AREA))
    grey = _grey(p, low, high)
    params = [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_STRATEGY, 2]  # Huffman only
    ok, buf = cv2.imencode(".png", grey, params)
    if not ok:
        raise DataFileError("the image could not be encoded as PNG")
    return bytes(buf)


def preset_window(p: Pixels, preset: str) -> tuple[float, float]:
    a, b = PRESETS.get(preset, PRESETS["full"])
    return p.low + a * (p.high - p.low), p.low + b * (p.high - p.low)


class PixelCache:
    """The last few decoded images (thread-safe), so that re-windowing and the prefetched
    next image cost no second decode; two requests for one image share one decode."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._data: OrderedDict[Path, tuple[Dataset, Pixels]] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[Path, threading.Lock] = {}

    def get(self, path: Path) -> tuple[Dataset, Pixels]:
        with self._lock:
            if path in self._data:
                self._data.move_to_end(path)
                return self._data[path]
            loading = self._loading.setdefault(path, threading.Lock())
        with loading:  # the first caller decodes; the others wait for it
            with self._lock:
                if path in self._data:
                    return self._data[path]
            found = read_image(path)
            with self._lock:
                self._data[path] = found
                self._loading.pop(path, None)
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
        return found


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise DataFileError(f"{path.name} is missing from the release: is OUT a cxrkit release?")
    return read_table(path)


class ReleaseIndex:
    """Where a sampled item's file is: images by dicom_id, reports by study id (``s…`` or
    bare), both also by path relative to the release. Read once, from the record lists."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.paths: dict[str, str] = {}
        for row in _read_csv(out / RECORD_LIST):
            self.paths[row["dicom_id"]] = self.paths[row["path"]] = row["path"]
        for row in _read_csv(out / STUDY_LIST):
            for key in (row["study_id"], f"s{row['study_id']}", row["path"]):
                self.paths[key] = row["path"]
        self._labels: dict[str, dict[str, dict[str, str]]] | None = None

    def path(self, item_id: str) -> Path:
        rel = self.paths.get(item_id)
        if rel is None:
            raise DataFileError(f"item {item_id} is not in this release")
        return self.out / rel

    def labelers(self, item_id: str) -> dict[str, dict[str, str]]:
        """The CheXpert and NegBio labels the release holds for a report's study."""
        if self._labels is None:
            self._labels = {}
            for name, table in (("chexpert", CHEXPERT), ("negbio", NEGBIO)):
                rows = _read_csv(self.out / table)
                self._labels[name] = {r["study_id"]: r for r in rows}
        study = Path(self.paths.get(item_id, item_id)).stem.removeprefix("s")
        return {
            name: {obs: _label(rows.get(study, {}).get(obs, "")) for obs in LABELS}
            for name, rows in self._labels.items()
        }


def _label(value: str) -> str:
    """``1.0`` → ``1``, ``-1.0`` → ``-1``, blank stays blank."""
    return value.split(".", maxsplit=1)[0] if value else ""
