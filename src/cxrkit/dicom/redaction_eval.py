"""Measuring a pixel scrub against the truth of a synthetic export (S5, issue figures).

A synthetic export's ``truth/phi.jsonl`` (``where == "pixels"``) and ``truth/markers.jsonl``
give the tight box, the glyph boxes and the text of every burned-in line. Two measures:

- per token (:func:`measure`): a planted PHI *token* counts as removed when the part of its
  line's box that the token spans (its share of the characters) is at least 99 % covered by
  black boxes;
- per line (:func:`measure_lines`): a planted PHI *line* counts as removed only when *every*
  one of its glyph boxes is at least 99 % covered (a line without glyph boxes: its box), by
  kind (name, id, date, datetime, institution) and by slice (rotated, small, aa, long, the
  hard and classic styles, Hershey and TrueType faces); a black box that touches no planted
  line is a false box.

A kept marker counts as kept when no black box touches its box.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pydicom

from cxrkit.dicom.phitext import PixelDenyList
from cxrkit.dicom.scrub import scrub_pixels
from cxrkit.dicom.textfind import Box

#: A planted token or box counts as covered when black boxes cover this share of it: all of
#: it but for a sliver of rounding at the token's ends (token spans are estimated from the
#: line's width).
COVERED = 0.99


@dataclass(frozen=True)
class FileOutcome:
    """What scrubbing one file gave: its boxes, whether text was found, and the proof."""

    file: str
    boxes: tuple[Box, ...]
    text_found: bool
    verified: bool
    reason: str
    seconds: float


def scrub_file(root: Path, file: str) -> FileOutcome:
    """Read ``root/file``, scrub its pixels with its own header as deny-list, time the scrub."""
    ds = pydicom.dcmread(Path(root) / file)
    a = ds.pixel_array
    start = time.perf_counter()
    result = scrub_pixels(
        a,
        photometric=str(ds.PhotometricInterpretation),
        bits_stored=int(ds.BitsStored),
        deny=PixelDenyList.from_dataset(ds),
    )
    took = time.perf_counter() - start
    return FileOutcome(file, result.boxes, result.text_found, result.verified, result.reason, took)


def read_truth(root: Path) -> dict[str, list[dict[str, Any]]]:
    """Burned-in truth lines (PHI and kept markers) of an export, by file."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for name in ("phi.jsonl", "markers.jsonl"):
        for line in (Path(root) / "truth" / name).read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if item.get("where") == "pixels":
                out[item["file"]].append(item)
    return out


def _coverage(box: list[int], boxes: tuple[Box, ...]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    x0, y0, x1, y1 = box
    m = np.zeros((y1 - y0, x1 - x0), bool)
    for bx0, by0, bx1, by1 in boxes:
        m[max(by0 - y0, 0) : max(by1 - y0, 0), max(bx0 - x0, 0) : max(bx1 - x0, 0)] = True
    return m


def token_hits(item: dict[str, Any], boxes: tuple[Box, ...]) -> list[bool]:
    """For each whitespace token of a planted line, whether black boxes cover its span.

    Examples
    --------
    >>> item = {"text": "DOE JOHN", "box": [0, 0, 80, 10]}
    >>> token_hits(item, ((0, 0, 35, 10),)), token_hits(item, ((0, 0, 80, 10),))
    ([True, False], [True, True])
    """
    cover = _coverage(item["box"], boxes)
    text, width = item["text"], cover.shape[1]
    hits, pos = [], 0
    for token in text.split():
        start = text.index(token, pos)
        pos = start + len(token)
        c0 = int(start / len(text) * width)
        c1 = max(c0 + 1, int(np.ceil(pos / len(text) * width)))
        hits.append(bool(cover[:, c0:c1].mean() >= COVERED))
    return hits


def marker_kept(item: dict[str, Any], boxes: tuple[Box, ...]) -> bool:
    """Whether no black box touches a kept marker's box."""
    return not _coverage(item["box"], boxes).any()


@dataclass(frozen=True)
class Recall:
    """Token recall by PHI category, and the share of kept markers."""

    tokens: dict[str, tuple[int, int]]  # category -> (removed, planted)
    markers: tuple[int, int]  # (kept, planted)

    def overall(self) -> float:
        hit = sum(h for h, _ in self.tokens.values())
        return hit / max(sum(n for _, n in self.tokens.values()), 1)

    def of(self, category: str) -> float:
        hit, n = self.tokens.get(category, (0, 0))
        return hit / n if n else 1.0

    def kept(self) -> float:
        return self.markers[0] / max(self.markers[1], 1)


def measure(truth: dict[str, list[dict[str, Any]]], boxes: dict[str, tuple[Box, ...]]) -> Recall:
    """Token recall of planted PHI and the kept-marker share over the files in ``boxes``."""
    tokens: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    kept = [0, 0]
    for file, found in boxes.items():
        for item in truth.get(file, []):
            if item["category"] == "keep":
                kept[0] += marker_kept(item, found)
                kept[1] += 1
                continue
            hits = token_hits(item, found)
            tokens[item["category"]][0] += sum(hits)
            tokens[item["category"]][1] += len(hits)
    return Recall({k: (v[0], v[1]) for k, v in tokens.items()}, (kept[0], kept[1]))


#: The kind of a line from its category, for truth written before lines had a kind.
KIND_OF_CATEGORY = {
    "name": "name",
    "mrn": "id",
    "id": "id",
    "accession": "id",
    "date": "date",
    "datetime": "datetime",
    "hospital": "institution",
    "keep": "marker",
}
#: Line kinds reported, in order.
KINDS = ("name", "id", "date", "datetime", "institution")
#: Extra slices reported, in order.
SLICES = ("rotated", "small", "aa", "long", "hard", "classic", "hershey", "truetype")
SMALL_HEIGHT = 13
LONG_TEXT = 24


def kind_of(item: dict[str, Any]) -> str:
    """The kind of a planted line: its ``kind``, else one derived from its category."""
    return str(item.get("kind") or KIND_OF_CATEGORY.get(item["category"], item["category"]))


def slices_of(item: dict[str, Any]) -> list[str]:
    """The extra slices a planted line belongs to.

    Examples
    --------
    >>> slices_of({"text": "R", "angle": 90, "height": 11, "aa": True, "style": "hard",
    ...            "font": "DejaVuSans"})
    ['rotated', 'small', 'aa', 'hard', 'truetype']
    """
    out = []
    if item.get("angle", 0) != 0:
        out.append("rotated")
    if 0 < int(item.get("height", 0)) <= SMALL_HEIGHT:
        out.append("small")
    if item.get("aa"):
        out.append("aa")
    if len(item["text"]) >= LONG_TEXT:
        out.append("long")
    out.append(str(item.get("style", "classic")))
    font = str(item.get("font", ""))
    if font:
        out.append("hershey" if font.startswith("HERSHEY") else "truetype")
    return out


def box_covered(box: list[int] | tuple[int, ...], boxes: tuple[Box, ...]) -> bool:
    """Whether black boxes cover at least 99 % of ``box`` (:data:`COVERED`)."""
    if box[2] <= box[0] or box[3] <= box[1]:
        return True
    return bool(_coverage(list(box), boxes).mean() >= COVERED)


def line_removed(item: dict[str, Any], boxes: tuple[Box, ...]) -> bool:
    """Whether every glyph box of a planted line (else its box) is at least 99 % covered.

    Examples
    --------
    >>> item = {"box": [0, 0, 30, 10], "glyphs": [[0, 0, 10, 10], [20, 0, 30, 10]]}
    >>> line_removed(item, ((0, 0, 12, 10), (19, 0, 31, 11))), line_removed(item, ((0, 0, 25, 10),))
    (True, False)
    """
    glyphs = item.get("glyphs") or [item["box"]]
    return all(box_covered(g, boxes) for g in glyphs)


def _touches(box: Box, item: dict[str, Any]) -> bool:
    x0, y0, x1, y1 = (int(v) for v in item["box"])
    return box[0] < x1 and x0 < box[2] and box[1] < y1 and y0 < box[3]


@dataclass
class LineRecall:
    """Per-line recall of planted PHI, kept markers, false boxes and where misses went.

    ``kinds`` and ``slices`` map a name to ``(removed, planted)`` lines; ``missed_released``
    counts missed lines on images the scrub verified (leaks), ``missed_quarantined`` those on
    images it did not verify; ``missed_partly`` those of which some glyphs were covered (a
    line boxed in part); ``missed`` lists each missed line as ``{file, line, kind}``, and
    ``lost_markers`` each marker a box touched as ``{file, line}``. ``markers_apart`` counts
    the markers that stand apart from every planted PHI line (:func:`stands_apart`): the
    scrub keeps a marker only when it stands apart from removed text.
    """

    kinds: dict[str, tuple[int, int]] = field(default_factory=dict)
    slices: dict[str, tuple[int, int]] = field(default_factory=dict)
    markers: tuple[int, int] = (0, 0)
    markers_apart: tuple[int, int] = (0, 0)
    boxes: int = 0
    false_boxes: int = 0
    missed_released: int = 0
    missed_quarantined: int = 0
    missed_partly: int = 0
    missed: list[dict[str, str]] = field(default_factory=list)
    lost_markers: list[dict[str, str]] = field(default_factory=list)

    def overall(self) -> tuple[int, int]:
        """Lines removed and planted over every kind."""
        return (sum(h for h, _ in self.kinds.values()), sum(n for _, n in self.kinds.values()))


def _count(table: dict[str, tuple[int, int]], key: str, hit: bool) -> None:
    h, n = table.get(key, (0, 0))
    table[key] = (h + hit, n + 1)


#: A marker stands apart when this many glyph heights (the larger of the two lines') or more
#: lie between it and every planted PHI line.
APART_HEIGHTS = 2


def stands_apart(marker: dict[str, Any], items: list[dict[str, Any]]) -> bool:
    """Whether ``marker`` lies :data:`APART_HEIGHTS` glyph heights or more from every PHI
    line of ``items`` (the gap along x or y, whichever is larger).

    Examples
    --------
    >>> m = {"category": "keep", "box": [0, 100, 50, 120], "height": 20}
    >>> phi = {"category": "name", "box": [0, 0, 200, 20], "height": 20}
    >>> stands_apart(m, [m, phi]), stands_apart(m, [m, {**phi, "box": [0, 70, 200, 90]}])
    (True, False)
    """
    mx0, my0, mx1, my1 = (int(v) for v in marker["box"])
    for item in items:
        if item["category"] == "keep":
            continue
        x0, y0, x1, y1 = (int(v) for v in item["box"])
        gap = max(x0 - mx1, mx0 - x1, y0 - my1, my0 - y1, 0)
        if gap < APART_HEIGHTS * max(_height(item), _height(marker)):
            return False
    return True


def _height(item: dict[str, Any]) -> int:
    """A truth line's glyph height (older truth without one: its box's shorter side)."""
    if item.get("height"):
        return int(item["height"])
    x0, y0, x1, y1 = (int(v) for v in item["box"])
    return min(x1 - x0, y1 - y0)


def _measure_file(
    out: LineRecall, file: str, items: list[dict[str, Any]], found: tuple[Box, ...], released: bool
) -> None:
    for item in items:
        if item["category"] == "keep":
            kept, planted = out.markers
            hit = marker_kept(item, found)
            out.markers = (kept + hit, planted + 1)
            if stands_apart(item, items):
                kept, planted = out.markers_apart
                out.markers_apart = (kept + hit, planted + 1)
            if not hit:
                out.lost_markers.append({"file": file, "line": str(item.get("line", ""))})
            continue
        covered = [box_covered(g, found) for g in item.get("glyphs") or [item["box"]]]
        hit = all(covered)
        _count(out.kinds, kind_of(item), hit)
        for name in slices_of(item):
            _count(out.slices, name, hit)
        if not hit:
            out.missed.append(
                {"file": file, "line": str(item.get("line", "")), "kind": kind_of(item)}
            )
            out.missed_partly += any(covered)
            if released:
                out.missed_released += 1
            else:
                out.missed_quarantined += 1
    out.boxes += len(found)
    out.false_boxes += sum(not any(_touches(b, i) for i in items) for b in found)


def measure_lines(
    truth: dict[str, list[dict[str, Any]]],
    boxes: dict[str, tuple[Box, ...]],
    released: Mapping[str, bool] | None = None,
) -> LineRecall:
    """Per-line recall over the files in ``boxes``; ``released[file]`` is the scrub's proof.

    A file missing from ``released`` counts as released (its misses are leaks).
    """
    out = LineRecall()
    for file, found in boxes.items():
        ok = True if released is None else released.get(file, True)
        _measure_file(out, file, truth.get(file, []), found, ok)
    return out
