"""Pixels of synthetic radiographs: real images varied, then fake text burned in.

The pixels come from the real public radiographs in ``_radiographs/`` (see its
``SOURCES.md``), varied by crop, scale, flip, gamma, window and noise, then quantised to the
image's bits stored. Text is burned in where modalities put it — patient name, MRN, birth
date, study date and time, accession in the corners — next to text that must be kept
(orientation markers, PORTABLE, position words, technique strings). Glyphs are drawn at the
stored maximum, minimum or a fixed mid-grey value; where the background would hide them they
sit on a label box of the opposite value, as real modalities do. Text is placed in display
space (MONOCHROME2 convention) and the array is inverted afterwards for MONOCHROME1, so the
stored value of a glyph is ``max`` for one photometric and ``min`` for the other.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from importlib.resources import files

import cv2
import numpy as np
from numpy.typing import NDArray

from cxrkit.errors import DataFileError
from cxrkit.sources.synth import glyphs

FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX)
FONT_NAMES = {
    cv2.FONT_HERSHEY_SIMPLEX: "HERSHEY_SIMPLEX",
    cv2.FONT_HERSHEY_DUPLEX: "HERSHEY_DUPLEX",
}
#: The kind of line each classic category is.
CLASSIC_KINDS = {
    "name": "name",
    "mrn": "id",
    "accession": "id",
    "date": "date",
    "datetime": "datetime",
    "keep": "marker",
}


@dataclass(frozen=True)
class TextLine:
    """A line of text to burn: what, why (PHI category or ``keep``) and how bright."""

    text: str
    category: str
    grey: str  # in display space: "max", "min" or "mid"


@dataclass(frozen=True)
class BurnedText:
    """A line of text as burned: tight ink box ``[x0, y0, x1, y1)``, stored value, style.

    ``glyphs`` holds the ink box of each visible character in the final image orientation;
    ``angle`` the counter-clockwise turn of the line (0, 90, 180, 270); ``height`` the
    capital height in pixels; ``style`` ``"classic"`` or ``"hard"``; ``fmt`` the date format
    of a date or date-time line.
    """

    text: str
    category: str
    grey: str  # in stored values: "max", "min" or "mid"
    stored_value: int
    box: tuple[int, int, int, int]
    kind: str = ""
    glyphs: tuple[tuple[int, int, int, int], ...] = ()
    angle: int = 0
    font: str = ""
    height: int = 0
    aa: bool = False
    style: str = "classic"
    fmt: str = ""


@dataclass(frozen=True)
class Pixels:
    array: NDArray[np.uint8] | NDArray[np.uint16]
    burned: tuple[BurnedText, ...]


@functools.cache
def load_base(name: str) -> NDArray[np.float32]:
    """A vendored radiograph as float32 in ``[0, 1]``, MONOCHROME2 convention."""
    data = (files("cxrkit.sources.synth") / "_radiographs" / f"{name}.png").read_bytes()
    raw = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if raw is None:  # pragma: no cover - the package data is broken
        raise DataFileError(f"the vendored radiograph {name}.png cannot be decoded")
    a = raw.astype(np.float32)
    lo, hi = float(a.min()), float(a.max())
    out: NDArray[np.float32] = (a - lo) / max(hi - lo, 1.0)
    out.setflags(write=False)
    return out


def _crop(
    a: NDArray[np.float32], view: str, body_part: str, rng: np.random.Generator
) -> NDArray[np.float32]:
    h, w = a.shape
    if body_part in ("ABDOMEN", "PELVIS"):
        top = int(h * rng.uniform(0.45, 0.55))
        return a[top:, int(w * 0.08) : int(w * 0.92)]
    if view in ("LATERAL", "LL"):
        # No public lateral radiograph is vendored: a narrowed central crop stands in.
        half = int(w * rng.uniform(0.26, 0.32))
        mid = w // 2 + int(rng.integers(-w // 20, w // 20))
        return a[: int(h * 0.96), max(mid - half, 0) : mid + half]
    fy0, fy1 = rng.uniform(0, 0.06), rng.uniform(0.92, 1.0)
    fx0, fx1 = rng.uniform(0, 0.06), rng.uniform(0.94, 1.0)
    return a[int(h * fy0) : int(h * fy1), int(w * fx0) : int(w * fx1)]


#: The longer side of a synthetic image: drawn from this range (end exclusive), or from
#: :data:`FULL_SIDES` for a full-size export (a CR or DX detector read out at full size).
SIDES, FULL_SIDES = (640, 1025), (2000, 3001)


def text_scale(shape: tuple[int, ...]) -> float:
    """How much larger text is drawn on an image of ``shape`` than on one of the usual size
    (the middle of :data:`SIDES`): 1 up to that size.

    Examples
    --------
    >>> text_scale((900, 800)), text_scale((2496, 2000))
    (1.0, 3.0)
    """
    return max(1.0, max(shape) / ((SIDES[0] + SIDES[1] - 1) / 2))


def vary(
    base: NDArray[np.float32],
    view: str,
    body_part: str,
    rng: np.random.Generator,
    *,
    full_size: bool = False,
) -> NDArray[np.float32]:
    """A varied copy of ``base``: crop, scale, flip, gamma, window, noise; values in [0, 1].

    Its longer side is 640 to 1,024 pixels, or 2,000 to 3,000 with ``full_size``."""
    a = _crop(base, view, body_part, rng)
    long_side = int(rng.integers(*(FULL_SIDES if full_size else SIDES)))
    scale = long_side / max(a.shape)
    if view in ("LATERAL", "LL"):
        size = (round(a.shape[1] * scale * 1.6), round(a.shape[0] * scale))
    else:
        size = (round(a.shape[1] * scale), round(a.shape[0] * scale))
    resized = cv2.resize(a, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    if rng.random() < 0.15:
        resized = resized[:, ::-1]
    shaped = np.power(np.clip(resized, 0, 1), rng.uniform(0.75, 1.3))
    lo, hi = rng.uniform(0.0, 0.08), rng.uniform(0.85, 1.0)
    windowed = lo + shaped * (hi - lo)
    noise = rng.normal(0.0, rng.uniform(0.003, 0.015), windowed.shape)
    out: NDArray[np.float32] = np.clip(windowed + noise, 0.0, 1.0).astype(np.float32)
    return out


def quantise(display: NDArray[np.float32], bits: int) -> NDArray[np.uint16]:
    """Display values in [0, 1] to stored integers in ``[0, 2**bits - 1]``."""
    top = (1 << bits) - 1
    return np.rint(display * top).astype(np.uint16)


def grey_value(grey: str, bits: int) -> int:
    """The stored value of a text grey level in display space."""
    top = (1 << bits) - 1
    return {"max": top, "min": 0, "mid": (top + 1) // 2}[grey]


def _glyph_mask(text: str, height: int, font: int, thickness: int) -> NDArray[np.uint8]:
    """The glyphs of ``text`` as a tight 0/255 mask whose capital letters are ``height`` tall."""
    (_, h0), _ = cv2.getTextSize("H", font, 1.0, thickness)
    scale = height / max(h0, 1)
    (w, h), base = cv2.getTextSize(text, font, scale, thickness)
    pad = thickness + 2
    canvas = np.zeros((h + base + 2 * pad, w + 2 * pad), np.uint8)
    cv2.putText(canvas, text, (pad, pad + h), font, scale, 255, thickness, cv2.LINE_8)
    ys, xs = np.nonzero(canvas)
    return canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


@dataclass
class _Cursor:
    """Where the next line of a text block goes, in one corner of the image."""

    corner: str  # "tl", "tr", "bl", "br"
    y: int
    margin: int


def _place(
    shape: tuple[int, int], mask_shape: tuple[int, int], cursor: _Cursor, spacing: int
) -> tuple[int, int]:
    h, w = shape
    mh, mw = mask_shape
    x = cursor.margin if cursor.corner[1] == "l" else w - cursor.margin - mw
    if cursor.corner[0] == "t":
        y = cursor.y
        cursor.y += mh + spacing
    else:
        y = h - cursor.y - mh
        cursor.y += mh + spacing
    return max(x, 0), max(y, 0)


def _burn(
    a: NDArray[np.uint16],
    mask: NDArray[np.uint8],
    xy: tuple[int, int],
    value: int,
    *,
    bits: int,
    box_pad: int,
) -> tuple[int, int, int, int] | None:
    """Stamp ``mask`` at ``xy`` with ``value``; add a label box where contrast is too low."""
    x, y = xy
    h, w = a.shape
    mh, mw = min(mask.shape[0], h - y), min(mask.shape[1], w - x)
    if mh <= 0 or mw <= 0:
        return None
    m = mask[:mh, :mw] > 0
    region = a[y : y + mh, x : x + mw]
    top = (1 << bits) - 1
    if abs(float(region.mean()) - value) < 0.4 * top:
        backing = 0 if value > top // 2 else top
        y0, x0 = max(y - box_pad, 0), max(x - box_pad, 0)
        a[y0 : y + mh + box_pad, x0 : x + mw + box_pad] = backing
        region = a[y : y + mh, x : x + mw]
    region[m] = value
    ys, xs = np.nonzero(m)
    return (x + int(xs.min()), y + int(ys.min()), x + int(xs.max()) + 1, y + int(ys.max()) + 1)


def burn_lines(
    a: NDArray[np.uint16], blocks: dict[str, list[TextLine]], bits: int, rng: np.random.Generator
) -> list[BurnedText]:
    """Burn each corner's block of lines into ``a`` (display space) and return their boxes.

    A block whose margin is drawn as zero touches the image edge.
    """
    h, w = a.shape
    out: list[BurnedText] = []
    for corner, lines in blocks.items():
        height = int(max(h, w) * rng.uniform(0.018, 0.028))
        margin = 0 if rng.random() < 0.15 else int(rng.integers(4, 24))
        cursor = _Cursor(corner, margin, margin)
        font = FONTS[int(rng.integers(len(FONTS)))]
        thickness = max(1, round(height / 11))
        for line in lines:
            big = line.category == "keep" and len(line.text) <= 2
            mask = _glyph_mask(
                line.text, height * (3 if big else 1), font, thickness * (2 if big else 1)
            )
            pad = max(3, height // 4)
            xy = _free_spot((h, w), mask.shape, cursor, [b.box for b in out], pad)
            if xy is None:
                continue
            value = grey_value(line.grey, bits)
            box = _burn(a, mask, xy, value, bits=bits, box_pad=pad)
            if box is not None:
                size = (height * (3 if big else 1), thickness * (2 if big else 1))
                out.append(_classic_truth(line, value, box, mask, font=font, size=size))
    return out


def _classic_truth(
    line: TextLine,
    value: int,
    box: tuple[int, int, int, int],
    mask: NDArray[np.uint8],
    *,
    font: int,
    size: tuple[int, int],
) -> BurnedText:
    """The truth of a classic line: its glyph boxes found again from its mask."""
    found = glyphs.classic_glyphs(mask, line.text, font, size[0], size[1])
    x, y = box[0], box[1]
    return BurnedText(
        line.text,
        line.category,
        line.grey,
        value,
        box,
        kind=CLASSIC_KINDS.get(line.category, line.category),
        glyphs=tuple((x0 + x, y0 + y, x1 + x, y1 + y) for x0, y0, x1, y1 in found),
        font=FONT_NAMES[font],
        height=glyphs.cap_height(line.text, found),
    )


def _free_spot(
    shape: tuple[int, int],
    mask_shape: tuple[int, int],
    cursor: _Cursor,
    taken: list[tuple[int, int, int, int]],
    pad: int,
) -> tuple[int, int] | None:
    """The next place in the cursor's block where the line does not touch earlier lines."""
    spacing = max(4, 2 * pad)
    for _ in range(6):
        x, y = _place(shape, mask_shape, cursor, spacing)
        mine = (x - 2 * pad, y - 2 * pad, x + mask_shape[1] + 2 * pad, y + mask_shape[0] + 2 * pad)
        inside = x + mask_shape[1] <= shape[1] and y + mask_shape[0] <= shape[0]
        if inside and not any(_overlap(mine, box) for box in taken):
            return x, y
    return None


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def invert_for(
    photometric: str, a: NDArray[np.uint16], bits: int, burned: list[BurnedText]
) -> tuple[NDArray[np.uint16], list[BurnedText]]:
    """Turn display-space values into stored values for ``photometric``."""
    if photometric != "MONOCHROME1":
        return a, burned
    top = (1 << bits) - 1
    flipped = {"max": "min", "min": "max", "mid": "mid"}
    inv = (top - a.astype(np.int32)).astype(np.uint16)
    return inv, [
        dataclasses.replace(b, grey=flipped[b.grey], stored_value=top - b.stored_value)
        for b in burned
    ]
