"""The hard synthetic export (issue 13): deterministic, decodable, every hard kind present."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest

from cxrkit.sources.synth import synthesize
from cxrkit.sources.synth.hardlines import DATE_FORMATS, fold


def _jsonl(root: Path, name: str) -> list[dict[str, Any]]:
    lines = (root / "truth" / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _pixel_lines(root: Path) -> list[dict[str, Any]]:
    phi = [i for i in _jsonl(root, "phi.jsonl") if i["where"] == "pixels"]
    return phi + _jsonl(root, "markers.jsonl")


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def hard_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hard")
    synthesize(root, patients=12, seed=5, workers=2, difficulty="hard")
    return root


@pytest.mark.parametrize("difficulty", ["mixed", "hard"])
def test_same_seed_same_bytes_whatever_the_workers(tmp_path: Path, difficulty: str) -> None:
    synthesize(tmp_path / "a", patients=2, seed=9, workers=1, difficulty=difficulty)
    synthesize(tmp_path / "b", patients=2, seed=9, workers=2, difficulty=difficulty)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


@pytest.mark.parametrize("difficulty", ["classic", "mixed", "hard"])
def test_every_difficulty_decodes(tmp_path: Path, difficulty: str) -> None:
    synthesize(tmp_path, patients=2, seed=4, workers=1, difficulty=difficulty)
    with (tmp_path / "truth" / "images.csv").open(encoding="utf-8") as fh:
        files = [r["file"] for r in csv.DictReader(fh) if not r["broken"]]
    assert files
    for f in files:
        assert pydicom.dcmread(tmp_path / f).pixel_array.ndim == 2


def test_mixed_draws_a_share_of_images_hard(tmp_path: Path) -> None:
    synthesize(tmp_path, patients=8, seed=3, workers=2, difficulty="mixed")
    per_file: dict[str, set[str]] = {}
    for item in _pixel_lines(tmp_path):
        per_file.setdefault(item["file"], set()).add(item["style"])
    assert all(len(styles) == 1 for styles in per_file.values())
    hard = sum("hard" in styles for styles in per_file.values())
    assert 0.15 < hard / len(per_file) < 0.55


def test_every_hard_kind_occurs(hard_root: Path) -> None:
    items = _pixel_lines(hard_root)
    assert {i["style"] for i in items} == {"hard"}
    assert {i["angle"] for i in items} == {0, 90, 180, 270}
    assert {i["aa"] for i in items} == {True, False}
    fonts = {i["font"] for i in items}
    assert {f for f in fonts if f.startswith("HERSHEY")} and {"DejaVuSans", "PillowDefault"} & fonts
    heights = [i["height"] for i in items]
    assert {9, 10, 11, 12, 13} & set(heights) and max(heights) >= 36
    assert len({i["format"] for i in items if "format" in i}) >= 10
    assert set(DATE_FORMATS) >= {i["format"] for i in items if "format" in i}
    phi = [i for i in items if i["category"] != "keep"]
    assert {i["kind"] for i in phi} == {"name", "id", "date", "datetime", "institution"}
    assert any(not i["text"].isascii() for i in phi if i["kind"] == "name")
    assert any(i["text"].startswith("ID: ") and i["category"] == "id" for i in phi)
    words = ("RAD", "RADIOLOGY", "IMAGING")
    assert any(i["text"].split()[-1] in words for i in phi if i["kind"] == "institution")
    assert any("  DOB " in i["text"] for i in phi if i["kind"] == "name")
    markers = Counter(i["text"] for i in items if i["category"] == "keep")
    assert markers["L"] + markers["R"] and markers["PORTABLE"]
    assert any(i["angle"] != 0 for i in items if i["category"] == "keep")


def test_header_values_are_what_is_drawn(hard_root: Path) -> None:
    mrn = [i for i in _pixel_lines(hard_root) if i["category"] == "mrn"]
    assert mrn
    for item in mrn[:20]:
        ds = pydicom.dcmread(hard_root / item["file"], stop_before_pixels=True)
        assert item["text"].endswith(str(ds.PatientID))


def _glyphs_hold_ink(root: Path, item: dict[str, Any], cache: dict[str, np.ndarray]) -> bool:
    if item["file"] not in cache:
        cache[item["file"]] = np.asarray(pydicom.dcmread(root / item["file"]).pixel_array)
    a = cache[item["file"]]
    x0, y0, x1, y1 = item["box"]
    if not (0 <= x0 < x1 <= a.shape[1] and 0 <= y0 < y1 <= a.shape[0]):
        return False
    glyphs = item["glyphs"]
    union = [min(g[0] for g in glyphs), min(g[1] for g in glyphs)]
    union += [max(g[2] for g in glyphs), max(g[3] for g in glyphs)]
    inside = all(x0 <= g[0] < g[2] <= x1 and y0 <= g[1] < g[3] <= y1 for g in glyphs)
    ink = all((a[g[1] : g[3], g[0] : g[2]] == item["stored_value"]).any() for g in glyphs)
    return inside and ink and union == item["box"]


def test_every_glyph_box_holds_ink(hard_root: Path) -> None:
    items = _pixel_lines(hard_root)
    cache: dict[str, np.ndarray] = {}
    assert [i["line"] for i in items if not _glyphs_hold_ink(hard_root, i, cache)] == []
    visible = [len("".join(i["text"].split())) for i in items]
    assert sum(len(i["glyphs"]) for i in items) >= 0.97 * sum(visible)
    assert len({i["line"] for i in items}) == len(items)


def test_fold_removes_diacritics() -> None:
    assert fold("Dvořák Łódź Müßig") == "Dvorak Lodz Mussig"


def test_full_size_images_keep_small_text_and_leave_the_usual_size_alone(tmp_path: Path) -> None:
    usual = tmp_path / "usual"
    synthesize(usual, patients=2, seed=6, workers=1, difficulty="hard")
    full = tmp_path / "full"
    synthesize(full, patients=2, seed=6, workers=1, difficulty="hard", full_size=True)
    manifest = json.loads((full / "truth" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["full_size"] is True
    assert "full_size" not in json.loads((usual / "truth" / "manifest.json").read_text("utf-8"))
    sides = {}
    for root in (usual, full):
        with (root / "truth" / "images.csv").open(encoding="utf-8") as fh:
            files = [r["file"] for r in csv.DictReader(fh) if not r["broken"]]
        sides[root] = [max(pydicom.dcmread(root / f).pixel_array.shape) for f in files]
    assert max(sides[usual]) < 2000
    assert min(sides[full]) >= 2000
    heights = [i["height"] for i in _pixel_lines(full) if i.get("style") == "hard"]
    assert min(heights) <= 13  # small text stays small on a full-size image
    assert max(heights) > 41  # the rest is drawn larger in proportion
