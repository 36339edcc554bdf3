"""Following a removed line's ink past the ends the detectors gave."""

from __future__ import annotations

import cv2
import numpy as np

from cxrkit.dicom.continuation import follow


def _line_on_a_darkening_label_box() -> tuple[np.ndarray, int, int]:
    """Mid-grey 9-pixel italic glyphs on a label box that darkens along the line: the first
    glyphs have a sixth of the contrast of the last. Returns the image and the first and last
    columns of the glyphs' ink."""
    img = np.full((40, 330), 97, np.uint8)
    img[6:30, 10:310] = np.linspace(114, 1, 300).astype(np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX | cv2.FONT_ITALIC
    cv2.putText(img, "ST. BRENDAN MEDICAL CENTER", (14, 24), font, 0.4, 125, 1, cv2.LINE_8)
    ink = np.flatnonzero((img[8:28] >= 120).any(axis=0))
    return img, int(ink[0]), int(ink[-1])


def test_a_line_is_followed_by_the_contrast_of_its_own_end() -> None:
    """Found on the mixed synthetic export (seed 8302, 200 patients): "ST. BRENDAN MEDICAL
    CENTER" turned by 270°, where DBNet's box began after "ST." and the box stopped one pixel
    short of the "S". The walk measured the line's edges over the whole line, where the far
    end's glyphs stand out six times as much, so the faint first glyphs did not count as ink.
    Each end is now measured on the glyphs next to it."""
    img, first, last = _line_on_a_darkening_label_box()
    box = (32, 10, last + 1, 28)  # found from the "." on
    x0, _, x1, _ = follow(img, box, 9, False)
    assert x0 <= first
    assert x1 == last + 1


def test_a_turned_line_is_followed_the_same_way() -> None:
    img, first, last = _line_on_a_darkening_label_box()
    turned = np.ascontiguousarray(np.rot90(img, 3))  # the line runs down the image
    width = turned.shape[1]
    box = (width - 28, 32, width - 10, last + 1)
    _, y0, _, y1 = follow(turned, box, 9, True)
    assert y0 <= first
    assert y1 == last + 1


def test_a_box_reaching_past_the_image_is_never_made_shorter() -> None:
    img, _, _ = _line_on_a_darkening_label_box()
    box = (32, 10, img.shape[1] + 6, 28)
    assert follow(img, box, 9, False)[2] == box[2]


def test_a_box_starting_before_the_image_is_followed_not_refused() -> None:
    """Found by the int8 detector's eval (development seed 8301, hard): a turned detection
    turned back began one pixel before the image, (-1, 184, 27, 414); the follower sliced
    the image from row -1 (the last row) to 27, an empty strip, and OpenCV raised."""
    grey = np.full((600, 400), 30, np.uint8)
    grey[190:410, 2:24] = 200
    x0, y0, x1, y1 = follow(grey, (-1, 184, 27, 414), 14, True)
    assert (x0, x1) == (-1, 27) and y0 <= 184 and y1 >= 414
