"""Where burned-in text may be: binarised masks, glyph components, text-line candidates (S5).

Modalities draw text at a fixed stored value: the top of the range, the bottom, or a fixed
grey (a marker box). :func:`text_levels` finds those values in the once-decoded pixels — the
maximum, the minimum and each dominant spike of the histogram — and :func:`find_candidates`
turns each level's mask into glyph-sized connected components, groups them into text lines and
returns each line as a :class:`Candidate`: its box and a clean black-on-white rendering for OCR.
Masks that cover too much of the image (the body, not text) are dropped; so are components
that are too large, too small or too empty to be glyphs. The thresholds are
:class:`cxrkit.dicom.tuning.FinderTuning`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from cxrkit.dicom import tuning

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (end exclusive)


@dataclass(frozen=True)
class Level:
    """A stored-value band that text may be drawn with: ``lo <= value <= hi``."""

    name: str  # "top", "bottom" or "spike"
    lo: int
    hi: int
    read_lo: int
    read_hi: int


@dataclass(frozen=True)
class Candidate:
    """A text-line candidate: its box, how many glyph components it has, and its level."""

    box: Box
    glyphs: int
    level: Level
    glyph_height: int
    framed: bool = False
    #: A line running down the image (text turned by 90° or 270°): glyphs stacked in y.
    vertical: bool = False

    @property
    def lone_glyph(self) -> bool:
        """One component about as wide as tall: a marker letter, read in single-glyph mode."""
        x0, y0, x1, y1 = self.box
        return self.glyphs == 1 and (x1 - x0) <= tuning.TUNING.finder.lone_glyph_aspect * (y1 - y0)


def value_range(dtype: np.dtype[np.generic], bits_stored: int) -> tuple[int, int]:
    """The stored value range of ``bits_stored`` bits for an array of ``dtype``.

    Examples
    --------
    >>> value_range(np.dtype(np.uint16), 12), value_range(np.dtype(np.int16), 12)
    ((0, 4095), (-2048, 2047))
    """
    if np.issubdtype(dtype, np.signedinteger):
        return -(1 << (bits_stored - 1)), (1 << (bits_stored - 1)) - 1
    return 0, (1 << bits_stored) - 1


def _spikes(a: NDArray[np.integer], vmin: int, vmax: int) -> list[int]:
    """Values whose count towers over their neighbours' (a fixed text or marker value)."""
    t = tuning.TUNING.finder
    v = a.ravel()
    shifted = v - np.asarray(vmin, v.dtype) if v.dtype.kind == "u" else v.astype(np.int64) - vmin
    counts = np.bincount(shifted).astype(np.float64)
    if counts.size < t.min_histogram_values:
        return []
    window = t.spike_window
    kernel = np.ones(2 * window + 1)
    kernel[window] = 0.0
    neighbours = np.convolve(counts, kernel, mode="same") / (2 * window)
    span = vmax - vmin
    edge = max(1, int(span * t.find_tolerance))
    beside = np.maximum(np.roll(counts, 1), np.roll(counts, -1))
    excess = np.minimum(counts - neighbours, counts - beside)
    excess[: edge + 1] = 0.0
    excess[-edge - 1 :] = 0.0
    ok = excess >= max(t.min_spike_pixels, t.min_spike_share * a.size)
    ok &= counts >= t.spike_ratio * neighbours
    idx = np.flatnonzero(ok)
    best = idx[np.argsort(-excess[idx])][: t.max_spikes]
    return [int(i) + vmin for i in best]


def text_levels(a: NDArray[np.integer]) -> list[Level]:
    """The stored-value bands text may be drawn with in ``a``: top, bottom, histogram spikes.

    Examples
    --------
    >>> a = np.zeros((64, 64), np.uint16)
    >>> a[:, 32:] = np.arange(32) * 10
    >>> a[10:20, 5:9] = 4095
    >>> [lv.name for lv in text_levels(a)]
    ['top', 'bottom']
    """
    t = tuning.TUNING.finder
    vmin, vmax = int(a.min()), int(a.max())
    span = max(vmax - vmin, 1)
    find, read = max(0, int(span * t.find_tolerance)), int(span * t.read_tolerance)
    levels = [
        Level("top", vmax - find, vmax, vmax - read, vmax),
        Level("bottom", vmin, vmin + find, vmin, vmin + read),
    ]
    levels += [Level("spike", v, v, v, v) for v in _spikes(a, vmin, vmax)]
    return levels


def _framed(labels: NDArray[np.int32], index: int, box: NDArray[np.int32]) -> bool:
    """Whether component ``index`` runs along all four sides of its box (a label box)."""
    x, y, w, h = (int(v) for v in box)
    return _runs_along_sides(labels[y : y + h, x : x + w] == index)


def _runs_along_sides(sub: NDArray[np.bool_]) -> bool:
    """Whether ``sub`` is set along most of each of its four sides (``frame_share``)."""
    if sub.size == 0:
        return False
    edges = (sub[0].mean(), sub[-1].mean(), sub[:, 0].mean(), sub[:, -1].mean())
    return bool(min(edges) >= tuning.TUNING.finder.frame_share)


def _glyph_boxes(mask: NDArray[np.uint8]) -> NDArray[np.int32]:
    """Boxes ``x, y, w, h`` of the components of ``mask`` that may be glyphs.

    Runs of empty rows are first cut to one row (a component never spans an empty row, and
    one empty row still keeps two components apart): the labelling then costs what the rows
    holding pixels cost, not the whole image.
    """
    t = tuning.TUNING.finder
    h_img, w_img = mask.shape
    filled: NDArray[np.bool_] = np.asarray(mask.any(axis=1), bool)
    after = np.ones_like(filled)
    after[1:] = filled[:-1]
    rows = np.flatnonzero(filled | after)
    _, labels_any, stats_any, _ = cv2.connectedComponentsWithStats(mask[rows], connectivity=8)
    labels = np.asarray(labels_any, np.int32)
    stats = np.asarray(stats_any, np.int32)
    w, h, area = stats[1:, 2], stats[1:, 3], stats[1:, 4]
    fill = area / np.maximum(w * h, 1)
    ok = (h >= t.glyph_min_height) & (h <= max(t.glyph_max_height, h_img // t.glyph_height_parts))
    ok &= (w <= w_img // t.glyph_width_parts) & (area >= t.glyph_min_area)
    ok &= (fill >= t.glyph_min_fill) & ((w >= t.glyph_min_width) | (h >= t.thin_glyph_height))
    # A solid block (a label box, a collimator edge) is not a glyph unless it is thin.
    ok &= ~((fill > t.solid_fill) & (w > t.solid_aspect * h) & (h > t.solid_min_height))
    idx = np.flatnonzero(ok)
    wide = idx[(fill[idx] > t.box_fill) & (w[idx] > t.box_aspect * h[idx])]
    framed = {int(i) for i in wide if _framed(labels, int(i) + 1, stats[i + 1, :4])}
    keep = [int(i) + 1 for i in idx if int(i) not in framed]
    out = stats[keep][:, :4].astype(np.int32)
    top, bottom = rows[out[:, 1]], rows[out[:, 1] + out[:, 3] - 1]
    out[:, 1], out[:, 3] = top, bottom - top + 1
    return out


def _group(b: NDArray[np.int32]) -> list[list[int]]:
    """Indices of glyph boxes ``x, y, w, h`` (sorted by x) joined into lines along x."""
    t = tuning.TUNING.finder
    n = len(b)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        xi, yi, wi, hi = (int(v) for v in b[i])
        for j in range(i + 1, n):
            xj, yj, hj = int(b[j, 0]), int(b[j, 1]), int(b[j, 3])
            big = max(hi, hj)
            if xj - (xi + wi) > t.join_gap * big:
                break
            overlap = min(yi + hi, yj + hj) - max(yi, yj)
            low = min(hi, hj)
            if overlap >= t.join_overlap * low and max(hi, hj) <= t.join_height_ratio * low:
                parent[root(j)] = root(i)
    lines: dict[int, list[int]] = {}
    for i in range(n):
        lines.setdefault(root(i), []).append(i)
    return list(lines.values())


def _summary(m: NDArray[np.int32]) -> tuple[Box, int, int]:
    x0, y0 = int(m[:, 0].min()), int(m[:, 1].min())
    x1, y1 = int((m[:, 0] + m[:, 2]).max()), int((m[:, 1] + m[:, 3]).max())
    return (x0, y0, x1, y1), len(m), int(np.median(m[:, 3]))


def _group_lines(boxes: NDArray[np.int32]) -> list[tuple[Box, int, int, bool]]:
    """Glyph boxes joined into lines: (line box, glyph count, median glyph height, vertical).

    Lines run along x; glyphs that stay alone that way and stack into a line of three or
    more along y form a vertical line (text turned by 90° or 270°, as CR readers print it
    along an edge), whose glyph height is measured across the line.
    """
    if len(boxes) == 0:
        return []
    b = boxes[np.argsort(boxes[:, 0], kind="stable")]
    across = _group(b)
    out = [(*_summary(b[m]), False) for m in across if len(m) > 1]
    alone = b[[m[0] for m in across if len(m) == 1]]
    if len(alone) == 0:
        return out
    t = alone[:, [1, 0, 3, 2]]  # transposed: y, x, h, w
    t = t[np.argsort(t[:, 0], kind="stable")]
    for m in _group(t):
        (y0, x0, y1, x1), count, height = _summary(t[m])
        if count >= tuning.TUNING.finder.vertical_min_glyphs:
            out.append(((x0, y0, x1, y1), count, height, True))
        else:
            out += [(*_summary(t[[i]][:, [1, 0, 3, 2]]), False) for i in m]
    return out


def _plausible(box: Box, glyphs: int, height: int, vertical: bool = False) -> bool:
    """Whether a grouped line is shaped like text (a lone glyph must be a marker-sized one)."""
    t = tuning.TUNING.finder
    x0, y0, x1, y1 = box
    w, h = (y1 - y0, x1 - x0) if vertical else (x1 - x0, y1 - y0)
    if glyphs == 1:
        return h >= t.lone_min_height and t.lone_min_aspect <= w / max(h, 1) <= t.lone_max_aspect
    return height >= t.line_min_glyph_height and w >= h


def _stands_out(
    a: NDArray[np.integer], mask: NDArray[np.uint8], box: Box, level: Level, span: int
) -> bool:
    """Whether the glyphs in ``box`` contrast with what surrounds them, as drawn text does.

    Pixels of the body that happen to have the level's value sit in a smooth field whose
    neighbouring values are close; drawn glyphs sit on a background far from their value.
    """
    t = tuning.TUNING.finder
    x0, y0, x1, y1 = box
    h, w = a.shape
    r = t.ring_outer
    ys, xs = slice(max(y0 - r, 0), min(y1 + r, h)), slice(max(x0 - r, 0), min(x1 + r, w))
    core = mask[ys, xs]
    kernel = np.ones((3, 3), np.uint8)
    outer = np.asarray(cv2.dilate(core, kernel, iterations=r))
    inner = np.asarray(cv2.dilate(core, kernel, iterations=t.ring_inner))
    ring = (outer > 0) & (inner == 0)
    values = a[ys, xs][ring].astype(np.int64)
    if values.size == 0:
        return False
    centre = (level.lo + level.hi) // 2
    return float(np.median(np.abs(values - centre))) >= t.min_contrast * span


def level_mask(a: NDArray[np.integer], lo: int, hi: int) -> NDArray[np.uint8]:
    """``1`` where ``lo <= a <= hi``, as the uint8 image OpenCV wants."""
    return ((a >= lo) & (a <= hi)).astype(np.uint8)


def find_candidates(a: NDArray[np.integer]) -> list[Candidate]:
    """Text-line candidates of a 2-D stored-value array, largest glyphs first per level.

    Examples
    --------
    >>> import cv2
    >>> ink = np.zeros((200, 400), np.uint8)
    >>> _ = cv2.putText(ink, "DOE JOHN", (10, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 1, 2)
    >>> a = np.where(ink > 0, 4095, 300).astype(np.uint16)
    >>> [(c.level.name, c.glyphs) for c in find_candidates(a)]
    [('top', 7)]
    """
    t = tuning.TUNING.finder
    out: list[Candidate] = []
    limit = t.max_mask_fraction * a.size
    span = max(int(a.max()) - int(a.min()), 1)
    for level in text_levels(a):
        mask = level_mask(a, level.lo, level.hi)
        if int(mask.sum()) > limit:
            continue
        lines = [
            ln
            for ln in _group_lines(_glyph_boxes(mask))
            if _plausible(*ln) and _stands_out(a, mask, ln[0], level, span)
        ]
        lines.sort(key=lambda ln: -ln[1])
        for box, glyphs, height, vertical in lines[: t.max_lines_per_level]:
            x0, y0, x1, y1 = box
            framed = glyphs == 1 and _runs_along_sides(mask[y0:y1, x0:x1] > 0)
            out.append(Candidate(box, glyphs, level, height, framed, vertical))
    return [c for c in out if not _holds_others(c, out)]


def _holds_others(cand: Candidate, cands: list[Candidate]) -> bool:
    """Whether a one-component candidate is a label box behind text: it holds a line of text,
    or it is framed (runs along its four sides) and holds any other candidate.

    A big lone glyph ("R") holds its own counter, which another level may find as a
    candidate: that does not make the glyph a box.
    """
    if cand.glyphs != 1:
        return False
    x0, y0, x1, y1 = cand.box
    held = [
        o
        for o in cands
        if o is not cand and x0 <= o.box[0] and y0 <= o.box[1] and o.box[2] <= x1 and o.box[3] <= y1
    ]
    return any(o.glyphs > 1 for o in held) or (cand.framed and bool(held))


def render(a: NDArray[np.integer], cand: Candidate, pad: int) -> NDArray[np.uint8]:
    """The candidate's crop as black glyphs on white, ``pad`` pixels of context around it."""
    x0, y0, x1, y1 = cand.box
    h, w = a.shape
    crop = a[max(y0 - pad, 0) : min(y1 + pad, h), max(x0 - pad, 0) : min(x1 + pad, w)]
    lv = cand.level
    core = np.asarray(cv2.dilate(level_mask(crop, lv.lo, lv.hi), np.ones((3, 3), np.uint8)))
    mask = level_mask(crop, lv.read_lo, lv.read_hi) & (core > 0)
    out: NDArray[np.uint8] = (255 - mask * 255).astype(np.uint8)
    return out
