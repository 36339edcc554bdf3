"""Per-line recall of a pixel scrub (issue 13): a line counts only when every glyph is covered."""

from __future__ import annotations

from typing import Any

from cxrkit.dicom.redaction_eval import (
    kind_of,
    line_removed,
    measure,
    measure_lines,
    slices_of,
)


def _line(text: str, glyphs: list[list[int]], **extra: Any) -> dict[str, Any]:
    box = [min(g[0] for g in glyphs), min(g[1] for g in glyphs)]
    box += [max(g[2] for g in glyphs), max(g[3] for g in glyphs)]
    return {"text": text, "glyphs": glyphs, "box": box, "category": "name", **extra}


NAME = _line("AB CD", [[0, 0, 8, 10], [10, 0, 18, 10], [30, 0, 38, 10], [40, 0, 48, 10]])


def test_a_line_with_one_uncovered_glyph_is_a_miss() -> None:
    assert line_removed(NAME, ((0, 0, 48, 10),))
    assert not line_removed(NAME, ((0, 0, 39, 10),))  # the last glyph is not covered at all
    assert not line_removed(NAME, ((0, 0, 48, 9),))  # every glyph loses its bottom row


def test_boxes_may_cover_glyphs_piecewise_and_gaps_need_no_cover() -> None:
    assert line_removed(NAME, ((-3, -3, 19, 13), (29, -2, 49, 12)))
    assert not line_removed(NAME, ((-3, -3, 19, 13), (29, -2, 47, 12)))


def test_ninety_nine_percent_of_a_glyph_is_enough() -> None:
    big = _line("W", [[0, 0, 100, 100]])
    assert line_removed(big, ((0, 0, 100, 99),))
    assert not line_removed(big, ((0, 0, 100, 98),))


def test_a_line_without_glyph_boxes_falls_back_to_its_box() -> None:
    old = {"text": "DOE", "box": [0, 0, 30, 10], "category": "name"}
    assert line_removed(old, ((0, 0, 30, 10),)) and not line_removed(old, ((0, 0, 20, 10),))


def test_kinds_and_slices() -> None:
    assert (
        kind_of({"category": "mrn"}) == "id" and kind_of({"category": "hospital"}) == "institution"
    )
    assert kind_of({"category": "id", "kind": "id"}) == "id"
    item = _line("SMITH JOHN  DOB 01/02/1950", [[0, 0, 8, 12]], angle=270, height=12, aa=False)
    assert slices_of({**item, "style": "hard", "font": "HERSHEY_DUPLEX"}) == [
        "rotated",
        "small",
        "long",
        "hard",
        "hershey",
    ]


def test_measure_lines_counts_kinds_markers_false_boxes_and_leaks() -> None:
    date = _line("01.02.1950", [[0, 30, 8, 40], [10, 30, 18, 40]], category="date", kind="date")
    marker = _line("R", [[90, 90, 99, 99]], category="keep", kind="marker")
    truth = {"a": [NAME, date, marker], "b": [NAME]}
    boxes = {
        "a": ((0, 0, 48, 10), (0, 30, 10, 40), (60, 60, 70, 70)),  # date half covered, a false box
        "b": ((0, 0, 48, 10), (85, 85, 95, 95)),  # no marker in b: a false box
    }
    recall = measure_lines(truth, boxes, released={"a": True, "b": False})
    assert recall.kinds == {"name": (2, 2), "date": (0, 1)}
    assert recall.overall() == (2, 3)
    assert recall.markers == (1, 1)
    assert recall.markers_apart == (1, 1)  # 50 px from the date, five of its heights
    assert recall.boxes == 5 and recall.false_boxes == 2
    assert recall.missed_released == 1 and recall.missed_quarantined == 0
    assert recall.missed_partly == 1  # the date's first glyph is covered
    assert recall.missed == [{"file": "a", "line": "", "kind": "date"}]


def test_quarantined_misses_are_not_leaks() -> None:
    recall = measure_lines({"a": [NAME]}, {"a": ()}, released={"a": False})
    assert (recall.missed_released, recall.missed_quarantined) == (0, 1)


def test_the_token_measure_still_works() -> None:
    recall = measure({"a": [NAME]}, {"a": ((0, 0, 20, 10),)})
    assert recall.tokens == {"name": (1, 2)}


def test_markers_near_a_phi_line_are_counted_apart_from_those_standing_apart() -> None:
    near = _line("AP", [[0, 14, 8, 24]], category="keep", kind="marker", height=10)  # 4 px below
    far = _line("R", [[200, 200, 209, 210]], category="keep", kind="marker", height=10)
    recall = measure_lines({"a": [{**NAME, "height": 10}, near, far]}, {"a": ((-2, -2, 50, 16),)})
    assert recall.markers == (1, 2)  # the name's box touches the marker beside it
    assert recall.markers_apart == (1, 1)  # the one standing apart is kept
