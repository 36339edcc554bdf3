"""Text-line candidates and how they are grouped: counters, label boxes, split-off letters."""

from __future__ import annotations

import cv2
import numpy as np

from cxrkit.dicom.reading import from_candidate
from cxrkit.dicom.scrub import PixelDenyList, _same_line, scrub_pixels
from cxrkit.dicom.textfind import Candidate, Level, find_candidates


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


def _cand(box: tuple[int, int, int, int], glyphs: int, level: Level) -> Candidate:
    return Candidate(box, glyphs, level, box[3] - box[1])


def test_a_letter_on_a_removed_line_is_part_of_it_and_a_marker_apart_is_not() -> None:
    level = Level("top", 4000, 4095, 3000, 4095)
    name = from_candidate(_cand((5, 5, 146, 21), 10, level))

    def on_line(box: tuple[int, int, int, int], lv: Level = level) -> bool:
        return _same_line(from_candidate(_cand(box, 1, lv)), name)

    assert on_line((162, 5, 173, 21))  # "EDITH  R"
    assert not on_line((660, 5, 676, 21))  # a corner "R"
    assert not on_line((162, 40, 173, 56))  # the next line
    # whole lines, whatever draws them: a piece at another grey on the line goes with it
    assert on_line((162, 5, 173, 21), Level("spike", 512, 512, 512, 512))


def test_a_middle_initial_set_apart_is_removed_with_the_name() -> None:
    ink = np.zeros((400, 700), np.uint8)
    cv2.putText(ink, "MILES, EDITH", (10, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 1, 2)
    cv2.putText(ink, "R", (214, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 1, 2)
    cv2.putText(ink, "R", (640, 380), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 1, 2)
    a = np.where(ink > 0, 4095, 1200).astype(np.uint16)
    deny = PixelDenyList(frozenset({"MILES", "EDITH"}), frozenset())
    r = scrub_pixels(a, photometric="MONOCHROME2", bits_stored=12, deny=deny)
    assert r.verified
    assert int(r.array[10:45, 214:235].max()) < 4095  # the initial is gone
    assert int(r.array[350:395, 630:670].max()) == 4095  # the corner marker stays
