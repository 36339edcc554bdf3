"""The learned text engine: PP-OCR detection (DBNet) and recognition (CRNN) on the CPU (S5).

The models are those that ``rapidocr-onnxruntime`` 1.4 carries in its wheel (PP-OCRv4
detection and recognition, Apache-2.0), run through onnxruntime with one intra-op thread per
process, so that a pool of *n* workers uses *n* cores and nothing is downloaded at run time.
rapidocr's own post-processing (:class:`DBPostProcess`, :class:`TextRecognizer`) turns the
networks' outputs into boxes and strings; the scales are chosen here.

Detection scale. DBNet finds a line whose glyphs are at least about 8 pixels high *in its
input*. :func:`detect` therefore runs

- an overview pass of the whole image, its local contrast equalised (CLAHE, so that text on
  bright or dark anatomy stands out as it does to the eye), scaled so that its longer side
  is at most ``overview_side`` (for a 2,000-pixel radiograph: glyphs from about 16
  pixels up), and
- tiles (``tile`` pixels, contrast stretched) wherever the image holds sharp, strong
  edges (:func:`busy_tiles`): text of any size down to ``min_glyph`` pixels is made of
  them, while the smooth body of a radiograph is not. They are read at full resolution, or
  at twice it when the overview already was (small images, glyphs of 8–12 pixels), each as
  it stands and turned by 90°: DBNet often misses a line that runs up or down the image
  (small, faint glyphs above all) until it is turned across (:func:`detect_in`). On a
  downscaled image, the small clusters of edges that the full-resolution pass left
  unexplained (:func:`small_clusters`) are read once more at twice their size: a line of
  9–13-pixel anti-aliased glyphs may be found only there.

Every box is axis-aligned in the image's own pixels; :func:`recognize` reads crops, and the
caller turns them to every orientation it wants read. The thresholds and sizes are
:class:`cxrkit.dicom.tuning.LearnedTuning`. With its ``int8`` switch on (off by default)
DBNet runs as an int8 copy of the wheel's model, made on this machine at first use and
cached (:mod:`cxrkit.dicom.quantise`); the recogniser always runs the float model.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray
from rapidocr_onnxruntime.ch_ppocr_det.utils import DBPostProcess
from rapidocr_onnxruntime.ch_ppocr_rec import TextRecognizer

from cxrkit.dicom import quantise, tuning

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (end exclusive)

#: The wheel's PP-OCRv4 detection and recognition models.
DET_MODEL, REC_MODEL = "ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx"

#: DBNet's input sides are multiples of this (its feature pyramid halves the image 5 times).
DB_STRIDE = 32


@dataclass(frozen=True)
class Detection:
    """A text line found by DBNet: its axis-aligned box and the network's mean score."""

    box: Box
    score: float


@dataclass(frozen=True)
class _Models:
    det: Any
    det_input: str
    post: Any
    rec: Any


def _session_options() -> Any:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 4
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return opts


@functools.cache
def _models(pid: int) -> _Models:
    """The process's sessions (``pid`` keys the cache, so a forked child makes its own)."""
    del pid
    folder = Path(str(files("rapidocr_onnxruntime") / "models"))
    t = tuning.TUNING.learned
    det = _int8_detector(folder / DET_MODEL) if t.int8 else None
    if det is None:
        det = ort.InferenceSession(
            str(folder / DET_MODEL), _session_options(), providers=["CPUExecutionProvider"]
        )
    post = DBPostProcess(
        thresh=t.pixel_threshold,
        box_thresh=t.box_threshold,
        unclip_ratio=t.unclip_ratio,
        use_dilation=True,
        score_mode="fast",
    )
    rec = TextRecognizer(
        {
            "model_path": str(folder / REC_MODEL),
            "intra_op_num_threads": 1,
            "inter_op_num_threads": 1,
            "use_cuda": False,
            "use_dml": False,
            "rec_batch_num": 8,
            "rec_img_shape": [3, 48, 320],
        }
    )
    return _Models(det, det.get_inputs()[0].name, post, rec)


def _int8_detector(source: Path) -> Any:
    """The int8 copy of DBNet (:mod:`cxrkit.dicom.quantise`), or None (the float one runs)."""

    def calibration_feeds() -> list[quantise.Feed]:
        # it imports this module and the synthetic generator: only when a copy is made
        from cxrkit.dicom import calibration  # noqa: PLC0415

        floating = ort.InferenceSession(str(source), providers=["CPUExecutionProvider"])
        return calibration.detector_feeds(floating.get_inputs()[0].name)

    return quantise.session(source, calibration_feeds, _session_options())


def models() -> _Models:
    """This process's loaded models (loaded at first use)."""
    return _models(os.getpid())


def display(
    a: NDArray[np.integer], lo: int | None = None, hi: int | None = None
) -> NDArray[np.uint8]:
    """Stored values mapped linearly to 0..255 (``lo`` → 0, ``hi`` → 255).

    Examples
    --------
    >>> display(np.array([[0, 2048, 4095]], np.uint16)).tolist()
    [[0, 128, 255]]
    """
    lo = int(a.min()) if lo is None else lo
    hi = int(a.max()) if hi is None else hi
    scale = 255.0 / max(hi - lo, 1)
    out = (a.astype(np.float32) - lo) * scale + 0.5
    grey: NDArray[np.uint8] = np.clip(out, 0, 255).astype(np.uint8)
    return grey


@functools.cache
def _clahe() -> Any:
    t = tuning.TUNING.learned
    return cv2.createCLAHE(clipLimit=t.clahe_clip, tileGridSize=(t.clahe_grid, t.clahe_grid))


def det_input(grey: NDArray[np.uint8], scale: float) -> NDArray[np.float32]:
    """DBNet's input: ``grey`` scaled by ``scale`` (sides rounded to :data:`DB_STRIDE`),
    values in [-1, 1], three channels."""
    h, w = grey.shape
    s = DB_STRIDE
    nh, nw = max(s, round(h * scale / s) * s), max(s, round(w * scale / s) * s)
    interp = cv2.INTER_AREA if nw < w else cv2.INTER_LINEAR
    im = np.asarray(cv2.resize(grey, (nw, nh), interpolation=interp), np.float32)
    return np.repeat((im / 127.5 - 1.0)[None, None], 3, axis=1)


def equalised(grey: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """``grey`` with its local contrast equalised (CLAHE), as the overview reads it."""
    return np.asarray(_clahe().apply(grey), np.uint8)


def stretched(crop: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """``crop`` with its contrast stretched (``stretch_percentiles`` to black and white)."""
    lo, hi = (float(v) for v in np.percentile(crop, tuning.TUNING.learned.stretch_percentiles))
    out = np.clip((crop.astype(np.float32) - lo) * (255.0 / max(hi - lo, 1.0)), 0, 255)
    flat: NDArray[np.uint8] = out.astype(np.uint8)
    return flat


def _detect_at(grey: NDArray[np.uint8], scale: float, offset: tuple[int, int]) -> list[Detection]:
    """DBNet on ``grey`` scaled by ``scale``; boxes in the original image's pixels."""
    m = models()
    prob = m.det.run(None, {m.det_input: det_input(grey, scale)})[0]
    quads, scores = m.post(prob, grey.shape)
    h, w = grey.shape
    out = []
    ox, oy = offset
    least = tuning.TUNING.learned.min_box
    for quad, score in zip(quads, scores, strict=True):
        q = np.asarray(quad)
        x0, y0 = int(q[:, 0].min()), int(q[:, 1].min())
        # end exclusive, within the image: a box of the turned crop that ran one pixel past
        # its end would start one pixel before the crop once turned back
        x1, y1 = min(int(q[:, 0].max()) + 1, w), min(int(q[:, 1].max()) + 1, h)
        if x1 - x0 >= least and y1 - y0 >= least:
            out.append(Detection((x0 + ox, y0 + oy, x1 + ox, y1 + oy), float(score)))
    return out


def busy_tiles(grey: NDArray[np.uint8], known: Sequence[Box] = ()) -> list[Box]:
    """Full-resolution tiles of ``grey`` that hold enough strong, sharp edges to hold text.

    Edges inside ``known`` boxes (lines already found, black boxes already drawn) do not
    count: a tile is read again only for what is new in it.

    Examples
    --------
    >>> flat = np.full((800, 800), 90, np.uint8)
    >>> busy_tiles(flat)
    []
    >>> _ = cv2.putText(flat, "ID 4471", (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 255, 1)
    >>> busy_tiles(flat)[0]
    (0, 0, 384, 384)
    >>> busy_tiles(flat, known=[(10, 40, 120, 70)])
    []
    """
    t = tuning.TUNING.learned
    h, w = grey.shape
    strong = _strong_edges(grey, known)
    tile, overlap = t.tile, t.tile_overlap
    out = []
    for y0 in range(0, max(h - overlap, 1), tile - overlap):
        for x0 in range(0, max(w - overlap, 1), tile - overlap):
            y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
            if int(strong[y0:y1, x0:x1].sum()) >= t.busy_pixels:
                out.append((x0, y0, x1, y1))
    return out


def detect(grey: NDArray[np.uint8], known: Sequence[Box] = ()) -> list[Detection]:
    """Text lines in an 8-bit image: an overview pass, then full-resolution busy tiles.

    A tile is busy for edges that neither a line of the overview nor a ``known`` box
    (searched by the caller in another way) explains; only line-shaped overview boxes
    explain their edges, so that a large false box cannot hide small text inside it.

    Examples
    --------
    >>> img = np.full((300, 600), 40, np.uint8)
    >>> _ = cv2.putText(img, "DOE JOHN 1961", (30, 120), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 230, 2)
    >>> [d.box[1] < 120 < d.box[3] for d in detect(img)]
    [True]
    """
    t = tuning.TUNING.learned
    h, w = grey.shape
    scale = min(1.0, t.overview_side / max(h, w))
    # local contrast: text on bright or dark anatomy stands out as it does to the eye
    found = _detect_at(equalised(grey), scale, (0, 0))
    thin = t.known_line_fraction * max(h, w)

    def lines() -> list[Box]:
        return [d.box for d in found if min(d.box[2] - d.box[0], d.box[3] - d.box[1]) <= thin]

    fine = _tile_scale(scale)
    for tile in merged(busy_tiles(grey, [*known, *lines()])):
        found += detect_in(grey, tile, fine)
    if fine < t.fine_scale:
        # a downscaled image: its tiles were read at full resolution, where glyphs of 9-13
        # pixels (anti-aliased, mid-grey) may go unfound; the small clusters of edges they
        # leave unexplained are read again at twice their size
        for window in merged(small_clusters(grey, [*known, *lines()])):
            found += detect_in(grey, window, t.fine_scale)
    return _distinct(found)


def _strong_edges(grey: NDArray[np.uint8], known: Sequence[Box]) -> NDArray[np.uint8]:
    """Pixels on strong, sharp edges (1), but inside ``known`` boxes (0)."""
    edges = np.asarray(cv2.morphologyEx(grey, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)))
    strong = (edges >= tuning.TUNING.learned.edge_step).astype(np.uint8)
    for x0, y0, x1, y1 in known:
        strong[max(y0, 0) : y1, max(x0, 0) : x1] = 0
    return strong


def small_clusters(grey: NDArray[np.uint8], known: Sequence[Box] = ()) -> list[Box]:
    """Windows around the clusters of strong edges outside ``known`` boxes that are no wider
    across than a line of small glyphs (``small_cluster`` pixels, edges joined
    ``small_join`` pixels apart), each with ``small_pad`` pixels around it.

    Examples
    --------
    >>> flat = np.full((600, 600), 90, np.uint8)
    >>> _ = cv2.putText(flat, "ID 4471", (300, 300), cv2.FONT_HERSHEY_PLAIN, 0.8, 255, 1)
    >>> [(x0 <= 300 < x1, y0 <= 295 < y1) for x0, y0, x1, y1 in small_clusters(flat)]
    [(True, True)]
    >>> _ = cv2.rectangle(flat, (20, 20), (500, 200), 255, 3)  # a large frame: too wide
    >>> len(small_clusters(flat))
    1
    """
    t = tuning.TUNING.learned
    h, w = grey.shape
    strong = _strong_edges(grey, known)
    joined = cv2.dilate(strong, np.ones((t.small_join, t.small_join), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    out = []
    for row in stats[1:n]:
        x, y, bw, bh = (int(v) for v in row[:4])
        if min(bw, bh) > t.small_cluster:
            continue
        if int(strong[y : y + bh, x : x + bw].sum()) < t.busy_pixels:
            continue
        m = t.small_pad
        out.append((max(x - m, 0), max(y - m, 0), min(x + bw + m, w), min(y + bh + m, h)))
    return out


def _tile_scale(overview: float) -> float:
    """Busy tiles are read at full resolution; when the overview already was, at twice it
    (glyphs of 8–12 pixels, found at full resolution only in part or not at all)."""
    return tuning.TUNING.learned.fine_scale if overview >= 1.0 else 1.0


def detect_near(grey: NDArray[np.uint8], boxes: list[Box]) -> list[Detection]:
    """Text lines in the windows around ``boxes`` (after redaction: where the image changed).

    Each window reaches ``window_heights`` box heights (and at least ``window_min`` pixels)
    beyond its box and is read at full resolution.
    """
    t = tuning.TUNING.learned
    h, w = grey.shape
    scale = _tile_scale(min(1.0, t.overview_side / max(h, w)))
    found: list[Detection] = []
    windows: list[Box] = []
    for x0, y0, x1, y1 in boxes:
        m = max(t.window_min, t.window_heights * min(y1 - y0, x1 - x0))
        windows.append((max(x0 - m, 0), max(y0 - m, 0), min(x1 + m, w), min(y1 + m, h)))
    for window in merged(windows):
        found += detect_in(grey, window, scale)
    return _distinct(found)


def merged(boxes: list[Box]) -> list[Box]:
    """``boxes`` with every two whose joint box is no larger than their two areas joined into
    one: overlapping tiles and windows are read once, at no more pixels than apart.

    Examples
    --------
    >>> merged([(0, 0, 384, 384), (320, 0, 704, 384), (2000, 0, 2384, 384)])
    [(0, 0, 704, 384), (2000, 0, 2384, 384)]
    """
    out = list(boxes)

    def area(b: Box) -> int:
        return (b[2] - b[0]) * (b[3] - b[1])

    joined = True
    while joined:
        joined = False
        for i in range(len(out)):
            for j in range(i + 1, len(out)):
                a, b = out[i], out[j]
                u = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                if area(u) <= area(a) + area(b):
                    out[i] = u
                    del out[j]
                    joined = True
                    break
            if joined:
                break
    return out


def detect_in(
    grey: NDArray[np.uint8], box: Box, scale: float, *, turned: bool = True
) -> list[Detection]:
    """Text lines in one part of ``grey``, its contrast stretched, read at ``scale`` — as it
    stands and, with ``turned``, turned by 90° as well.

    DBNet was trained on lines that run across: a line running up or down the image (a CR
    reader's edge line, a turned label) is often not found as it stands, but is once turned
    across. Small glyphs (under about 16 pixels) are read at twice their size, where DBNet
    finds faint text it misses at their own.

    Examples
    --------
    >>> img = np.full((400, 120), 40, np.uint8)
    >>> line = np.full((40, 380), 40, np.uint8)
    >>> _ = cv2.putText(line, "DOE JOHN 1961", (5, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 230, 2)
    >>> img[10:390, 40:80] = np.rot90(line, 1)  # running up the image
    >>> found = detect_in(img, (0, 0, 120, 400), 1.0)
    >>> all(35 <= d.box[0] and d.box[2] <= 85 and d.box[3] - d.box[1] > 150 for d in found)
    True
    """
    x0, y0, x1, y1 = box
    crop = grey[y0:y1, x0:x1]
    if crop.size == 0:
        return []
    flat = stretched(crop)
    found = _detect_at(flat, scale, (x0, y0))
    if turned:
        # np.rot90(m)[i, j] == m[j, W - 1 - i]: a box (u0, v0, u1, v1) of the turned crop
        # is (W - v1, u0, W - v0, u1) of the crop
        w, upright = flat.shape[1], list(found)
        for d in _detect_at(np.ascontiguousarray(np.rot90(flat)), scale, (0, 0)):
            u0, v0, u1, v1 = d.box
            back = Detection((x0 + w - v1, y0 + u0, x0 + w - v0, y0 + u1), d.score)
            if not any(_same_box(back.box, o.box) for o in upright):
                found.append(back)
    return _distinct(found)


def inside(box: Box, other: Box, share: float) -> bool:
    """Whether at least ``share`` of ``box``'s area lies inside ``other``.

    Examples
    --------
    >>> inside((0, 0, 10, 10), (5, 0, 20, 10), 0.5), inside((0, 0, 10, 10), (6, 0, 20, 10), 0.5)
    (True, False)
    """
    x0, y0, x1, y1 = box
    w = min(x1, other[2]) - max(x0, other[0])
    h = min(y1, other[3]) - max(y0, other[1])
    return w > 0 and h > 0 and w * h >= share * (x1 - x0) * (y1 - y0)


def _same_box(box: Box, other: Box) -> bool:
    """Whether ``box`` lies inside ``other`` but for a sliver, or holds ``other`` and is
    at most half as large again: the same line, found twice (``same_share``, ``same_growth``)."""
    t = tuning.TUNING.learned
    a = (box[2] - box[0]) * (box[3] - box[1])
    b = (other[2] - other[0]) * (other[3] - other[1])
    if a > b:
        return a <= t.same_growth * b and inside(other, box, t.same_share)
    return inside(box, other, t.same_share)


def _distinct(found: list[Detection]) -> list[Detection]:
    """Detections with the ones held inside another (tiles overlap; passes repeat) dropped."""
    found = sorted(found, key=lambda d: -(d.box[2] - d.box[0]) * (d.box[3] - d.box[1]))
    out: list[Detection] = []
    for d in found:
        x0, y0, x1, y1 = d.box
        if not any(
            o.box[0] <= x0 and o.box[1] <= y0 and x1 <= o.box[2] and y1 <= o.box[3] for o in out
        ):
            out.append(d)
    return out


def recognize(crops: list[NDArray[np.uint8]]) -> list[tuple[str, float]]:
    """The text of each crop (upright, 8-bit grey) and the recogniser's score (0–1).

    Examples
    --------
    >>> img = np.full((48, 260), 255, np.uint8)
    >>> _ = cv2.putText(img, "PORTABLE", (8, 36), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 0, 2)
    >>> text, score = recognize([img])[0]
    >>> text, score > 0.9
    ('PORTABLE', True)
    """
    if not crops:
        return []
    images = [cv2.cvtColor(np.ascontiguousarray(c), cv2.COLOR_GRAY2BGR) for c in crops]
    results, _ = models().rec(images)
    return [(str(text), float(score)) for text, score in results]
