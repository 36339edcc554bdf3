"""Text rendered to a coverage mask with one ink box per visible character.

Two families of fonts draw the burned-in text of a synthetic export:

- OpenCV's Hershey stroke fonts (``cv2.putText``), 8-connected or anti-aliased, optionally
  with the italic flag; they draw ASCII only;
- TrueType fonts through Pillow: the DejaVu Sans, Sans Mono and Serif faces shipped in
  matplotlib's package data (they hold Latin diacritics) and Pillow's built-in scalable
  default face (``ImageFont.load_default(size=...)``).

A rendering is a tight ``uint8`` coverage mask (255 = full ink; anti-aliased edges in
between) and the ink box ``(x0, y0, x1, y1)`` (end exclusive) of each visible character in
mask coordinates: the box of its pixels of at least a quarter coverage (:data:`INK_LEVEL`;
fainter anti-aliased fringes are not ink). :func:`rotate` turns both by a multiple of 90
degrees counter-clockwise.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import cv2
import matplotlib
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

Box = tuple[int, int, int, int]

#: Hershey faces by name (the italic flag is added with the ``+ITALIC`` suffix).
HERSHEY = {
    "HERSHEY_SIMPLEX": cv2.FONT_HERSHEY_SIMPLEX,
    "HERSHEY_PLAIN": cv2.FONT_HERSHEY_PLAIN,
    "HERSHEY_DUPLEX": cv2.FONT_HERSHEY_DUPLEX,
    "HERSHEY_COMPLEX": cv2.FONT_HERSHEY_COMPLEX,
    "HERSHEY_TRIPLEX": cv2.FONT_HERSHEY_TRIPLEX,
    "HERSHEY_COMPLEX_SMALL": cv2.FONT_HERSHEY_COMPLEX_SMALL,
}

#: TrueType faces by name: a file of matplotlib's package data, or ``""`` for Pillow's own.
TRUETYPE = {
    "DejaVuSans": "DejaVuSans.ttf",
    "DejaVuSansMono": "DejaVuSansMono.ttf",
    "DejaVuSerif": "DejaVuSerif.ttf",
    "PillowDefault": "",
}

#: Coverage from which an anti-aliased pixel counts as ink (a quarter): fainter edge pixels
#: are drawn but lie outside the glyph boxes.
INK_LEVEL = 64

#: TrueType faces that draw Latin letters with diacritics.
UNICODE_FONTS = ("DejaVuSans", "DejaVuSansMono", "DejaVuSerif")


@dataclass(frozen=True)
class Rendered:
    """A tight coverage mask and the ink box of each visible character in it."""

    mask: NDArray[np.uint8]
    glyphs: tuple[Box, ...]


def font_names() -> tuple[str, ...]:
    """Every face name :func:`render` accepts."""
    hershey = [*HERSHEY, *(f"{n}+ITALIC" for n in ("HERSHEY_SIMPLEX", "HERSHEY_COMPLEX"))]
    return (*hershey, *TRUETYPE)


def render(text: str, font: str, height: int, *, aa: bool) -> Rendered:
    """Draw ``text`` in ``font`` with capital letters ``height`` pixels tall."""
    if font in TRUETYPE:
        return _render_ttf(text, font, height, aa)
    face, _, flag = font.partition("+")
    code = HERSHEY[face] | (cv2.FONT_ITALIC if flag == "ITALIC" else 0)
    return _render_hershey(text, code, height, aa)


def _hershey_scale(code: int, height: int, thickness: int) -> float:
    """The classic generator's scale: ``getTextSize`` says ``H`` is ``height`` tall."""
    (_, h0), _ = cv2.getTextSize("H", code, 1.0, thickness)
    return height / max(h0, 1)


@functools.cache
def _ink_per_scale(code: int) -> float:
    """Ink height of a capital ``H`` per unit of ``fontScale`` (thin strokes)."""
    canvas = np.zeros((200, 200), np.uint8)
    cv2.putText(canvas, "H", (20, 150), code, 4.0, 255, 1, cv2.LINE_8)
    ys = np.nonzero(canvas)[0]
    return (int(ys.max()) - int(ys.min()) + 1) / 4.0


def cap_height(text: str, glyphs: tuple[Box, ...]) -> int:
    """The tallest capital letter or digit of an upright rendering (else the tallest glyph)."""
    visible = [c for c in text if not c.isspace()]
    tall = [
        b[3] - b[1] for c, b in zip(visible, glyphs, strict=False) if c.isupper() or c.isdigit()
    ]
    return max(tall or [b[3] - b[1] for b in glyphs] or [0])


def _render_hershey(text: str, code: int, height: int, aa: bool) -> Rendered:
    """Each character drawn at its own origin, so each glyph's ink is known exactly."""
    thickness = max(1, round(height / 12))
    scale = (height - thickness + 1) / _ink_per_scale(code)
    (w, h), base = cv2.getTextSize(text, code, scale, thickness)
    pad = thickness + 2 + height // 3  # italics lean past the advance width
    canvas = np.zeros((h + base + 2 * pad, w + 2 * pad), np.uint8)
    line = cv2.LINE_AA if aa else cv2.LINE_8
    inks: list[NDArray[np.uint8]] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            continue
        x = cv2.getTextSize(text[:i], code, scale, thickness)[0][0] - thickness if i else 0
        one = np.zeros_like(canvas)
        cv2.putText(one, ch, (pad + x, pad + h), code, scale, 255, thickness, line)
        inks.append(one)
    return _assemble(canvas, inks)


@functools.cache
def _ttf_path(name: str) -> str:
    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / TRUETYPE[name])


@functools.cache
def _ttf_font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if TRUETYPE[name]:
        return ImageFont.truetype(_ttf_path(name), size)
    return ImageFont.load_default(size=size)


@functools.cache
def _cap_ratio(name: str) -> float:
    """Capital height per point of size."""
    _, y0, _, y1 = _ttf_font(name, 200).getbbox("H")
    return (y1 - y0) / 200


def _render_ttf(text: str, name: str, height: int, aa: bool) -> Rendered:
    size = max(4, round(height / _cap_ratio(name)))
    font = _ttf_font(name, size)
    width = int(font.getlength(text)) + 2 * size
    shape = (2 * size + 4, width)
    inks: list[NDArray[np.uint8]] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            continue
        img = Image.new("L", (shape[1], shape[0]), 0)
        draw = ImageDraw.Draw(img)
        draw.fontmode = "L" if aa else "1"
        draw.text((size // 2 + round(font.getlength(text[:i])), size // 2), ch, 255, font=font)
        inks.append(np.array(img, np.uint8))
    return _assemble(np.zeros(shape, np.uint8), inks)


def _assemble(canvas: NDArray[np.uint8], inks: list[NDArray[np.uint8]]) -> Rendered:
    """Combine per-character inks; crop to the line's ink; one box per inked character."""
    boxes: list[Box] = []
    for ink in inks:
        if not ink.any():
            continue
        if int(ink.max()) < 255:  # a faint anti-aliased glyph keeps one full-ink pixel
            k = int(np.argmax(ink))
            ink.flat[k] = 255
        np.maximum(canvas, ink, out=canvas)
        ys, xs = np.nonzero(ink >= INK_LEVEL)
        boxes.append((int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))
    ys, xs = np.nonzero(canvas)
    y0, x0 = int(ys.min()), int(xs.min())
    mask = np.ascontiguousarray(canvas[y0 : int(ys.max()) + 1, x0 : int(xs.max()) + 1])
    return Rendered(mask, tuple((a - x0, b - y0, c - x0, d - y0) for a, b, c, d in boxes))


def rotate(r: Rendered, angle: int) -> Rendered:
    """``r`` turned ``angle`` degrees (0, 90, 180, 270) counter-clockwise."""
    k = (angle // 90) % 4
    h, w = r.mask.shape
    boxes = list(r.glyphs)
    for _ in range(k):  # one quarter turn: (x, y) -> (y, w - x); then the new width is h
        boxes = [(y0, w - x1, y1, w - x0) for x0, y0, x1, y1 in boxes]
        h, w = w, h
    mask = np.ascontiguousarray(np.rot90(r.mask, k))
    return Rendered(mask, tuple(boxes))


def classic_glyphs(
    mask: NDArray[np.uint8], text: str, font: int, height: int, thickness: int
) -> tuple[Box, ...]:
    """Glyph boxes of a line drawn by the classic generator in one ``cv2.putText`` call.

    ``mask`` is the classic tight mask (capital letters ``height`` tall, 8-connected, strokes
    ``thickness`` wide). Each character is drawn alone at its approximate origin; every ink
    pixel of ``mask`` goes to the character whose own drawing holds or is nearest to it, so
    the boxes together cover all the ink.
    """
    scale = _hershey_scale(font, height, thickness)
    (w, h), base = cv2.getTextSize(text, font, scale, thickness)
    pad = thickness + 2
    whole = np.zeros((h + base + 2 * pad, w + 2 * pad), np.uint8)
    cv2.putText(whole, text, (pad, pad + h), font, scale, 255, thickness, cv2.LINE_8)
    ys, xs = np.nonzero(whole)
    oy, ox = int(ys.min()), int(xs.min())
    costs, owners = [], []
    for i, ch in enumerate(text):
        if ch.isspace():
            continue
        x = cv2.getTextSize(text[:i], font, scale, thickness)[0][0] - thickness if i else 0
        one = np.zeros_like(whole)
        cv2.putText(one, ch, (pad + x, pad + h), font, scale, 255, thickness, cv2.LINE_8)
        one = one[oy : oy + mask.shape[0], ox : ox + mask.shape[1]]
        dist = cv2.distanceTransform((one == 0).astype(np.uint8), cv2.DIST_L2, 3)
        costs.append(dist)
        owners.append(i)
    owner = np.argmin(np.stack(costs), axis=0)
    out: list[Box] = []
    for k in range(len(owners)):
        ys, xs = np.nonzero((owner == k) & (mask > 0))
        if len(ys):
            out.append((int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))
    return tuple(out)
