"""Reading a text region with two engines at every orientation, and what it is (S5).

A :class:`Region` is where either detector saw text: a candidate of the threshold finder
(:mod:`cxrkit.dicom.textfind`, rendered from its level's mask) or a line of the learned
detector (:mod:`cxrkit.dicom.learned`, cropped from the display image). :class:`Reader` reads
it with both engines — PP-OCR's recogniser and tesseract — turned to each orientation the
region may have (a line along x at 0° and 180°, a line along y at 90° and 270°, a square
region at all four), and :meth:`Reader.verdict` says what it is: PHI, other legible text,
kept text, or noise. Each distinct crop is read once per engine and orientation. The
thresholds are :class:`cxrkit.dicom.tuning.ReadingTuning`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from cxrkit.dicom import learned, ocr, tuning
from cxrkit.dicom.phitext import (
    KeepList,
    PixelDenyList,
    Verdict,
    classify_line,
    compact,
    edits_within,
    phi_kind,
)
from cxrkit.dicom.textfind import Box, Candidate, Level, render


@dataclass(frozen=True)
class Region:
    """Where text may be: a box, the height of its glyphs across the line, and how to read it.

    ``vertical`` is True for a line along y, False along x, None when the region is about
    square (a lone glyph, read at all four orientations). ``cand`` is the threshold
    finder's candidate, if the region came from it.
    """

    box: Box
    glyph_height: int
    vertical: bool | None
    cand: Candidate | None = None
    score: float = 0.0
    lone: bool = False

    @property
    def upright(self) -> bool:
        """A threshold-finder line along x: tesseract's calibrated path reads it upright."""
        return self.cand is not None and self.vertical is False

    @property
    def source(self) -> str:
        """``"threshold"`` or ``"learned"``."""
        return "threshold" if self.cand is not None else "learned"

    @property
    def angles(self) -> tuple[int, ...]:
        """The orientations (counter-clockwise degrees) the region is read at."""
        if self.vertical is None:
            return (0, 90, 180, 270)
        return (90, 270) if self.vertical else (0, 180)


def from_candidate(cand: Candidate) -> Region:
    """The region of a threshold-finder candidate."""
    t = tuning.TUNING.reading
    x0, y0, x1, y1 = cand.box
    w, h = x1 - x0, y1 - y0
    if cand.glyphs == 1 and h >= t.tall_aspect * w and h >= t.tall_min_height:
        # one tall component: glyphs of a line along y that touch, not a marker letter
        return Region(cand.box, max(w, t.min_glyph_height), True, cand)
    vertical: bool | None = cand.vertical
    if cand.glyphs == 1 and t.square_min <= w / max(h, 1) <= t.square_max:
        vertical = None
    return Region(cand.box, cand.glyph_height, vertical, cand, lone=cand.lone_glyph)


def from_detection(det: learned.Detection) -> Region:
    """The region of a learned detection (its glyph height is its short side, unclipped)."""
    t = tuning.TUNING.reading
    x0, y0, x1, y1 = det.box
    w, h = x1 - x0, y1 - y0
    height = max(t.min_glyph_height, round(min(w, h) / tuning.TUNING.learned.unclip_ratio))
    if t.square_min <= w / max(h, 1) <= t.square_max:
        return Region(det.box, height, None, score=det.score)
    vertical = h > w
    return Region(det.box, height, vertical, score=det.score)


def _contrast_crop(a: NDArray[np.integer], box: Box, pad: int) -> NDArray[np.uint8]:
    """A crop of the stored values, stretched to 8 bits, with dark text on a light ground.

    Made from the stored values, not from a display of the whole image: the same region reads
    the same after the image's range has changed (the proof pass reads kept text again from
    the cache), and faint text keeps the precision an 8-bit display of the whole range loses.
    """
    t = tuning.TUNING.reading
    x0, y0, x1, y1 = box
    h, w = a.shape
    crop = a[max(y0 - pad, 0) : min(y1 + pad, h), max(x0 - pad, 0) : min(x1 + pad, w)]
    lo, hi = np.percentile(crop, t.stretch_percentiles) if crop.size else (0, 255)
    stretched = np.clip((crop.astype(np.float32) - lo) * (255.0 / max(hi - lo, 1.0)), 0, 255)
    out = stretched.astype(np.uint8)
    _, ink = cv2.threshold(out, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if float(np.mean(ink > 0)) < t.light_share:  # the light pixels are the minority: light text
        out = 255 - out
    return out


def alnum_count(words: tuple[ocr.Word, ...]) -> int:
    """How many letters and digits ``words`` hold (punctuation and marks left out)."""
    return len(re.sub(r"[^A-Za-z0-9]", "", "".join(w.text for w in words)))


def _turn(image: NDArray[np.uint8], angle: int) -> NDArray[np.uint8]:
    """``image`` turned so that text drawn at ``angle`` reads upright."""
    return np.ascontiguousarray(np.rot90(image, -(angle // 90) % 4))


@dataclass(frozen=True)
class Reading:
    """One engine's words at one orientation, and the score that ranks orientations (0–1)."""

    engine: str
    angle: int
    words: tuple[ocr.Word, ...]
    score: float

    @property
    def text(self) -> str:
        """Its words' compact text (folded; letters and digits only)."""
        return compact(" ".join(w.text for w in self.words))


@dataclass
class Reader:
    """Reads regions with both engines, once per distinct crop, engine and orientation."""

    deny: PixelDenyList
    keep: KeepList
    seen: dict[bytes, tuple[ocr.Word, ...]] = field(default_factory=dict)
    many: dict[bytes, list[tuple[ocr.Word, ...]]] = field(default_factory=dict)

    def crop(self, a: NDArray[np.integer], region: Region) -> NDArray[np.uint8]:
        """The region rendered dark on light: from its level's mask, or its stored values."""
        t = tuning.TUNING.reading
        pad = max(t.crop_min_pad, region.glyph_height // t.crop_pad_parts)
        if region.cand is not None:
            return render(a, region.cand, pad)
        return _contrast_crop(a, region.box, pad)

    def _cached(self, key: bytes, image: NDArray[np.uint8], read: object) -> tuple[ocr.Word, ...]:
        digest = hashlib.blake2b(image.tobytes() + repr(image.shape).encode() + key, digest_size=16)
        k = digest.digest()
        if k not in self.seen:
            self.seen[k] = read()  # type: ignore[operator]
        return self.seen[k]

    def _cached_many(
        self, key: bytes, image: NDArray[np.uint8], read: object
    ) -> list[tuple[ocr.Word, ...]]:
        digest = hashlib.blake2b(image.tobytes() + repr(image.shape).encode() + key, digest_size=16)
        k = digest.digest()
        if k not in self.many:
            self.many[k] = read()  # type: ignore[operator]
        return self.many[k]

    def learned_readings(self, image: NDArray[np.uint8], region: Region) -> list[Reading]:
        """PP-OCR's reading at each orientation of the region.

        A line along x is read upright first, and upside down only if the upright reading
        is not sure (``sure_reading``); other regions at all their orientations.
        """
        angles = region.angles
        first = self._learned(image, angles[:1]) if angles[0] == 0 else []
        if first and first[0].score >= tuning.TUNING.reading.sure_reading:
            return first
        return first + self._learned(image, angles[len(first) :])

    def _learned(self, image: NDArray[np.uint8], angles: tuple[int, ...]) -> list[Reading]:
        key = b"rec" + bytes(a // 90 for a in angles)
        words = self._cached_many(key, image, lambda: _learned_words(image, angles))
        return [
            Reading("learned", angle, ws, max((w.confidence for w in ws), default=0.0) / 100.0)
            for angle, ws in zip(angles, words, strict=True)
        ]

    def tesseract_readings(
        self, image: NDArray[np.uint8], region: Region, angles: tuple[int, ...]
    ) -> list[Reading]:
        """tesseract's reading at ``angles``, each at every scale it tries until one is sure."""
        out = []
        lone = region.lone
        t = tuning.TUNING.ocr
        attempts = len(t.glyph_attempts if lone else t.line_attempts)
        read = ocr.read_glyph if lone else ocr.read_line
        for angle in angles:
            turned = _turn(image, angle)
            for attempt in range(attempts):
                key = b"tess%d:%d:%d" % (angle, attempt, lone)
                words = self._cached(
                    key, turned, lambda t=turned, n=attempt: read(t, region.glyph_height, n)
                )
                conf = max((w.confidence for w in words), default=0.0) / 100.0
                out.append(Reading("tesseract", angle, words, conf))
                if self._one(words, region) in (Verdict.PHI, Verdict.KEEP):
                    break
        return out

    def readings(
        self,
        a: NDArray[np.integer],
        region: Region,
        *,
        tesseract: bool = True,
    ) -> list[Reading]:
        """Both engines' readings of ``region`` at the orientations that can hold its text.

        PP-OCR reads every orientation of the region; tesseract reads the one PP-OCR is
        sure of, and the upright one for the threshold finder's lines along x (its
        calibrated path), or every orientation when PP-OCR is sure of none. With
        ``tesseract=False`` (a learned region that threshold candidates already cover, and
        that tesseract has read through their cleaner rendering), PP-OCR alone reads.
        """
        image = self.crop(a, region)
        rec = self.learned_readings(image, region)
        if not tesseract:
            return rec
        best = max(rec, key=lambda r: r.score)
        upright = region.upright
        angles: tuple[int, ...] = (0,) if upright else region.angles
        if best.score >= tuning.TUNING.reading.learned_score:
            angles = tuple(dict.fromkeys(((0,) if upright else ()) + (best.angle,)))
        return rec + self.tesseract_readings(image, region, angles)

    def legible(self, readings: list[Reading], region: Region) -> bool:
        """Whether a reading shows text off the keep-list that an eye could read: three or
        more letters or digits read surely (PP-OCR score >= 0.8, tesseract >= 70). The part
        of a kept word that a box left visible ("SEMI-ER" of a marker beside a removed
        line) is no such text."""
        t = tuning.TUNING.reading
        for r in self._counted(readings):
            sure = 100.0 * t.sure(r.engine)
            words = tuple(
                w for w in r.words if w.confidence >= sure and not self._kept_piece(w.text)
            )
            if alnum_count(words) < t.legible_min_chars:
                continue
            if self._one(words, region) in (Verdict.TEXT, Verdict.PHI):
                return True
        return False

    def _kept_piece(self, text: str) -> bool:
        """Whether ``text`` is the start or end (three characters or more) of a kept word."""
        c = compact(text)
        return len(c) >= tuning.TUNING.reading.kept_piece_min and any(
            len(k) > len(c) and (k.startswith(c) or k.endswith(c)) for k in self.keep.words
        )

    def _counted(self, readings: list[Reading]) -> list[Reading]:
        """Readings that count: PP-OCR's at its best orientation (a line read upside down
        or sideways is noise, not a second text), and tesseract's — but where PP-OCR is
        sure of another orientation, not tesseract's upright reading of turned text."""
        t = tuning.TUNING.reading
        rec = [r for r in readings if r.engine == "learned"]
        best = max(rec, key=lambda r: r.score, default=None)
        top = [best] if best is not None and best.score >= t.learned_score else []
        tess = [r for r in readings if r.engine == "tesseract"]
        if best is not None and best.score >= t.sure_reading and best.angle != 0:
            tess = [r for r in tess if r.angle == best.angle] or tess
        return top + tess

    def _one(self, words: tuple[ocr.Word, ...], region: Region) -> Verdict:
        if region.lone and words:
            sure = tuning.TUNING.reading.glyph_confidence
            if any(self.keep.keeps(w.text) for w in words if w.confidence >= sure):
                return Verdict.KEEP
            if max(w.confidence for w in words) < sure:
                return Verdict.NOISE  # one glyph read unsurely: no token, let alone PHI
        return classify_line(words, self.deny, self.keep)

    def verdict(self, readings: list[Reading], region: Region) -> Verdict:
        """What ``region`` is, from all its counted readings (fail closed).

        KEEP when a sure reading keeps it and every reading that disagrees is a misreading
        of that one (no more words, few edits); otherwise PHI if any reading shows PHI, TEXT
        if any is legible or the region is text-shaped (in doubt, remove), else NOISE.
        """
        if self._turned_marker(readings, region):
            return Verdict.KEEP
        counted = [(r, self._one(r.words, region)) for r in self._counted(readings)]
        sure = tuning.TUNING.reading.sure
        kept = [r for r, v in counted if v is Verdict.KEEP and r.score >= sure(r.engine)]
        if kept:
            k = max(kept, key=lambda r: r.score)
            counted = [(r, v) for r, v in counted if v is Verdict.KEEP or not _misreads(r, k)]
        verdicts = [v for _, v in counted]
        if Verdict.PHI in verdicts:
            return Verdict.PHI
        if Verdict.TEXT in verdicts:
            return Verdict.TEXT
        if Verdict.KEEP in verdicts:
            return Verdict.KEEP
        return Verdict.TEXT if _text_shaped(region) else Verdict.NOISE

    def _turned_marker(self, readings: list[Reading], region: Region) -> bool:
        """Whether a square region is a short marker read in the wrong orientation as well:
        a sure reading at one orientation keeps it, and no reading at any orientation shows
        PHI or, read surely, text of :attr:`~cxrkit.dicom.tuning.ReadingTuning.legible_min_chars`
        letters or digits off the keep-list ("LT" turned by 270°, read "17" at 90°: two
        characters are no legible text, by the proof's own measure; nor is tesseract's "Fim"
        at 54 beside PP-OCR's sure "LT")."""
        t = tuning.TUNING.reading
        if region.vertical is not None:
            return False
        verdicts = [(r, self._one(r.words, region)) for r in readings]
        if not any(v is Verdict.KEEP and r.score >= t.sure(r.engine) for r, v in verdicts):
            return False
        return not _other_text(verdicts)

    def shows_other_text(self, readings: list[Reading], region: Region) -> bool:
        """Whether any reading, at any orientation, shows PHI (at any score) or, read as
        surely as the proof counts legible text, :attr:`~cxrkit.dicom.tuning.ReadingTuning.
        legible_min_chars` letters or digits off the keep-list."""
        return _other_text([(r, self._one(r.words, region)) for r in readings])

    def kept_text(self, readings: list[Reading], region: Region, *, sure: bool = True) -> str:
        """The compact text of the sure reading that keeps ``region`` ("" if none does);
        with ``sure=False``, of the best reading that keeps it at any score."""
        t = tuning.TUNING.reading
        keeping = [
            r
            for r in self._counted(readings)
            if (not sure or r.score >= t.sure(r.engine))
            and self._one(r.words, region) is Verdict.KEEP
        ]
        best = max(keeping, key=lambda r: r.score, default=None)
        return best.text if best is not None else ""

    def best_text(self, readings: list[Reading]) -> str:
        """The compact text of the counted reading with the best score."""
        best = max(self._counted(readings), key=lambda r: r.score, default=None)
        return best.text if best is not None else ""

    def phi_kind(self, readings: list[Reading], *, sure: float = 0.0) -> str | None:
        """The kind of PHI any counted reading with a score of at least ``sure`` shows, or
        None (names a kind, never text)."""
        for r in self._counted(readings):
            if r.score < sure:
                continue
            kind = phi_kind(r.words, self.deny, self.keep)
            if kind is not None:
                return kind
        return None


def misreading(text: str, kept: str) -> bool:
    """Whether compact ``text`` is within a misreading's edits of compact ``kept``: about a
    third of its letters and digits, at least two (``misreading_share``, ``misreading_min_edits``).

    Examples
    --------
    >>> misreading("120KYP3.4MAS", "120KVP3.4MAS"), misreading("DOEJOHN", "AP")
    (True, False)
    """
    t = tuning.TUNING.reading
    return edits_within(
        text, kept, max(t.misreading_min_edits, int(t.misreading_share * len(kept)))
    )


def _other_text(verdicts: list[tuple[Reading, Verdict]]) -> bool:
    """:meth:`Reader.shows_other_text` of readings already classified."""
    t = tuning.TUNING.reading
    return any(
        v is Verdict.PHI
        or (
            v is not Verdict.KEEP
            and r.score >= t.sure(r.engine)
            and alnum_count(r.words) >= t.legible_min_chars
        )
        for r, v in verdicts
    )


def _misreads(r: Reading, kept: Reading) -> bool:
    """Whether ``r`` reads as a misreading of the kept reading: no more words than it, and
    within a third of its letters and digits (at least two) of edits, or a piece of it (an
    engine that read "OR" where the other read "PORTABLE" saw no other text)."""
    if len(r.words) > len(kept.words):
        return False
    a, b = r.text, kept.text
    return misreading(a, b) or (bool(a) and a in b)


def _learned_words(image: NDArray[np.uint8], angles: tuple[int, ...]) -> list[tuple[ocr.Word, ...]]:
    """PP-OCR's words of ``image`` turned to each of ``angles`` (one batch)."""
    read = learned.recognize([_turn(image, angle) for angle in angles])
    return [tuple(ocr.Word(t, 100.0 * score) for t in text.split()) for text, score in read]


def _text_shaped(region: Region) -> bool:
    """A region shaped like a line of text even if neither engine can read it."""
    x0, y0, x1, y1 = region.box
    long_side, short = max(x1 - x0, y1 - y0), min(x1 - x0, y1 - y0)
    t = tuning.TUNING.reading
    if region.cand is not None:
        cand = region.cand
        along, across = (y1 - y0, x1 - x0) if cand.vertical else (x1 - x0, y1 - y0)
        return cand.glyph_height >= t.text_min_glyph_height and (
            cand.glyphs >= t.text_min_glyphs or along >= t.text_aspect * across
        )
    return region.score >= t.sure_text and long_side >= t.learned_line_aspect * short


__all__ = ["Level", "Reader", "Reading", "Region", "from_candidate", "from_detection", "misreading"]
