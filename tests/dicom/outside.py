"""Burned-in text drawn the way other vendors draw it, for the scrub's outside-kind tests.

Independent of the synthetic export's text drawer (``cxrkit.sources.synth.pixels``): Pillow's
TrueType rasteriser with the DejaVu fonts that matplotlib ships (anti-aliased, any size), text
rotated along an edge, thin small fonts, on a real radiograph. Each drawn line returns the ink
box of every glyph in the final image, so a test can ask whether every glyph is covered.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import cv2
import matplotlib
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

Box = tuple[int, int, int, int]
FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@dataclass(frozen=True)
class Drawn:
    """One drawn line: its text and the ink box of each visible glyph ``[x0, y0, x1, y1)``."""

    text: str
    glyphs: tuple[Box, ...]

    @property
    def box(self) -> Box:
        g = np.array(self.glyphs)
        return int(g[:, 0].min()), int(g[:, 1].min()), int(g[:, 2].max()), int(g[:, 3].max())


def radiograph(shape: tuple[int, int] = (1400, 1200), bits: int = 12) -> NDArray[np.uint16]:
    """A real chest radiograph (the NIH DX PA) scaled to ``shape`` in ``bits`` stored bits."""
    path = files("cxrkit.sources.synth") / "_radiographs" / "nih_dx_chest_pa.png"
    grey = cv2.imdecode(np.frombuffer(path.read_bytes(), np.uint8), cv2.IMREAD_GRAYSCALE)
    grey = cv2.resize(grey, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    top = (1 << bits) - 1
    # the body spans 10-85 % of the range: text at the maximum or minimum contrasts
    return (0.10 * top + grey.astype(np.float64) / 255.0 * 0.75 * top).astype(np.uint16)


def _ink(text: str, font: ImageFont.FreeTypeFont) -> tuple[NDArray[np.uint8], list[Box]]:
    """``text`` rendered anti-aliased (0..255 coverage) and each character's ink box."""
    left, top, right, bottom = font.getbbox(text)
    w, h = right - left + 4, bottom - top + 4
    canvas = Image.new("L", (w, h), 0)
    ImageDraw.Draw(canvas).text((2 - left, 2 - top), text, fill=255, font=font)
    ink = np.asarray(canvas)
    glyphs = []
    for i, ch in enumerate(text):
        if ch.isspace():
            continue
        x0 = 2 - left + int(font.getlength(text[:i]))
        x1 = 2 - left + int(np.ceil(font.getlength(text[: i + 1])))
        cols = ink[:, max(x0 - 1, 0) : min(x1 + 1, w)]
        rows = np.flatnonzero(cols.max(axis=1) > 40)
        xs = np.flatnonzero(cols.max(axis=0) > 40)
        if rows.size and xs.size:
            gx0 = max(x0 - 1, 0) + int(xs[0])
            glyphs.append((gx0, int(rows[0]), max(x0 - 1, 0) + int(xs[-1]) + 1, int(rows[-1]) + 1))
    return ink, glyphs


def _rotate_box(box: Box, angle: int, w: int, h: int) -> Box:
    """A box of a ``w`` × ``h`` patch after the patch is turned by ``angle`` (counter-clockwise)."""
    x0, y0, x1, y1 = box
    if angle == 90:
        return y0, w - x1, y1, w - x0
    if angle == 180:
        return w - x1, h - y1, w - x0, h - y0
    if angle == 270:
        return h - y1, x0, h - y0, x1
    return box


def draw(
    a: NDArray[np.uint16],
    text: str,
    at: tuple[int, int],
    *,
    size: int = 28,
    font: str = "DejaVuSans.ttf",
    angle: int = 0,
    value: int | None = None,
    antialias: bool = True,
) -> Drawn:
    """Burn ``text`` into ``a`` with its top-left corner at ``at`` (x, y), turned by ``angle``.

    ``value`` is the stored value of full ink (default: the maximum of ``a``'s dtype range as
    used, i.e. ``a.max()``); anti-aliased edges blend into the background.
    """
    face = ImageFont.truetype(str(FONTS / font), size)
    ink, glyphs = _ink(text, face)
    h, w = ink.shape
    turns = {0: 0, 90: 1, 180: 2, 270: 3}[angle]
    ink = np.rot90(ink, turns)
    boxes = [_rotate_box(g, angle, w, h) for g in glyphs]
    x, y = at
    ph, pw = ink.shape
    cover = ink.astype(np.float64) / 255.0
    if not antialias:
        cover = (cover >= 0.5).astype(np.float64)
    full = int(a.max()) if value is None else value
    patch = a[y : y + ph, x : x + pw].astype(np.float64)
    a[y : y + ph, x : x + pw] = np.round(patch * (1 - cover) + full * cover).astype(a.dtype)
    return Drawn(text, tuple((bx0 + x, by0 + y, bx1 + x, by1 + y) for bx0, by0, bx1, by1 in boxes))


def covered(drawn: Drawn, boxes: tuple[Box, ...] | list[Box]) -> bool:
    """Whether every glyph of ``drawn`` lies wholly inside the union of ``boxes``."""
    x0, y0, x1, y1 = drawn.box
    mask = np.zeros((y1 - y0, x1 - x0), bool)
    for bx0, by0, bx1, by1 in boxes:
        mask[max(by0 - y0, 0) : max(by1 - y0, 0), max(bx0 - x0, 0) : max(bx1 - x0, 0)] = True
    return all(
        mask[gy0 - y0 : gy1 - y0, gx0 - x0 : gx1 - x0].all() for gx0, gy0, gx1, gy1 in drawn.glyphs
    )
