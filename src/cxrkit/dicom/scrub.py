"""Burned-in PHI in the pixels: find, black out, prove (S5).

:func:`scrub_pixels` works on the once-decoded stored values of one image:

1. two detectors find where text may be: the threshold finder
   (:func:`cxrkit.dicom.textfind.find_candidates`: glyph components in the masks of the top,
   the bottom and each spike of the histogram, grouped into lines along x or y) and the
   learned detector (:func:`cxrkit.dicom.learned.detect`: PP-OCR's DBNet); the candidates are
   the union of both;
2. each candidate is read by both engines (PP-OCR's recogniser and tesseract) at every
   orientation it may have (:mod:`cxrkit.dicom.reading`) and classified
   (:func:`cxrkit.dicom.phitext.classify_line`): PHI, other legible text and unreadable
   text-shaped candidates are removed, text whose every token is on the keep-list stays;
3. candidates on one line (overlapping, or in a row within two glyph heights) form the
   line; if any of it is removed, the whole line is, and a box of display black covers it
   plus a margin — a kept marker stays only when it stands apart from removed text;
4. the proof: both detectors search the scrubbed image again, both engines read every
   candidate at every orientation, and the surroundings of every box are read as a block;
   any PHI token or other legible token not on the keep-list makes the image not
   ``verified``, and the pipeline quarantines it.

:func:`record_scrub` writes Burned In Annotation and the boxes into the (already
de-identified) dataset; :func:`encode_pixels` writes the pixel data back losslessly. Every
threshold of the scrub is named in :mod:`cxrkit.dicom.tuning`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np
import pydicom
from numpy.typing import NDArray
from pydicom.sequence import Sequence

from cxrkit.dicom import continuation, learned, ocr, tuning
from cxrkit.dicom.encode import encode_pixels
from cxrkit.dicom.phitext import KeepList, PixelDenyList, Verdict, phi_kind, within_text
from cxrkit.dicom.reading import (
    Reader,
    Reading,
    Region,
    alnum_count,
    from_candidate,
    from_detection,
    misreading,
)
from cxrkit.dicom.textfind import (
    Box,
    Level,
    find_candidates,
    level_mask,
    text_levels,
    value_range,
)
from cxrkit.errors import SourceError

__all__ = [
    "KeepList",
    "PixelDenyList",
    "ScrubResult",
    "encode_pixels",
    "record_scrub",
    "scrub_pixels",
]

#: Graphic layer that holds the redaction boxes.
REDACTION_LAYER = "REDACTION"
#: :func:`scrub_pixels` takes one frame: a 2-D array.
FRAME_NDIM = 2


@dataclass(frozen=True)
class ScrubResult:
    """What :func:`scrub_pixels` did to one image.

    Attributes
    ----------
    array
        Same shape and dtype as the input, PHI boxes filled with display black (the minimum
        for MONOCHROME2, the maximum of ``bits_stored`` for MONOCHROME1).
    boxes
        ``(x0, y0, x1, y1)`` of each black box, end exclusive.
    text_found
        Whether any text at all was found (Burned In Annotation ``YES``).
    verified
        Whether the proof pass found no PHI and no other legible text off the keep-list.
    reason
        Why not verified, without PHI (e.g. ``"a name token remains near box 2"``).
    """

    array: NDArray[np.integer]
    boxes: tuple[Box, ...]
    text_found: bool
    verified: bool
    reason: str = ""


@dataclass(frozen=True)
class _Page:
    """An image and its 8-bit display, on the value scale of the original image."""

    a: NDArray[np.integer]
    grey: NDArray[np.uint8]


def _page(a: NDArray[np.integer], lo: int, hi: int) -> _Page:
    return _Page(a, learned.display(a, lo, hi))


def _line_like(det: learned.Detection, shape: tuple[int, ...]) -> bool:
    t = tuning.TUNING.scrub
    x0, y0, x1, y1 = det.box
    return min(x1 - x0, y1 - y0) <= max(t.max_line_pixels, t.max_line_fraction * min(shape[:2]))


def _regions(page: _Page, detections: list[learned.Detection]) -> list[Region]:
    """Candidates of both detectors: the threshold finder's and the learned ``detections``."""
    regions = [from_candidate(c) for c in find_candidates(page.a)]
    return regions + [from_detection(d) for d in detections if _line_like(d, page.a.shape)]


def _same_line(r: Region, o: Region) -> bool:
    """Whether two regions overlap, or sit in a row on one line within two glyph heights."""
    (x0, y0, x1, y1), (ox0, oy0, ox1, oy1) = r.box, o.box
    if x0 < ox1 and ox0 < x1 and y0 < oy1 and oy0 < y1:
        return True
    if r.vertical is not None and o.vertical is not None and r.vertical != o.vertical:
        return False
    along_y = bool(r.vertical or o.vertical)
    if along_y:
        (x0, y0, x1, y1), (ox0, oy0, ox1, oy1) = (y0, x0, y1, x1), (oy0, ox0, oy1, ox1)
    t = tuning.TUNING.scrub
    low, high = sorted((y1 - y0, oy1 - oy0))
    overlap = min(y1, oy1) - max(y0, oy0)
    gap = max(ox0 - x1, x0 - ox1, 0)
    return (
        overlap >= t.same_line_overlap * low
        and low >= t.same_line_heights * high
        and gap <= t.same_line_gap * high
    )


def _oriented(regions: list[Region]) -> list[Region]:
    """Square regions (a glyph, "ID:") inside a line that runs one way take its way, so
    that they do not join it to a line running the other way."""
    share = tuning.TUNING.scrub.orient_share
    out = []
    for r in regions:
        ways = {
            o.vertical
            for o in regions
            if o.vertical is not None and learned.inside(r.box, o.box, share)
        }
        square = r.vertical is None and len(ways) == 1
        out.append(dataclasses.replace(r, vertical=ways.pop()) if square else r)
    return out


def _lines(regions: list[Region]) -> list[list[int]]:
    """Indices of regions joined into lines (:func:`_same_line`, transitively)."""
    regions = _oriented(regions)
    parent = list(range(len(regions)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, r in enumerate(regions):
        for j in range(i + 1, len(regions)):
            if _same_line(r, regions[j]):
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(regions)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _pad(
    box: Box,
    glyph_height: int,
    vertical: bool | None,
    shape: tuple[int, ...],
    kept: tuple[Box, ...] = (),
) -> Box:
    """``box`` plus a margin: ``margin`` glyph heights across the line (at least
    ``min_margin`` pixels) and ``end_margin`` along it, where a thin first or last glyph
    ("I", "1", ":") may have been missed (:class:`~cxrkit.dicom.tuning.ScrubTuning`); a box
    that stops within ``edge_gap`` glyph heights of the image's edge reaches it, and a line's
    end within ``end_edge_gap`` unless a ``kept`` marker stands between the end and the edge;
    the margin stops at a kept marker (:func:`_short_of`).

    Examples
    --------
    >>> _pad((40, 100, 200, 118), 18, False, (700, 800))  # 22 pixels from the left edge
    (0, 92, 218, 126)
    >>> _pad((100, 100, 200, 118), 18, False, (700, 800))
    (82, 92, 218, 126)
    >>> _pad((50, 650, 197, 671), 13, False, (715, 720))  # its end 37 pixels from the edge
    (0, 644, 210, 677)
    >>> _pad((300, 50, 400, 68), 18, False, (700, 800))  # 42 pixels from the top: across
    (282, 42, 418, 76)
    >>> _pad((50, 650, 197, 671), 13, False, (715, 720), ((5, 652, 30, 668),))  # a marker
    (37, 644, 210, 677)
    """
    t = tuning.TUNING.scrub
    across = max(t.min_margin, round(t.margin * glyph_height))
    along = max(across, round(t.end_margin * glyph_height))
    mx, my = (across, along) if vertical else (along, across)
    if vertical is None:
        mx = my = across
    h, w = shape[:2]
    x0, y0 = max(box[0] - mx, 0), max(box[1] - my, 0)
    x1, y1 = min(box[2] + mx, w), min(box[3] + my, h)
    near = t.edge_gap * glyph_height
    end = t.end_edge_gap * glyph_height if vertical is not None else near
    near_x, near_y = (near, end) if vertical else (end, near)
    strips = (  # from each side of the box to the image's edge, and how near is near
        ((0, y0, x0, y1), x0, near_x),
        ((x0, 0, x1, y0), y0, near_y),
        ((x1, y0, w, y1), w - x1, near_x),
        ((x0, y1, x1, h), h - y1, near_y),
    )
    reach = [
        gap <= near or (gap <= far and not any(_overlap(strip, k) for k in kept))
        for strip, gap, far in strips
    ]
    padded = (
        0 if reach[0] else x0,
        0 if reach[1] else y0,
        w if reach[2] else x1,
        h if reach[3] else y1,
    )
    return _short_of(padded, box, kept)


def _short_of(padded: Box, box: Box, kept: tuple[Box, ...]) -> Box:
    """``padded`` stopped at every ``kept`` marker that the margin (not the line itself,
    ``box``) would reach: the margin is for a faint edge or a thin last glyph of the line,
    which a marker's box, read and kept, does not hold.

    Examples
    --------
    >>> _short_of((82, 92, 218, 126), (100, 100, 200, 118), ((205, 90, 260, 128),))
    (82, 92, 205, 126)
    >>> _short_of((82, 92, 218, 126), (100, 100, 200, 118), ((150, 60, 190, 97),))
    (82, 97, 218, 126)
    >>> _short_of((82, 92, 218, 126), (100, 100, 200, 118), ((190, 90, 260, 128),))
    (82, 92, 218, 126)
    """
    x0, y0, x1, y1 = padded
    for k in kept:
        if not _overlap(k, (x0, y0, x1, y1)) or _overlap(k, box):
            continue
        if k[0] >= box[2]:
            x1 = min(x1, k[0])
        elif k[2] <= box[0]:
            x0 = max(x0, k[2])
        elif k[1] >= box[3]:
            y1 = min(y1, k[1])
        else:
            y0 = max(y0, k[3])
    return x0, y0, x1, y1


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _merge(boxes: list[Box]) -> tuple[Box, ...]:
    """Boxes held inside another dropped; sorted top to bottom, left to right.

    Overlapping boxes are not joined into their bounding box: on an image with many lines
    that would cascade into one box over the anatomy.
    """
    out: list[Box] = []
    for b in sorted(set(boxes), key=lambda b: -(b[2] - b[0]) * (b[3] - b[1])):
        if not any(o[0] <= b[0] and o[1] <= b[1] and b[2] <= o[2] and b[3] <= o[3] for o in out):
            out.append(b)
    return tuple(sorted(out, key=lambda b: (b[1], b[0])))


def _black(photometric: str, dtype: np.dtype[np.generic], bits_stored: int) -> int:
    lo, hi = value_range(dtype, bits_stored)
    return hi if photometric.upper() == "MONOCHROME1" else lo


def _nearest(box: Box, boxes: tuple[Box, ...]) -> str:
    if not boxes:
        return "with no box drawn"
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2

    def dist(b: Box) -> float:
        dx = max(b[0] - cx, 0.0, cx - b[2])
        dy = max(b[1] - cy, 0.0, cy - b[3])
        return float(dx * dx + dy * dy)

    i = min(range(len(boxes)), key=lambda k: dist(boxes[k]))
    return f"near box {i + 1}"


def _surroundings(
    out: NDArray[np.integer], box: Box, levels: list[Level], deny: PixelDenyList, keep: KeepList
) -> str | None:
    """The kind of PHI read around ``box`` (the box itself blanked), at any text level, by
    words read as surely as the proof counts a PHI token (``proof_sure``): tesseract's
    block reading of the ground beside a box finds "words" in noise at confidence 0."""
    t = tuning.TUNING.scrub
    x0, y0, x1, y1 = box
    m = max(t.surround_min, min(y1 - y0, x1 - x0))
    sure = 100.0 * t.proof_sure
    h, w = out.shape
    ys, xs = slice(max(y0 - m, 0), min(y1 + m, h)), slice(max(x0 - m, 0), min(x1 + m, w))
    region = out[ys, xs]
    inner = np.zeros(region.shape, bool)
    inner[y0 - ys.start : y1 - ys.start, x0 - xs.start : x1 - xs.start] = True
    for lv in levels:
        ink = (region >= lv.read_lo) & (region <= lv.read_hi) & ~inner
        if not ink.any() or ink.mean() > t.surround_max_ink:
            continue
        image = np.where(ink, 0, 255).astype(np.uint8)
        glyphs = max(t.surround_min, m // t.surround_parts)
        words = tuple(w for w in ocr.read_block(image, glyphs) if w.confidence >= sure)
        kind = phi_kind(words, deny, keep)
        if kind is not None and kind != "label":  # a caption alone ("ID") is no PHI
            return kind
    return None


def _token(kind: str) -> str:
    """A token of ``kind``, with its article.

    Examples
    --------
    >>> _token("name"), _token("identifier")
    ('a name token', 'an identifier token')
    """
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind} token"


def _verify(
    page: _Page, boxes: tuple[Box, ...], reader: Reader, detections: list[learned.Detection]
) -> str:
    """Why the scrubbed ``page`` still shows text, or ``""`` if the proof finds none.

    The threshold finder searches the whole image; ``detections`` are the learned detector's
    on the whole image, and it searches again, at full resolution or finer, around every
    box drawn. A PHI token counts when read with a score of at least ``proof_sure``.
    """
    sure = tuning.TUNING.scrub.proof_sure
    detections = detections + (learned.detect_near(page.grey, list(boxes)) if boxes else [])
    regions = _regions(page, detections)
    for region, verdict in zip(regions, _verdicts(page, regions, reader), strict=True):
        if verdict not in (Verdict.PHI, Verdict.TEXT):
            continue
        tess = not _covered_by_candidates(region, regions)
        readings = reader.readings(page.a, region, tesseract=tess)
        kind = reader.phi_kind(readings, sure=sure) if verdict is Verdict.PHI else None
        if kind is not None and kind != "label":  # a caption alone ("ID") is no PHI
            return f"{_token(kind)} remains {_nearest(region.box, boxes)}"
        if reader.legible(readings, region):
            return f"legible text off the keep-list remains {_nearest(region.box, boxes)}"
    levels = text_levels(page.a)
    for i, box in enumerate(boxes, 1):
        kind = _surroundings(page.a, box, levels, reader.deny, reader.keep)
        if kind is not None:
            return f"{_token(kind)} remains around box {i}"
    return ""


def _covered_by_candidates(region: Region, regions: list[Region]) -> bool:
    """Whether threshold candidates cover most of a learned region (tesseract read them)."""
    if region.cand is not None:
        return False
    x0, y0, x1, y1 = region.box
    mask = np.zeros((y1 - y0, x1 - x0), bool)
    for r in regions:
        if r.cand is not None:
            bx0, by0, bx1, by1 = r.box
            mask[max(by0 - y0, 0) : max(by1 - y0, 0), max(bx0 - x0, 0) : max(bx1 - x0, 0)] = True
    # the learned box is unclipped around the ink: compare with its inner part
    t = tuning.TUNING.scrub
    m = max(1, region.glyph_height // t.covered_border_parts)
    inner = mask[m:-m, m:-m] if mask.shape[0] > 2 * m and mask.shape[1] > 2 * m else mask
    return bool(inner.size) and float(inner.mean()) >= t.covered_share


def _scrap(readings: list[Reading]) -> bool:
    """Whether no reading of a region shows more than ``scrap_chars`` letters or digits (read
    with a score of at least ``scrap_score``): a piece of a glyph or two, which names no one."""
    t = tuning.TUNING.scrub
    return all(alnum_count(r.words) <= t.scrap_chars for r in readings if r.score >= t.scrap_score)


def _verdicts(page: _Page, regions: list[Region], reader: Reader) -> list[Verdict]:
    """Each region's verdict, with agreements between overlapping or neighbouring regions
    (:func:`_agreed`), found again while they keep more (``kept_rounds``: a region kept by
    one agreement holds fragments of its own), and then the frames around kept markers:
    a square region around a kept one, at most ``frame_reach`` times its size, is that
    marker with its frame when nothing in it reads as PHI or as legible other text
    (:func:`_frames`, :meth:`Reader.shows_other_text`).
    """
    readings = [
        reader.readings(page.a, r, tesseract=not _covered_by_candidates(r, regions))
        for r in regions
    ]
    out = [reader.verdict(rd, r) for rd, r in zip(readings, regions, strict=True)]
    seen = _Seen(regions, readings, list(out), reader)
    for _ in range(tuning.TUNING.scrub.kept_rounds):
        for i in range(len(regions)):
            if seen.now[i] in (Verdict.PHI, Verdict.TEXT) and _agreed(i, seen):
                out[i] = Verdict.KEEP
        if out == seen.now:
            break
        seen = _Seen(regions, readings, list(out), reader)
    markers = [o for j, o in enumerate(regions) if seen.sure[j]]
    for i, r in enumerate(regions):
        if out[i] is not Verdict.TEXT:
            continue
        if (_frames(r, markers) and not reader.shows_other_text(readings[i], r)) or _label_boxes(
            page.a, r, markers
        ):
            out[i] = Verdict.KEEP
    return out


def _label_boxes(a: NDArray[np.integer], region: Region, kept: list[Region]) -> bool:
    """Whether a threshold region is made only of label boxes around kept markers: every
    component of its level's ink holds a kept region, its sides at most ``frame_reach``
    times the marker's longer side, or lies inside one (the counter of a glyph): white
    boxes behind "AP", "ERECT" and "R", found as one line of three blobs and read "mio".
    Other ink — a glyph beside them, a box large enough for a line of other text — makes
    it a line like any other.

    Examples
    --------
    >>> from cxrkit.dicom.reading import Region
    >>> from cxrkit.dicom.textfind import Candidate, Level
    >>> a = np.zeros((60, 200), np.uint16)
    >>> a[10:50, 10:60] = a[10:50, 120:170] = 4095  # two label boxes ...
    >>> a[20:40, 20:50] = a[20:40, 130:160] = 0  # ... with a marker in each
    >>> a[25:30, 30:36] = 4095  # and a glyph's counter
    >>> cand = Candidate((10, 10, 170, 50), 2, Level("top", 4000, 4095, 4000, 4095), 40)
    >>> boxes = Region(cand.box, 40, False, cand)
    >>> marks = [Region((20, 20, 50, 40), 20, None), Region((130, 20, 160, 40), 20, None)]
    >>> _label_boxes(a, boxes, marks), _label_boxes(a, boxes, marks[:1])
    (True, False)
    """
    cand = region.cand
    if cand is None or not kept:
        return False
    x0, y0, x1, y1 = cand.box
    mask = level_mask(a[y0:y1, x0:x1], cand.level.lo, cand.level.hi)
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    least = tuning.TUNING.reading.min_glyph_height
    share = tuning.TUNING.scrub.inside_share
    held = 0
    for cx, cy, cw, ch, _area in stats[1:count]:
        if max(cw, ch) < least:
            continue  # a speck: no glyph
        box = (int(cx) + x0, int(cy) + y0, int(cx + cw) + x0, int(cy + ch) + y0)
        if any(learned.inside(box, k.box, share) for k in kept):
            continue  # the counter of a glyph ("P", "R") seen through the marker
        if not any(learned.inside(k.box, box, share) and _framed_by(box, k) for k in kept):
            return False
        held += 1
    return held > 0


@dataclass
class _Seen:
    """What the agreements between regions look at: each region's readings, its verdict
    now, and the compact text that keeps it — read surely (``sure``), or only unsurely
    (``unsure``: "" where a sure reading keeps it)."""

    regions: list[Region]
    readings: list[list[Reading]]
    now: list[Verdict]
    reader: Reader
    sure: list[str] = dataclasses.field(init=False)
    unsure: list[str] = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.sure, self.unsure = [], []
        for rd, r, v in zip(self.readings, self.regions, self.now, strict=True):
            k = self.reader.kept_text(rd, r) if v is Verdict.KEEP else ""
            u = self.reader.kept_text(rd, r, sure=False) if v is Verdict.KEEP and not k else ""
            self.sure.append(k)
            self.unsure.append(u)


def _agreed(i: int, seen: _Seen) -> bool:
    """Whether removed region ``i`` is, by its neighbours, part of kept text:

    - a fragment inside a region whose sure reading keeps it is a piece of that kept text,
      when the fragment reads as other text, or as PHI whose best reading lies within the
      kept text (a technique string split in two, "74 kVp 2.2" + "mAs"); a threshold
      fragment that reads as two characters at most needs only half of it inside (the
      end of a turned marker, cut off by the finder with a bit of its ground);
    - a threshold fragment read as other text inside a region kept only by an unsure
      reading, when the fragment reads as a misreading or a piece of that reading
      ("PORTAE" + "LE" inside "PORTABLe");
    - a learned region over threshold candidates that are all kept is kept when its best
      reading is a misreading of their joined kept text ("120 kyp 3.4 mAs"), or when any
      counted reading is and no reading shows PHI or legible other text;
    - a threshold glyph beside a kept glyph is kept when a sure reading of it joined to
      the kept text makes a kept word ("L" and "T" of a turned "LT", cut in two).
    """
    return _piece(i, seen) or _over_kept(i, seen) or _beside_kept(i, seen)


def _piece(i: int, seen: _Seen) -> bool:
    t = tuning.TUNING.scrub
    r, rd = seen.regions[i], seen.readings[i]
    best = seen.reader.best_text(rd)
    text = seen.now[i] is Verdict.TEXT
    piece = text and r.cand is not None and _scrap(rd)
    for j, other in enumerate(seen.regions):
        if j == i:
            continue
        if seen.sure[j] and learned.inside(
            r.box, other.box, t.fragment_share if piece else t.inside_share
        ):
            if text or within_text(best, seen.sure[j], t.fragment_edits):
                return True
        elif (
            seen.unsure[j]
            and text
            and r.cand is not None
            and best
            and learned.inside(r.box, other.box, t.inside_share)
            and (misreading(best, seen.unsure[j]) or best in seen.unsure[j])
        ):
            return True
    return False


def _over_kept(i: int, seen: _Seen) -> bool:
    r, regions = seen.regions[i], seen.regions
    share = tuning.TUNING.scrub.inside_share
    inner = [
        j
        for j, o in enumerate(regions)
        if j != i and o.cand is not None and learned.inside(o.box, r.box, share)
    ]
    if r.cand is not None or not inner:
        return False
    if not all(seen.now[j] in (Verdict.KEEP, Verdict.NOISE) for j in inner):
        return False
    inner.sort(
        key=lambda j: (regions[j].box[1], regions[j].box[0]) if r.vertical else regions[j].box
    )
    joined = "".join(seen.sure[j] for j in inner)
    if not joined:
        return False
    best = seen.reader.best_text(seen.readings[i])
    if best and misreading(best, joined):
        return True
    least = tuning.TUNING.reading.learned_score
    texts = [x.text for x in seen.readings[i] if x.score >= least]
    return any(x and misreading(x, joined) for x in texts) and not seen.reader.shows_other_text(
        seen.readings[i], r
    )


def _beside_kept(i: int, seen: _Seen) -> bool:
    r = seen.regions[i]
    if r.cand is None or not r.lone or seen.now[i] is not Verdict.TEXT:
        return False
    sure = tuning.TUNING.reading.sure
    texts = [x.text for x in seen.readings[i] if x.score >= sure(x.engine)]
    texts = [x for x in texts if 0 < len(x) <= tuning.TUNING.scrub.scrap_chars]
    for j, other in enumerate(seen.regions):
        k = seen.sure[j]
        if j == i or not k or other.cand is None or not _adjacent(r, other):
            continue
        if any(seen.reader.keep.keeps(k + x) or seen.reader.keep.keeps(x + k) for x in texts):
            return True
    return False


def _adjacent(r: Region, o: Region) -> bool:
    """Whether two glyph regions of about one height stand side by side or one above the
    other (a turned pair), in line and at most one glyph height apart.

    Examples
    --------
    >>> from cxrkit.dicom.reading import Region
    >>> def glyph(box):
    ...     return Region(box, box[3] - box[1], None)
    >>> _adjacent(glyph((108, 543, 133, 562)), glyph((108, 565, 133, 586)))
    True
    >>> _adjacent(glyph((108, 543, 133, 562)), glyph((140, 565, 165, 586)))
    False
    """
    (x0, y0, x1, y1), (ox0, oy0, ox1, oy1) = r.box, o.box
    low, high = sorted((r.glyph_height, o.glyph_height))
    if low < tuning.TUNING.scrub.same_line_heights * high:
        return False
    gap = max(ox0 - x1, x0 - ox1, oy0 - y1, y0 - oy1)
    across = max(min(x1, ox1) - max(x0, ox0), min(y1, oy1) - max(y0, oy0))
    least = min(x1 - x0, ox1 - ox0, y1 - y0, oy1 - oy0)
    return gap <= low and across >= tuning.TUNING.scrub.same_line_overlap * least


def _framed_by(box: Box, marker: Region) -> bool:
    """Whether ``box`` is small enough to be the frame of ``marker`` (``frame_reach``)."""
    x0, y0, x1, y1 = marker.box
    reach = tuning.TUNING.scrub.frame_reach * max(x1 - x0, y1 - y0)
    return max(box[2] - box[0], box[3] - box[1]) <= reach


def _frames(region: Region, kept: list[Region]) -> bool:
    """Whether ``region`` is about square and holds one of the ``kept`` regions, its longer
    side at most ``frame_reach`` times the kept one's: a marker with its frame or label box
    (read as "Ed" or "oc" around a turned "R"), too small to hold a line of other text."""
    t = tuning.TUNING
    x0, y0, x1, y1 = region.box
    w, h = x1 - x0, y1 - y0
    if not (h > 0 and t.reading.square_min <= w / h <= t.reading.square_max):
        return False
    return any(
        o is not region
        and learned.inside(o.box, region.box, t.scrub.inside_share)
        and _framed_by(region.box, o)
        for o in kept
    )


def _union(members: list[Region]) -> Box:
    return (
        min(r.box[0] for r in members),
        min(r.box[1] for r in members),
        max(r.box[2] for r in members),
        max(r.box[3] for r in members),
    )


def _orientation(members: list[Region]) -> bool | None:
    kinds = {r.vertical for r in members} - {None}
    return kinds.pop() if len(kinds) == 1 else None


def _line_boxes(
    members: list[Region], grey: NDArray[np.uint8], kept: tuple[Box, ...] = ()
) -> list[Box]:
    """The padded box of a whole line: the union of its members, followed along its ink
    (:func:`continuation.follow`), margins by its glyphs. Where members run both ways (lines
    that cross, or a fragment of a turned line read across it), the members of the way
    that runs longer are the line, followed; the others are padded one by one."""
    shape = grey.shape
    kinds = {r.vertical for r in members} - {None}
    if kinds == {True, False}:
        way = max((True, False), key=lambda v: _run(r for r in members if r.vertical is v))
        line = [r for r in members if r.vertical is way]
        rest = [r for r in members if r.vertical is not way]
        out = [_pad(r.box, r.glyph_height, r.vertical, shape, kept) for r in rest]
        return out + _line_boxes(line, grey, kept)
    height = max(r.glyph_height for r in members)
    box, vertical = _union(members), _orientation(members)
    if vertical is not None:
        box = continuation.follow(grey, box, height, vertical)
    return [_pad(box, height, vertical, shape, kept)]


def _run(members: Iterable[Region]) -> int:
    """How far ``members`` run along their own way, together (pixels, summed)."""
    return sum(max(r.box[2] - r.box[0], r.box[3] - r.box[1]) for r in members)


def _along(members: list[Region], shape: tuple[int, ...]) -> tuple[Box, float] | None:
    """Where to look again along a line: a strip reaching ``extend`` glyph heights past its
    ends, and the scale to read it at (``extend_small_scale`` for glyphs under
    ``extend_small_glyph`` pixels)."""
    t = tuning.TUNING.scrub
    vertical = _orientation(members)
    if vertical is None and len(members) == 1:
        return None
    height = max(r.glyph_height for r in members)
    x0, y0, x1, y1 = _union(members)
    along, across = t.extend * height, max(t.min_margin, height // t.extend_across_parts)
    mx, my = (across, along) if vertical else (along, across)
    box = (max(x0 - mx, 0), max(y0 - my, 0), min(x1 + mx, shape[1]), min(y1 + my, shape[0]))
    return box, t.extend_small_scale if height < t.extend_small_glyph else 1.0


def _extend(page: _Page, regions: list[Region], verdicts: list[Verdict]) -> None:
    """Look again along every removed line with the learned detector (a strip, contrast
    stretched, small glyphs at twice their size); what it finds on the line joins it, and
    the longer line is looked along again (at most ``extend_rounds`` times).

    Faint parts of a line (a name in a gradient label box beside a darker surname) are
    found this way; they are removed with the line, so they need no reading.
    """
    t = tuning.TUNING.scrub
    looked: set[Box] = set()
    for _ in range(t.extend_rounds):
        grown = False
        for line in _lines(regions):
            if not any(verdicts[i] in (Verdict.PHI, Verdict.TEXT) for i in line):
                continue
            members = [regions[i] for i in line]
            strip = _along(members, page.a.shape)
            if strip is None or strip[0] in looked:
                continue
            looked.add(strip[0])
            for det in learned.detect_in(page.grey, *strip):
                new = from_detection(det)
                held = any(learned.inside(new.box, m.box, t.held_share) for m in members)
                on_line = any(_same_line(new, m) for m in members)
                if _line_like(det, page.a.shape) and on_line and not held:
                    regions.append(new)
                    verdicts.append(Verdict.NOISE)
                    grown = True
        if not grown:
            return


def _removed_boxes(page: _Page, regions: list[Region], verdicts: list[Verdict]) -> list[Box]:
    """Padded boxes of every line that holds removed text (whole lines, fail closed)."""
    out: list[Box] = []
    kept = tuple(r.box for r, v in zip(regions, verdicts, strict=True) if v is Verdict.KEEP)
    for line in _lines(regions):
        if any(verdicts[i] in (Verdict.PHI, Verdict.TEXT) for i in line):
            out += _line_boxes([regions[i] for i in line], page.grey, kept)
    return out


def scrub_pixels(
    array: NDArray[np.integer],
    *,
    photometric: str,
    bits_stored: int,
    deny: PixelDenyList,
    keep: KeepList | None = None,
) -> ScrubResult:
    """Find burned-in text in one frame, black out PHI, and prove that none is left.

    Examples
    --------
    >>> import cv2
    >>> ink = np.zeros((300, 500), np.uint8)
    >>> _ = cv2.putText(ink, "DOE, JOHN", (10, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 1, 2)
    >>> _ = cv2.putText(ink, "PORTABLE", (300, 280), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 1, 2)
    >>> a = np.where(ink > 0, 4095, 1200).astype(np.uint16)
    >>> deny = PixelDenyList(frozenset({"DOE", "JOHN"}), frozenset())
    >>> r = scrub_pixels(a, photometric="MONOCHROME2", bits_stored=12, deny=deny)
    >>> r.text_found, r.verified, len(r.boxes), int(r.array[:50, :200].max())
    (True, True, 1, 1200)
    >>> bool((r.array[250:290, 300:450] == 4095).any())  # PORTABLE is kept
    True
    """
    a = np.asarray(array)
    if a.ndim != FRAME_NDIM or not np.issubdtype(a.dtype, np.integer):
        raise SourceError(
            f"scrub_pixels takes one frame of stored integer values, not a {a.dtype} array of "
            f"shape {a.shape}: pass each frame of a multi-frame image on its own"
        )
    reader = Reader(deny, keep or KeepList.default())
    lo, hi = int(a.min()), int(a.max())
    page = _page(a, lo, hi)
    detections = learned.detect(page.grey)
    regions = _regions(page, detections)
    verdicts = _verdicts(page, regions, reader)
    _extend(page, regions, verdicts)
    text_found = any(v is not Verdict.NOISE for v in verdicts)
    boxes = _merge(_removed_boxes(page, regions, verdicts))
    out = a.copy()
    black = _black(photometric, a.dtype, bits_stored)
    for x0, y0, x1, y1 in boxes:
        out[y0:y1, x0:x1] = black
    # With no box drawn the pixels are unchanged, and the first pass — both detectors, both
    # engines, every orientation — found nothing to remove: that is the proof. Otherwise the
    # proof sees the scrubbed image as the audit of a release will (its own value range),
    # searched afresh, plus the windows around the boxes.
    reason = ""
    if boxes:
        page_out = _page(out, int(out.min()), int(out.max()))
        reason = _verify(page_out, boxes, reader, learned.detect(page_out.grey))
    return ScrubResult(out, boxes, text_found, not reason, reason)


def record_scrub(ds: pydicom.Dataset, result: ScrubResult) -> None:
    """Record a scrub in ``ds``: Burned In Annotation and the boxes as PIXEL polylines.

    Call it after header de-identification (which removes graphics, Clean Graphics).

    Examples
    --------
    >>> ds = pydicom.Dataset()
    >>> r = ScrubResult(np.zeros((4, 4), np.uint16), ((0, 0, 2, 1),), True, True)
    >>> record_scrub(ds, r)
    >>> obj = ds.GraphicAnnotationSequence[0].GraphicObjectSequence[0]
    >>> ds.BurnedInAnnotation, list(obj.GraphicData)
    ('YES', [0.0, 0.0, 2.0, 0.0, 2.0, 1.0, 0.0, 1.0, 0.0, 0.0])
    """
    ds.BurnedInAnnotation = "YES" if result.text_found else "NO"
    if "GraphicAnnotationSequence" in ds:
        del ds.GraphicAnnotationSequence
    if not result.boxes:
        return
    objects = []
    for x0, y0, x1, y1 in result.boxes:
        obj = pydicom.Dataset()
        obj.GraphicAnnotationUnits = "PIXEL"
        obj.GraphicDimensions = 2
        obj.NumberOfGraphicPoints = 5
        obj.GraphicData = [float(v) for v in (x0, y0, x1, y0, x1, y1, x0, y1, x0, y0)]
        obj.GraphicType = "POLYLINE"
        obj.GraphicFilled = "Y"
        objects.append(obj)
    item = pydicom.Dataset()
    item.GraphicLayer = REDACTION_LAYER
    item.GraphicObjectSequence = Sequence(objects)
    ds.GraphicAnnotationSequence = Sequence([item])


def find_pixel_phi(
    array: NDArray[np.integer], *, deny: PixelDenyList, keep: KeepList | None = None
) -> str:
    """The kind and place of PHI text visible in ``array``, or ``""`` if none is.

    The proof pass of :func:`scrub_pixels` on its own, for auditing an image that is already
    released, independently of what the scrub recorded: both detectors search the whole
    image, both engines read every candidate at every orientation, and any PHI token or
    other legible token off the keep-list is reported (by kind, never by text).
    """
    a = np.asarray(array)
    page = _page(a, int(a.min()), int(a.max()))
    reader = Reader(deny, keep or KeepList.default())
    return _verify(page, (), reader, learned.detect(page.grey))
