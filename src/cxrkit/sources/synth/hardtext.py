"""Burning hard text: many fonts and sizes, anti-aliasing, rotation, label boxes, gradients.

Each line of a hard image gets its own style: a Hershey or TrueType face
(:mod:`cxrkit.sources.synth.glyphs`; lines with diacritics only get DejaVu faces), capital
height 9 to 40 pixels (two lines in five 9 to 13), anti-aliased or not, and an angle of 0,
90, 180 or 270 degrees. Upright and upside-down lines run along the top or bottom edge,
rotated ones along the left or right edge. A line sits on the anatomy where it contrasts
enough, on a label box (a filled rectangle of the opposite value) or across a gradient.
Anti-aliased glyphs are blended into what lies under them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cxrkit.sources.synth import glyphs
from cxrkit.sources.synth.hardlines import HardLine
from cxrkit.sources.synth.pixels import BurnedText, grey_value

Box = tuple[int, int, int, int]
ANGLES = (0, 90, 180, 270)
ANGLE_WEIGHTS = (0.4, 0.25, 0.1, 0.25)
HERSHEY_FACES = tuple(f for f in glyphs.font_names() if f.startswith("HERSHEY"))
TTF_FACES = tuple(glyphs.TRUETYPE)


@dataclass(frozen=True)
class Style:
    """How one line is drawn."""

    font: str
    height: int
    aa: bool
    angle: int
    grey: str  # display space: "max", "min" or "mid"
    backdrop: str  # "anatomy", "label" or "gradient"


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def draw_style(line: HardLine, rng: np.random.Generator, scale: float = 1.0) -> Style:
    """A random style for ``line``; text that is not ASCII gets a face that has its glyphs.

    On a larger image (``scale`` > 1, :func:`cxrkit.sources.synth.pixels.text_scale`) the
    heights of 14 pixels and up are drawn up to ``scale`` times larger (a factor drawn per
    line, so that mid-sized text stays too); small text (9–13 pixels) stays that small, the
    smallest a de-identifier must catch at any image size."""
    if not line.text.isascii():
        font = _pick(rng, glyphs.UNICODE_FONTS)
    elif rng.random() < 0.5:
        font = _pick(rng, HERSHEY_FACES)
    else:
        font = _pick(rng, TTF_FACES)
    big = line.kind == "marker" and len(line.text) <= 2
    if scale > 1:  # no draw at the usual size: its exports stay byte-identical
        scale = float(rng.uniform(1.0, scale))
    if big:
        height = round(int(rng.integers(20, 41)) * scale)
    elif rng.random() < 0.4:
        height = int(rng.integers(9, 14))
    else:
        height = round(int(rng.integers(14, 41)) * scale)
    angle = int(rng.choice(ANGLES, p=ANGLE_WEIGHTS))
    backdrop = _pick(rng, ("anatomy", "anatomy", "label", "gradient"))
    return Style(
        font, height, bool(rng.random() < 0.5), angle, _pick(rng, ("max", "min", "mid")), backdrop
    )


def _rendered(line: HardLine, style: Style, side: int) -> tuple[glyphs.Rendered, int]:
    """The line drawn upright, smaller if it would not fit along ``side`` pixels."""
    height = style.height
    r = glyphs.render(line.text, style.font, height, aa=style.aa)
    length = r.mask.shape[1]
    if length > 0.85 * side and height > 9:
        height = max(9, int(height * 0.85 * side / length))
        r = glyphs.render(line.text, style.font, height, aa=style.aa)
    return r, glyphs.cap_height(line.text, r.glyphs)


def _candidate(
    shape: tuple[int, int], mshape: tuple[int, int], angle: int, rng: np.random.Generator
) -> tuple[int, int]:
    """A random spot along the edge that the angle puts the line on."""
    h, w = shape
    mh, mw = mshape
    margin = 0 if rng.random() < 0.15 else int(rng.integers(2, 24))
    near = int(rng.integers(0, max(1, int(0.18 * min(h, w)))))
    if angle in (0, 180):
        x = _pick_edge(rng, w, mw, margin)
        y = margin + near if rng.random() < 0.5 else h - margin - near - mh
    else:
        y = int(rng.integers(0, max(1, h - mh)))
        x = margin + near if rng.random() < 0.5 else w - margin - near - mw
    return x, y


def _pick_edge(rng: np.random.Generator, size: int, length: int, margin: int) -> int:
    spot = rng.random()
    if spot < 0.4:
        return margin
    if spot < 0.8:
        return size - margin - length
    return int(rng.integers(0, max(1, size - length)))


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _spot(
    shape: tuple[int, int],
    mshape: tuple[int, int],
    angle: int,
    taken: list[Box],
    *,
    gap: int,
    rng: np.random.Generator,
) -> tuple[int, int] | None:
    """A spot inside the image whose line, grown by ``gap``, touches no earlier line."""
    for _ in range(40):
        x, y = _candidate(shape, mshape, angle, rng)
        if x < 0 or y < 0 or x + mshape[1] > shape[1] or y + mshape[0] > shape[0]:
            continue
        mine = (x - gap, y - gap, x + mshape[1] + gap, y + mshape[0] + gap)
        if not any(_overlap(mine, box) for box in taken):
            return x, y
    return None


def _backing(value: int, top: int) -> int:
    return 0 if value > top // 2 else top


def _backdrop(
    a: NDArray[np.uint16], box: Box, value: int, *, top: int, style: Style, rng: np.random.Generator
) -> None:
    """Paint a label box or a gradient behind ``box``, or nothing where anatomy contrasts."""
    x0, y0, x1, y1 = box
    under = a[y0:y1, x0:x1]
    kind = style.backdrop
    if kind == "anatomy" and abs(float(under.mean()) - value) >= 0.35 * top:
        return
    if kind != "gradient":
        under[...] = _backing(value, top)
        return
    far = _backing(value, top)
    near = far + (0.45 * top if far == 0 else -0.45 * top) * float(rng.uniform(0.5, 1.0))
    along = 1 if x1 - x0 >= y1 - y0 else 0
    ramp = np.linspace(far, near, under.shape[along])
    if rng.random() < 0.5:
        ramp = ramp[::-1]
    under[...] = np.rint(ramp[None, :] if along else ramp[:, None]).astype(np.uint16)


def _blend(a: NDArray[np.uint16], mask: NDArray[np.uint8], xy: tuple[int, int], value: int) -> None:
    x, y = xy
    region = a[y : y + mask.shape[0], x : x + mask.shape[1]]
    alpha = mask.astype(np.float32) / 255.0
    mixed = region.astype(np.float32) * (1.0 - alpha) + float(value) * alpha
    region[...] = np.rint(mixed).astype(np.uint16)


def _burn_one(
    a: NDArray[np.uint16],
    line: HardLine,
    bits: int,
    taken: list[Box],
    rng: np.random.Generator,
    *,
    scale: float,
) -> BurnedText | None:
    """Draw one line in a random style at a free spot; its truth, or None if it does not fit."""
    h, w = a.shape
    style = draw_style(line, rng, scale)
    side = w if style.angle in (0, 180) else h
    upright, height = _rendered(line, style, side)
    r = glyphs.rotate(upright, style.angle)
    pad = max(2, height // 3)
    xy = _spot((h, w), r.mask.shape, style.angle, taken, gap=2 * pad + 2, rng=rng)
    if xy is None:
        return None
    x, y = xy
    top = (1 << bits) - 1
    value = grey_value(style.grey, bits)
    drawn = (x, y, x + r.mask.shape[1], y + r.mask.shape[0])
    padded = (max(x - pad, 0), max(y - pad, 0), min(drawn[2] + pad, w), min(drawn[3] + pad, h))
    _backdrop(a, padded, value, top=top, style=style, rng=rng)
    _blend(a, r.mask, xy, value)
    taken.append(drawn)
    boxes = tuple((x0 + x, y0 + y, x1 + x, y1 + y) for x0, y0, x1, y1 in r.glyphs)
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    box = (x0, y0, max(b[2] for b in boxes), max(b[3] for b in boxes))
    return BurnedText(
        line.text,
        line.category,
        style.grey,
        value,
        box,
        kind=line.kind,
        glyphs=boxes,
        angle=style.angle,
        font=style.font,
        height=height,
        aa=style.aa,
        style="hard",
        fmt=line.fmt,
    )


def burn_hard(
    a: NDArray[np.uint16],
    lines: list[HardLine],
    bits: int,
    rng: np.random.Generator,
    *,
    scale: float = 1.0,
) -> list[BurnedText]:
    """Burn ``lines`` into ``a`` (display space, in place); the truth of those that fit.

    ``scale`` enlarges all but the small text (:func:`draw_style`)."""
    taken: list[Box] = []
    out = []
    for line in lines:
        burned = _burn_one(a, line, bits, taken, rng, scale=scale)
        if burned is not None:
            out.append(burned)
    return out
