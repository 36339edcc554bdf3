"""Calibration inputs for the int8 copy of the learned text detector (S5).

:mod:`cxrkit.dicom.quantise` sets each activation's 8-bit range from what the float DBNet
computes on these inputs, so they are drawn as the scrub feeds the network: synthetic
radiographs (:mod:`cxrkit.sources.synth`: a vendored radiograph varied, then made-up lines
burned in by the hard generator — many faces, sizes 9 to 40 pixels, upright and turned, on
anatomy, label boxes and gradients) of five sizes from 1,024 to 3,000 pixels, fixed seeds,
so the same inputs come out on every machine (for the same library versions). Each image
gives its overview (contrast equalised, longer side at most ``overview_side``) and
full-resolution tiles around two of its lines, contrast stretched, as they stand and turned
by 90° (at twice the resolution for a small image), exactly as :mod:`cxrkit.dicom.learned`
prepares them: 25 inputs.

No text here is anyone's: the values are made up.
"""

from __future__ import annotations

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


def _text(template: str, rng: np.random.Generator) -> str:
    return "".join(str(int(rng.integers(10))) if c == "#" else c for c in template)


def images() -> tuple[tuple[NDArray[np.uint8], tuple[pixels.BurnedText, ...]], ...]:
    """The calibration radiographs (8-bit) and the lines burned into each."""
    out = []
    for name, side, seed in IMAGES:
        rng = np.random.default_rng(seed)
        base = pixels.vary(pixels.load_base(name), "PA", "CHEST", rng)
        scale = side / max(base.shape)
        size = (round(base.shape[1] * scale), round(base.shape[0] * scale))
        resized = np.asarray(cv2.resize(base, size, interpolation=cv2.INTER_LINEAR), np.float32)
        a = pixels.quantise(resized, 12)
        order = rng.permutation(len(LINES))[:7]
        lines = [
            HardLine(
                _text(LINES[i][0], rng), "keep" if LINES[i][1] == "marker" else "phi", LINES[i][1]
            )
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
