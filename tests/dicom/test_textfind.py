"""Text-line candidates: a big lone glyph is not a label box because its counter is found."""

from __future__ import annotations

import cv2
import numpy as np

from cxrkit.dicom.textfind import find_candidates


def _corner_marker(*, box: bool) -> np.ndarray:
    """A 10-bit image: textured body, a black corner, a thick ring glyph (an "O") at 512."""
    rng = np.random.default_rng(0)
    a = (300 + rng.normal(0, 40, (600, 600))).clip(100, 800).astype(np.uint16)
    a[:120, 440:] = 0
    if box:
        a[10:90, 480:580] = 512  # a filled label box
        ink = np.zeros(a.shape, np.uint8)
        cv2.putText(ink, "L", (505, 75), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 1, 6, cv2.LINE_8)
        a[ink > 0] = 0
    else:
        cv2.circle(a, (530, 50), 26, 512, 10)
    return a


def test_a_lone_glyph_holding_its_own_counter_stays_a_candidate() -> None:
    cands = find_candidates(_corner_marker(box=False))
    ring = [c for c in cands if c.level.lo <= 512 <= c.level.hi]
    assert ring, [(c.box, c.level) for c in cands]
    x0, y0, x1, y1 = ring[0].box
    assert x0 <= 506 and y0 <= 26 and x1 >= 554 and y1 >= 74
    assert not ring[0].framed


def test_a_framed_label_box_gives_way_to_the_text_it_holds() -> None:
    cands = find_candidates(_corner_marker(box=True))
    assert cands
    assert not any(c.level.lo <= 512 <= c.level.hi for c in cands)
