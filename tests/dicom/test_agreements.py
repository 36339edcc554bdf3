"""Agreements between overlapping or neighbouring regions that keep markers (S5).

Each case is one seen on the mixed synthetic export (development seed 8301): the boxes,
glyph heights and readings are those the two engines gave; the marker was blacked out by a
box that touched no PHI line. The readings are given here so that the rule is tested
without the engines."""

from __future__ import annotations

import numpy as np

from cxrkit.dicom.ocr import Word
from cxrkit.dicom.phitext import KeepList, PixelDenyList, Verdict
from cxrkit.dicom.reading import Reader, Reading, Region, from_candidate
from cxrkit.dicom.scrub import _Page, _verdicts
from cxrkit.dicom.textfind import Candidate, Level

Box = tuple[int, int, int, int]
_LEVEL = Level("top", 1003, 1023, 768, 1023)


class _Given(Reader):
    """A reader that gives the readings seen on the export instead of running the engines."""

    given: dict[Box, list[Reading]]

    def readings(self, a: np.ndarray, region: Region, *, tesseract: bool = True) -> list[Reading]:
        del a, tesseract
        return self.given[region.box]


def _verdicts_of(
    regions: list[Region],
    readings: list[list[Reading]],
    deny: frozenset[str] = frozenset(),
    a: np.ndarray | None = None,
) -> list[Verdict]:
    reader = _Given(PixelDenyList(deny, frozenset()), KeepList.default())
    reader.given = {r.box: rd for r, rd in zip(regions, readings, strict=True)}
    a = np.zeros((1000, 1000), np.uint16) if a is None else a
    return _verdicts(_Page(a, np.zeros((1000, 1000), np.uint8)), regions, reader)


def _first(regions: list[Region], readings: list[list[Reading]]) -> list[Verdict]:
    """The verdicts of the regions read each on its own."""
    reader = Reader(PixelDenyList(frozenset(), frozenset()), KeepList.default())
    return [reader.verdict(rd, r) for rd, r in zip(readings, regions, strict=True)]


def _read(engine: str, angle: int, text: str, score: float) -> Reading:
    return Reading(engine, angle, tuple(Word(w, 100.0 * score) for w in text.split()), score)


def _glyphs(box: Box, glyphs: int, height: int) -> Region:
    return from_candidate(Candidate(box, glyphs, _LEVEL, height))


def _learned(box: Box, height: int, vertical: bool | None, score: float) -> Region:
    return Region(box, height, vertical, score=score)


def test_the_glyphs_of_a_turned_marker_cut_in_two_are_kept_together() -> None:
    """ "LT" turned by 270 degrees, cut by the threshold finder into "L" (kept) and "T"
    (read surely, but one letter off the keep-list, so removed with the marker)."""
    ell = _glyphs((108, 543, 133, 562), 2, 19)
    tee = _glyphs((108, 565, 133, 586), 1, 21)
    readings = [
        [_read("learned", 180, "L", 0.99), _read("learned", 270, "L", 0.99)],
        [_read("learned", 270, "T", 1.0), _read("tesseract", 270, "J T", 0.95)],
    ]
    assert _first([ell, tee], readings) == [Verdict.KEEP, Verdict.TEXT]
    assert _verdicts_of([ell, tee], readings) == [Verdict.KEEP, Verdict.KEEP]
    # a glyph that makes no kept word with its neighbour, or stands apart, is not kept
    other = [readings[0], [_read("learned", 270, "K", 1.0), _read("tesseract", 270, "J K", 0.95)]]
    assert _verdicts_of([ell, tee], other)[1] is Verdict.TEXT
    apart = _glyphs((108, 615, 133, 636), 1, 21)
    assert _verdicts_of([ell, apart], readings)[1] is Verdict.TEXT


def test_a_learned_line_over_a_kept_word_is_kept_by_its_upright_misreading() -> None:
    """ "UPRIGHT" (16 pixels): tesseract read the threshold candidate surely; PP-OCR read
    the learned line around it "UprIOHT" upright (0.64) and "LHeladn" upside down (0.73),
    its best — which is no misreading of UPRIGHT. No reading shows other text surely."""
    word = _glyphs((659, 740, 751, 756), 7, 15)
    line = _learned((654, 735, 756, 763), 18, False, 0.80)
    readings = [
        [_read("learned", 0, "UprIOht", 0.69), _read("tesseract", 0, "UPRIGHT", 0.95)],
        [
            _read("learned", 0, "UprIOHT", 0.64),
            _read("learned", 180, "LHeladn", 0.73),
            _read("tesseract", 180, "moran", 0.44),
        ],
    ]
    assert _verdicts_of([word, line], readings) == [Verdict.KEEP, Verdict.KEEP]
    # a sure reading of other text over the kept word still removes the line
    sure_other = [readings[0], [*readings[1], _read("tesseract", 180, "DAWSON", 0.91)]]
    assert _verdicts_of([word, line], sure_other)[1] is Verdict.TEXT


def test_fragments_inside_a_line_kept_by_an_unsure_reading_are_pieces_of_it() -> None:
    """ "PORTABLE" (17 pixels) cut by the finder into "PORTAE" and "LE", inside a learned
    line read "PORTABLe" at 0.69 (kept, but not surely)."""
    head = _glyphs((795, 571, 868, 588), 5, 15)
    tail = _glyphs((884, 572, 910, 587), 2, 15)
    line = _learned((793, 568, 913, 592), 15, False, 0.82)
    readings = [
        [_read("learned", 0, "PORTAE", 0.87), _read("tesseract", 0, "PORTAI", 0.62)],
        [_read("learned", 0, "LE", 0.99), _read("tesseract", 0, "ILE", 0.94)],
        [_read("learned", 0, "PORTABLe", 0.69), _read("tesseract", 0, "PORTABLE", 0.0)],
    ]
    after = _verdicts_of([head, tail, line], readings)
    assert after == [Verdict.KEEP, Verdict.KEEP, Verdict.KEEP]
    # a fragment that reads as other text is no piece of it
    other = [[_read("learned", 0, "HOLLAND", 0.87)], readings[1], readings[2]]
    assert _verdicts_of([head, tail, line], other)[0] is Verdict.TEXT
    # and PHI is never a piece of an unsure reading
    phi = [[_read("learned", 0, "PORTA", 0.87)], readings[1], readings[2]]
    assert _verdicts_of([head, tail, line], phi, frozenset({"PORTA"}))[0] is Verdict.PHI


def test_a_fragment_of_a_line_kept_by_another_agreement_is_kept_in_the_next_round() -> None:
    """ "kVp 113 mAs 1.8" at the left edge: a lone "K" fragment lies inside the learned line
    that is kept only by the agreement over its kept candidates, not inside the other
    learned line that a sure reading keeps."""
    kay = _glyphs((1, 662, 5, 673), 1, 11)
    sure = _learned((5, 656, 139, 680), 15, False, 0.66)
    kept_later = _learned((2, 660, 137, 676), 10, False, 0.85)
    inner = _glyphs((7, 662, 135, 674), 12, 11)
    readings = [
        [_read("learned", 0, "H", 0.49), _read("tesseract", 0, "K k", 0.93)],
        [_read("learned", 0, "kVp 113 mAs 1.8", 0.92)],
        [_read("learned", 0, "kVp 113 mAs 1.8", 0.99), _read("tesseract", 0, "Bis ms 1s", 0.71)],
        [_read("tesseract", 0, "kVp 113 mAs 1.8", 0.90)],
    ]
    regions = [kay, sure, kept_later, inner]
    first = _first(regions, readings)
    assert first[0] is Verdict.TEXT and first[2] is Verdict.TEXT
    after = _verdicts_of(regions, readings)
    assert after == [Verdict.KEEP] * 4


def test_label_boxes_found_as_one_line_around_kept_markers_are_kept() -> None:
    """Hard export (development seed 8301): "AP", a turned "ERECT" and "R", each dark in a
    white label box; the threshold finder found the three boxes as one line of three
    blobs at the top level, which tesseract read "mio" (78): the three markers were lost.
    A blob that is not a label box around a kept marker still makes it a line."""
    a = np.full((1000, 1000), 300, np.uint16)
    label_boxes = [(0, 791, 82, 847), (102, 743, 137, 841), (172, 784, 215, 830)]
    markers = [(6, 803, 70, 836), (109, 750, 130, 834), (182, 794, 205, 821)]
    for (x0, y0, x1, y1), (m0, n0, m1, n1) in zip(label_boxes, markers, strict=True):
        a[y0:y1, x0:x1] = 1023
        a[n0:n1, m0:m1] = 0
    a[800:805, 190:196] = 1023  # the counter of the "R"
    boxes = _glyphs((0, 743, 215, 847), 3, 56)
    kept = [_glyphs(markers[0], 2, 33), _glyphs(markers[1], 5, 21), _glyphs(markers[2], 1, 27)]
    readings = [
        [_read("tesseract", 0, "mio", 0.78)],
        [_read("learned", 0, "AP", 1.0)],
        [_read("learned", 90, "ERECT", 1.0)],
        [_read("learned", 0, "R", 0.98)],
    ]
    regions = [boxes, *kept]
    assert _first(regions, readings)[0] is Verdict.TEXT
    assert _verdicts_of(regions, readings, a=a) == [Verdict.KEEP] * 4
    beside = a.copy()
    beside[760:780, 160:175] = 1023  # a blob beside them, holding no marker
    assert _verdicts_of(regions, readings, a=beside)[0] is Verdict.TEXT
    large = a.copy()
    large[784:847, 140:215] = 1023  # the "R" in a box with room for a line of other text
    large[794:821, 182:205] = 0
    assert _verdicts_of(regions, readings, a=large)[0] is Verdict.TEXT
