"""Where a removed line really ends: follow its ink past the ends the detectors gave (S5).

A detector may stop short of a line's end where the ground changes under it (text running
from a dark label box onto a lighter gradient, the last glyphs fainter than the first). The
glyphs that follow are still there to the eye: edges as dense as the line's own, in the same
band across. :func:`follow` walks from each end of a removed line's box along the line, one
glyph height at a time, and takes in every step whose band holds such edges, until a whole
glyph height holds none (the gap after a line is wider than a word gap). The walk only ever
makes a box longer: fail closed. The thresholds are :class:`cxrkit.dicom.tuning.FollowTuning`.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from cxrkit.dicom import tuning

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (end exclusive)


def _gradient(grey: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return np.asarray(cv2.morphologyEx(grey, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)))


def follow(grey: NDArray[np.uint8], box: Box, height: int, vertical: bool) -> Box:
    """``box`` (a removed line, glyphs ``height`` pixels high) grown along the line over every
    step of one glyph height that holds edges as dense as the line's own.

    Examples
    --------
    >>> img = np.full((60, 400), 20, np.uint8)
    >>> _ = cv2.putText(img, "1942 07 27 13 29 43", (5, 40), cv2.FONT_HERSHEY_PLAIN, 1.4, 200, 2)
    >>> int(np.flatnonzero((img > 100).any(axis=0))[-1])  # the last glyph's last column
    233
    >>> follow(img, (0, 20, 150, 45), 14, False)  # found to the first 150 pixels only
    (0, 20, 234, 45)
    >>> follow(img.T.copy(), (-1, 0, 45, 150), 14, True)  # a box reaching past the image
    (-1, 0, 45, 234)
    """
    t = tuning.TUNING.follow
    h, w = grey.shape[:2]
    x0, y0, x1, y1 = max(box[0], 0), max(box[1], 0), min(box[2], w), min(box[3], h)
    g = grey.T if vertical else grey
    if vertical:
        x0, y0, x1, y1 = y0, x0, y1, x1
    if height < t.min_height or x1 - x0 < t.min_length * height or y1 <= y0:
        return box
    edges = _gradient(np.ascontiguousarray(g[y0:y1]))
    reach = t.max_reach * height
    step = max(t.min_step, height)
    near = t.end_window * height
    end = _walk(edges, (max(x0, x1 - near), x1), x1, min(x1 + reach, g.shape[1]), step)
    start = _walk(edges, (x0, min(x1, x0 + near)), x0, max(x0 - reach, 0), -step)
    # never shorter than the box given, which may reach past the image
    if vertical:
        return (box[0], min(start, box[1]), box[2], max(end, box[3]))
    return (min(start, box[0]), box[1], max(end, box[2]), box[3])


def _walk(edges: NDArray[np.uint8], own: tuple[int, int], at: int, limit: int, step: int) -> int:
    """How far the line continues from ``at`` towards ``limit``, one ``step`` at a time
    (negative: towards the start); never back past ``at``.

    The line's own edges are measured on ``own``, the part of the line next to that end: a
    line's contrast may change along it (mid-grey glyphs over a gradient label box), and the
    glyphs beyond an end look like the glyphs before it, not like the line's far end.
    """
    t = tuning.TUNING.follow
    inside = edges[:, own[0] : own[1]]
    strong = inside[inside > 0]
    if strong.size == 0:
        return at
    level = max(t.min_edge, t.edge_share * float(np.percentile(strong, t.edge_percentile)))
    on = edges >= level
    density = float(on[:, own[0] : own[1]].mean())
    if density <= 0.0:
        return at
    need = t.density_share * density
    sign = 1 if step > 0 else -1
    while sign * (limit - at) > 0:
        nxt = at + sign * min(abs(step), sign * (limit - at))
        lo, hi = min(at, nxt), max(at, nxt)
        if float(on[:, lo:hi].mean()) < need:
            break
        at = nxt
    return at
