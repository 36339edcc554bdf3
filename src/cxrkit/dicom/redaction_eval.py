"""Measuring a pixel scrub against the truth of a synthetic export (S5, issue figures).

A synthetic export's ``truth/phi.jsonl`` (``where == "pixels"``) and ``truth/markers.jsonl``
give the tight box and text of every burned-in line. A planted PHI *token* counts as removed
when the part of its line's box that the token spans (its share of the characters) is at
least 99 % covered by black boxes; a kept marker counts as kept when no black box touches
its box.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pydicom

from cxrkit.dicom.phitext import DenyList
from cxrkit.dicom.scrub import scrub_pixels
from cxrkit.dicom.textfind import Box


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
        deny=DenyList.from_dataset(ds),
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
        hits.append(bool(cover[:, c0:c1].mean() >= 0.99))
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
