"""Calibration inputs for the int8 copies of the learned text engine (S5).

:mod:`cxrkit.dicom.quantise` sets each activation's 8-bit range from what the float network
computes on these inputs, so they are drawn as the scrub feeds the networks: synthetic
radiographs (:mod:`cxrkit.sources.synth`: a vendored radiograph varied, then fake lines
burned in by the hard generator — many faces, sizes 9 to 40 pixels, upright and turned,
on anatomy, label boxes and gradients) of several sizes, fixed seeds, so the same
inputs come out on every machine (for the same library versions).

- DBNet (:func:`detector_feeds`): each image's overview (contrast equalised, longer side
  at most ``overview_side``) and full-resolution tiles around its lines, contrast
  stretched, as they stand and turned by 90° (at twice the resolution for a small image),
  exactly as :mod:`cxrkit.dicom.learned` prepares them;
- CRNN (:func:`recogniser_feeds`): the lines' crops, turned upright, in batches as
  rapidocr's recogniser makes them (48 pixels high, padded to the batch's widest).

No text here is anyone's: the values are made up.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np
from numpy.typing import NDArray

from cxrkit.dicom import learned, tuning
from cxrkit.dicom.quantise import Feed
from cxrkit.sources.synth import pixels
from cxrkit.sources.synth.hardlines import HardLine
from cxrkit.sources.synth.hardtext import burn_hard

#: (vendored radiograph, longer side of the image, seed) of each calibration image.
IMAGES = (
    ("nih_00000001_000", 3000, 11),
    ("rg1_chest_pa", 2500, 12),
    ("nih_dx_chest_pa", 1760, 13),
    ("siim_chest_pa", 1024, 14),
    ("nih_00027426_000", 2200, 15),
)
#: Made-up lines to burn: (text, kind); ``#`` is replaced by a random digit.
LINES = (
    ("MUSTERMANN^ERIKA", "name"),
    ("Doe, Jane M.", "name"),
    ("ID: ########", "id"),
    ("MRN ######", "id"),
    ("*##.##.19##", "date"),
    ("20##-##-## ##:##:##", "datetime"),
    ("ACC#######", "id"),
    ("St. Elsewhere Radiology", "institution"),
    ("PORTABLE", "marker"),
    ("AP SUPINE", "marker"),
    ("L", "marker"),
    ("R", "marker"),
)
#: Tiles around this many lines of each image feed DBNet.
TILES_PER_IMAGE = 2
#: Crops of the recogniser's calibration, at most, and their margin (pixels).
MAX_CROPS = 48
CROP_PAD = 4
#: rapidocr's recogniser input: height, least width, batch size (as :mod:`learned` sets it).
REC_HEIGHT, REC_WIDTH, REC_BATCH = 48, 320, 8


def _text(template: str, rng: np.random.Generator) -> str:
    return "".join(str(int(rng.integers(10))) if c == "#" else c for c in template)


@functools.cache
def images() -> tuple[tuple[NDArray[np.uint8], tuple[pixels.BurnedText, ...]], ...]:
    """The calibration radiographs (8-bit) and the lines burned into each."""
    out = []
    for name, side, seed in IMAGES:
        rng = np.random.default_rng(seed)
        base = pixels.vary(pixels.load_base(name), "PA", "CHEST", rng)
        scale = side / max(base.shape)
        size = (round(base.shape[1] * scale), round(base.shape[0] * scale))
        a = pixels.quantise(cv2.resize(base, size, interpolation=cv2.INTER_LINEAR), 12)
        order = rng.permutation(len(LINES))[:7]
        lines = [
            HardLine(_text(LINES[i][0], rng), "keep" if LINES[i][1] == "marker" else "phi", LINES[i][1])
            for i in order
        ]
        burned = burn_hard(a, lines, 12, rng)
        out.append((learned.display(a, 0, 4095), tuple(burned)))
    return tuple(out)


def detector_feeds(name: str) -> list[Feed]:
    """DBNet's calibration inputs (its input is called ``name``)."""
    t = tuning.TUNING.learned
    feeds = []
    for grey, burned in images():
        h, w = grey.shape
        overview = min(1.0, t.overview_side / max(h, w))
        feeds.append(learned.det_input(learned.equalised(grey), overview))
        scale = t.fine_scale if overview >= 1.0 else 1.0
        for line in burned[:TILES_PER_IMAGE]:
            x0, y0, x1, y1 = _tile_around(line.box, (h, w), t.tile)
            flat = learned.stretched(grey[y0:y1, x0:x1])
            feeds.append(learned.det_input(flat, scale))
            feeds.append(learned.det_input(np.ascontiguousarray(np.rot90(flat)), scale))
    return [{name: x} for x in feeds]


def _tile_around(box: learned.Box, shape: tuple[int, int], tile: int) -> learned.Box:
    """A ``tile``-pixel square (or the image, if smaller) centred on ``box``."""
    h, w = shape
    cx, cy = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2
    x0 = min(max(cx - tile // 2, 0), max(w - tile, 0))
    y0 = min(max(cy - tile // 2, 0), max(h - tile, 0))
    return x0, y0, min(x0 + tile, w), min(y0 + tile, h)


def crops() -> list[NDArray[np.uint8]]:
    """Every calibration line cut out with a margin and turned upright (at most
    :data:`MAX_CROPS`)."""
    from cxrkit.dicom import reading  # it reads with the engine this module calibrates

    out = []
    for grey, burned in images():
        for line in burned:
            crop = reading._contrast_crop(grey, line.box, CROP_PAD)
            out.append(reading._turn(crop, line.angle))
    return out[:MAX_CROPS]


def recogniser_feeds(name: str) -> list[Feed]:
    """The CRNN's calibration inputs: the crops in batches as rapidocr's recogniser makes
    them (sorted by aspect, each batch as wide as its widest crop)."""
    found = sorted(crops(), key=lambda c: c.shape[1] / c.shape[0])
    feeds = []
    for start in range(0, len(found), REC_BATCH):
        batch = found[start : start + REC_BATCH]
        widest = max(REC_WIDTH / REC_HEIGHT, *(c.shape[1] / c.shape[0] for c in batch))
        width = int(REC_HEIGHT * widest)
        feeds.append({name: np.stack([_rec_input(c, width) for c in batch])})
    return feeds


def _rec_input(crop: NDArray[np.uint8], width: int) -> NDArray[np.float32]:
    """One crop as the recogniser's input: 48 pixels high, values in [-1, 1], 3 channels,
    zero-padded on the right to ``width``."""
    h, w = crop.shape
    resized_w = min(width, math.ceil(REC_HEIGHT * w / h))
    im = np.asarray(cv2.resize(crop, (resized_w, REC_HEIGHT)), np.float32) / 127.5 - 1.0
    out = np.zeros((3, REC_HEIGHT, width), np.float32)
    out[:, :, :resized_w] = im[None]
    return out
