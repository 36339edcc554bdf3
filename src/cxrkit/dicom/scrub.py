"""Burned-in PHI in the pixels: find, black out, prove (S5).

:func:`scrub_pixels` works on the once-decoded stored values of one image:

1. :func:`cxrkit.dicom.textfind.find_candidates` finds text-line candidates in the masks of
   the top, the bottom and each spike of the histogram;
2. each candidate's crop is read by tesseract (:mod:`cxrkit.dicom.ocr`) and classified
   (:func:`cxrkit.dicom.phitext.classify_line`): PHI and other legible text are removed, lines
   whose every token is on the keep-list stay;
3. a box of display black covers each removed line plus a margin;
4. the proof: the scrubbed image is searched again — every text candidate, and the
   surroundings of every box read as a block — and must show no PHI token. An image that
   fails is not ``verified``; the pipeline quarantines it.

:func:`record_scrub` writes Burned In Annotation and the boxes into the (already
de-identified) dataset; :func:`encode_pixels` writes the pixel data back losslessly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pydicom
from numpy.typing import NDArray
from pydicom.sequence import Sequence

from cxrkit.dicom import ocr
from cxrkit.dicom.encode import encode_pixels
from cxrkit.dicom.phitext import DenyList, KeepList, Verdict, classify_line, phi_kind
from cxrkit.dicom.textfind import (
    Box,
    Candidate,
    Level,
    find_candidates,
    render,
    text_levels,
    value_range,
)
from cxrkit.errors import SourceError

__all__ = [
    "DenyList",
    "KeepList",
    "ScrubResult",
    "encode_pixels",
    "record_scrub",
    "scrub_pixels",
]

#: Graphic layer that holds the redaction boxes.
REDACTION_LAYER = "REDACTION"
#: Margin around a removed line, as a fraction of its glyph height (at least 3 pixels).
MARGIN = 0.45
#: A lone glyph that is not kept is removed only when tesseract is at least this sure.
GLYPH_CONFIDENCE = 70.0


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
        Whether the second OCR pass found no PHI token.
    reason
        Why not verified, without PHI (e.g. ``"a name token remains near box 2"``).
    """

    array: NDArray[np.integer]
    boxes: tuple[Box, ...]
    text_found: bool
    verified: bool
    reason: str = ""


@dataclass
class _Reader:
    """Reads and classifies candidates with tesseract, once per distinct crop and attempt."""

    deny: DenyList
    keep: KeepList
    seen: dict[bytes, tuple[ocr.Word, ...]] = field(default_factory=dict)

    def read(self, a: NDArray[np.integer], cand: Candidate, attempt: int) -> tuple[ocr.Word, ...]:
        pad = max(4, cand.glyph_height // 2)
        image = render(a, cand, pad)
        key = hashlib.blake2b(image.tobytes() + repr(image.shape).encode(), digest_size=16)
        key.update(bytes([cand.lone_glyph, attempt]))
        digest = key.digest()
        if digest not in self.seen:
            read = ocr.read_glyph if cand.lone_glyph else ocr.read_line
            self.seen[digest] = read(image, cand.glyph_height, attempt)
        return self.seen[digest]

    def verdict(self, a: NDArray[np.integer], cand: Candidate) -> Verdict:
        """PHI or KEEP at the first attempt that says so; else TEXT if any reads as text."""
        attempts = len(ocr.GLYPH_ATTEMPTS if cand.lone_glyph else ocr.LINE_ATTEMPTS)
        seen = set()
        for attempt in range(attempts):
            words = self.read(a, cand, attempt)
            verdict = self._one(words, cand)
            if verdict in (Verdict.PHI, Verdict.KEEP):
                return verdict
            seen.add(verdict)
        if Verdict.TEXT in seen or _text_shaped(cand):
            return Verdict.TEXT  # in doubt, remove
        return Verdict.NOISE

    def phi_kind(self, a: NDArray[np.integer], cand: Candidate) -> str | None:
        """The kind of PHI any reading of ``cand`` shows, or None."""
        attempts = len(ocr.GLYPH_ATTEMPTS if cand.lone_glyph else ocr.LINE_ATTEMPTS)
        for attempt in range(attempts):
            words = self.read(a, cand, attempt)
            kind = phi_kind(words, self.deny, self.keep)
            if kind is not None:
                return kind
            if words and self._one(words, cand) is Verdict.KEEP:
                return None
        return None

    def _one(self, words: tuple[ocr.Word, ...], cand: Candidate) -> Verdict:
        if cand.lone_glyph and words:
            if any(self.keep.keeps(w.text) for w in words if w.confidence >= GLYPH_CONFIDENCE):
                return Verdict.KEEP
            best = max(w.confidence for w in words)
            if phi_kind(words, self.deny, self.keep) is None and best < GLYPH_CONFIDENCE:
                return Verdict.NOISE
        return classify_line(words, self.deny, self.keep)


def _text_shaped(cand: Candidate) -> bool:
    """A candidate shaped like a line of text even if tesseract cannot read it."""
    x0, y0, x1, y1 = cand.box
    return cand.glyph_height >= 6 and (cand.glyphs >= 3 or (x1 - x0) >= 2 * (y1 - y0))


def _on_a_line_of(cand: Candidate, removed: list[Candidate]) -> bool:
    """Whether a candidate sits on the line of removed text, within two glyph heights of it.

    A marker letter stands apart; a letter or an unread piece that continues a line being
    removed (a middle initial or the seconds of a time split off by a wide space) is part of
    that line.
    """
    x0, y0, x1, y1 = cand.box
    h = max(y1 - y0, 1)
    for other in removed:
        if other.level != cand.level:
            continue
        ox0, oy0, ox1, oy1 = other.box
        overlap = min(y1, oy1) - max(y0, oy0)
        gap = max(ox0 - x1, x0 - ox1, 0)
        if overlap >= 0.6 * min(h, oy1 - oy0) and abs(h - (oy1 - oy0)) <= 0.3 * h and gap <= 2 * h:
            return True
    return False


def _pad(box: Box, glyph_height: int, shape: tuple[int, ...]) -> Box:
    m = max(3, round(MARGIN * glyph_height))
    x0, y0, x1, y1 = box
    return max(x0 - m, 0), max(y0 - m, 0), min(x1 + m, shape[1]), min(y1 + m, shape[0])


def _merge(boxes: list[Box]) -> tuple[Box, ...]:
    """Overlapping boxes joined, until none overlap; sorted top to bottom, left to right."""
    out = list(boxes)
    changed = True
    while changed:
        changed = False
        for i in range(len(out)):
            for j in range(i + 1, len(out)):
                a, b = out[i], out[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    out[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    del out[j]
                    changed = True
                    break
            if changed:
                break
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
    out: NDArray[np.integer], box: Box, levels: list[Level], deny: DenyList, keep: KeepList
) -> str | None:
    """The kind of PHI read around ``box`` (the box itself blanked), at any text level."""
    x0, y0, x1, y1 = box
    m = max(8, y1 - y0)
    h, w = out.shape
    ys, xs = slice(max(y0 - m, 0), min(y1 + m, h)), slice(max(x0 - m, 0), min(x1 + m, w))
    region = out[ys, xs]
    inner = np.zeros(region.shape, bool)
    inner[y0 - ys.start : y1 - ys.start, x0 - xs.start : x1 - xs.start] = True
    for lv in levels:
        ink = (region >= lv.read_lo) & (region <= lv.read_hi) & ~inner
        if not ink.any() or ink.mean() > 0.5:
            continue
        image = np.where(ink, 0, 255).astype(np.uint8)
        kind = phi_kind(ocr.read_block(image, max(8, (y1 - y0) // 3)), deny, keep)
        if kind is not None:
            return kind
    return None


def _verify(
    out: NDArray[np.integer],
    boxes: tuple[Box, ...],
    deny: DenyList,
    keep: KeepList,
    reader: _Reader,
) -> str:
    """Why ``out`` still shows PHI, or ``""`` if the second pass finds none."""
    for cand in find_candidates(out):
        kind = reader.phi_kind(out, cand)
        if kind is not None:
            return f"a {kind} token remains {_nearest(cand.box, boxes)}"
    levels = text_levels(out)
    for i, box in enumerate(boxes, 1):
        kind = _surroundings(out, box, levels, deny, keep)
        if kind is not None:
            return f"a {kind} token remains around box {i}"
    return ""


def scrub_pixels(
    array: NDArray[np.integer],
    *,
    photometric: str,
    bits_stored: int,
    deny: DenyList,
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
    >>> deny = DenyList(frozenset({"DOE", "JOHN"}), frozenset())
    >>> r = scrub_pixels(a, photometric="MONOCHROME2", bits_stored=12, deny=deny)
    >>> r.text_found, r.verified, len(r.boxes), int(r.array[:50, :200].max())
    (True, True, 1, 1200)
    >>> bool((r.array[250:290, 300:450] == 4095).any())  # PORTABLE is kept
    True
    """
    a = np.asarray(array)
    if a.ndim != 2 or not np.issubdtype(a.dtype, np.integer):
        raise SourceError(
            f"scrub_pixels takes one frame of stored integer values, not a {a.dtype} array of "
            f"shape {a.shape}: pass each frame of a multi-frame image on its own"
        )
    keep = keep or KeepList.default()
    reader = _Reader(deny, keep)
    text_found = False
    removed: list[Box] = []
    cands = find_candidates(a)
    verdicts = [reader.verdict(a, cand) for cand in cands]
    gone = [c for c, v in zip(cands, verdicts, strict=True) if v in (Verdict.PHI, Verdict.TEXT)]
    for cand, verdict in zip(cands, verdicts, strict=True):
        text_found |= verdict is not Verdict.NOISE
        # "MILES, EDITH R": an initial, not a marker; the unread ":10" of a time
        joins = (
            verdict is Verdict.NOISE or (verdict is Verdict.KEEP and cand.lone_glyph)
        ) and _on_a_line_of(cand, gone)
        if joins or verdict in (Verdict.PHI, Verdict.TEXT):
            removed.append(_pad(cand.box, cand.glyph_height, a.shape))
    boxes = _merge(removed)
    out = a.copy()
    black = _black(photometric, a.dtype, bits_stored)
    for x0, y0, x1, y1 in boxes:
        out[y0:y1, x0:x1] = black
    reason = _verify(out, boxes, deny, keep, reader)
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


def find_phi(array: NDArray[np.integer], *, deny: DenyList, keep: KeepList | None = None) -> str:
    """The kind and place of PHI text visible in ``array``, or ``""`` if none is.

    The proof pass of :func:`scrub_pixels` on its own, for auditing an image that is already
    released: every text candidate is read and checked against ``deny`` and the PHI
    patterns. Text that is merely unreadable or not PHI does not count.
    """
    keep = keep or KeepList.default()
    return _verify(np.asarray(array), (), deny, keep, _Reader(deny, keep))
