"""The verdict of a region from its readings (``cxrkit.dicom.reading.Reader.verdict``)."""

from __future__ import annotations

import pytest

from cxrkit.dicom.ocr import Word
from cxrkit.dicom.phitext import KeepList, PixelDenyList, Verdict
from cxrkit.dicom.reading import Reader, Reading, Region

#: A square learned region: a turned two-letter marker, read at all four orientations.
SQUARE = Region((742, 215, 784, 274), 26, None, None, 0.8)


def _learned(*reads: tuple[int, str, float]) -> list[Reading]:
    return [
        Reading("learned", angle, tuple(Word(w, 100 * score) for w in text.split()), score)
        for angle, text, score in reads
    ]


def _reader() -> Reader:
    deny = PixelDenyList(frozenset({"WU", "DAWN", "006133547"}), frozenset())
    return Reader(deny, KeepList.default())


def test_a_turned_marker_read_as_two_other_characters_is_kept() -> None:
    """Found on the hard synthetic export (seed 8301): "LT" turned by 270°, read by PP-OCR as
    "LT" at 270° (0.85) but as "17" at 90° (0.94), its best orientation. The region was
    removed as text off the keep-list, with the marker. Two characters are no legible text
    (the proof's own measure), so the sure reading that keeps it decides."""
    readings = _learned((0, "5", 0.66), (90, "17", 0.94), (180, "5", 0.85), (270, "LT", 0.85))
    assert _reader().verdict(readings, SQUARE) is Verdict.KEEP


@pytest.mark.parametrize(
    ("other", "verdict"),
    [
        ("DAWN", Verdict.PHI),  # PHI at any orientation: removed
        ("XQZ", Verdict.TEXT),  # three characters off the keep-list: legible, removed
    ],
)
def test_a_square_region_that_also_reads_as_longer_text_or_phi_is_not_kept(
    other: str, verdict: Verdict
) -> None:
    readings = _learned((0, "5", 0.66), (90, other, 0.94), (180, "5", 0.85), (270, "LT", 0.85))
    assert _reader().verdict(readings, SQUARE) is verdict


def test_an_unsure_keep_reading_does_not_keep_a_square_region() -> None:
    readings = _learned((90, "17", 0.94), (270, "LT", 0.6))
    assert _reader().verdict(readings, SQUARE) is Verdict.TEXT


def test_a_line_is_not_kept_by_the_turned_marker_rule() -> None:
    line = Region((100, 100, 300, 126), 26, False, None, 0.8)
    readings = _learned((0, "17", 0.94), (180, "LT", 0.85))
    assert _reader().verdict(readings, line) is not Verdict.KEEP


def _tesseract(angle: int, text: str, score: float) -> Reading:
    return Reading("tesseract", angle, tuple(Word(w, 100 * score) for w in text.split()), score)


LINE = Region((13, 766, 104, 787), 13, False, None, 0.8)


def test_a_marker_that_the_other_engine_read_only_in_part_is_kept() -> None:
    """Found on the mixed synthetic export (seed 8302): "PORTABLE", 12-pixel mid-grey,
    read by PP-OCR as "PORTABLE" (1.00) and by tesseract as "OR" (0.95). "OR" is no
    misreading by edits (six letters short), so the marker was removed as other text. A
    reading that is a piece of the sure kept text shows nothing else: it is a misreading."""
    readings = [*_learned((0, "PORTABLE", 1.0)), _tesseract(0, "OR", 0.95)]
    assert _reader().verdict(readings, LINE) is Verdict.KEEP


@pytest.mark.parametrize(
    ("other", "verdict"),
    [
        ("DAWN", Verdict.PHI),  # PHI, not a piece of the marker
        ("XQZ", Verdict.TEXT),  # three letters that are no piece of the marker
    ],
)
def test_a_reading_that_is_not_a_piece_of_the_kept_text_still_counts(
    other: str, verdict: Verdict
) -> None:
    readings = [*_learned((0, "PORTABLE", 1.0)), _tesseract(0, other, 0.95)]
    assert _reader().verdict(readings, LINE) is verdict


def test_a_square_marker_beside_an_unsure_longer_reading_is_kept() -> None:
    """Found on the mixed synthetic export (seed 8302): "LT" at the stored maximum, read
    "LT" by PP-OCR (0.96) and by tesseract as "Fi" (24), "if ]" (63) and "Fim" (54) — none
    as surely as the proof counts legible text. The region was removed with the marker; the
    turned-marker rule now counts other text only when it is read that surely."""
    readings = [
        *_learned((0, "LT", 0.96)),
        _tesseract(0, "Fi", 0.24),
        Reading("tesseract", 0, (Word("if", 63), Word("]", 2)), 0.63),
        _tesseract(0, "Fim", 0.54),
    ]
    assert _reader().verdict(readings, SQUARE) is Verdict.KEEP


def test_phi_read_unsurely_still_shows_other_text() -> None:
    readings = [*_learned((0, "LT", 0.96)), _tesseract(0, "DAWN", 0.3)]
    assert _reader().shows_other_text(readings, SQUARE)
