"""Each entry of truth/ is found exactly where it says."""

from __future__ import annotations

import csv
import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import hl7
import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.tag import Tag

from cxrkit.sources.synth.truth import CATEGORIES


def _jsonl(root: Path, name: str) -> list[dict[str, Any]]:
    lines = (root / "truth" / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _element(ds: Dataset, tag_path: str) -> Any:
    """Follow ``(gggg,eeee)[i].(gggg,eeee)`` through nested sequences."""
    node: Any = ds
    for step in tag_path.split("."):
        tag, _, rest = step.partition("[")
        index = int(rest.rstrip("]")) if rest else None
        group, elem = tag.strip("()").split(",")
        node = node[Tag(int(group, 16), int(elem, 16))]
        if index is not None:
            node = node.value[index]
    return node


def _dicom_found(root: Path, item: dict[str, Any], cache_: dict[str, Dataset]) -> bool:
    if item["file"] not in cache_:
        cache_[item["file"]] = pydicom.dcmread(root / item["file"])
    ds = cache_[item["file"]]
    if item["match"] == "overlay":
        x0, y0, x1, y1 = item["box"]
        bits = ds.overlay_array(0x6000)
        inside = int(bits[y0:y1, x0:x1].sum())
        return inside > 0 and inside == int(bits.sum())
    elem = _element(ds, item["tag_path"])
    value = elem.value
    if isinstance(value, bytes):  # a private element read without its VR (implicit VR)
        value = value.decode("latin-1").rstrip("\x00 ")
    if item["match"] == "member":
        values = list(value) if isinstance(value, pydicom.multival.MultiValue) else [value]
        return item["value"] in [str(v) for v in values]
    if item["match"] == "contains":
        return item["value"] in str(value)
    return str(value) == item["value"]


def test_truth_categories_are_known(export50_root: Path) -> None:
    phi = _jsonl(export50_root, "phi.jsonl")
    assert {i["category"] for i in phi} <= set(CATEGORIES) - {"keep"}
    assert {i["where"] for i in phi} == {"dicom", "pixels", "report", "csv", "hl7", "path"}
    markers = _jsonl(export50_root, "markers.jsonl")
    assert markers and {m["category"] for m in markers} == {"keep"}


def test_every_header_entry_is_where_it_says(export50_root: Path) -> None:
    items = [i for i in _jsonl(export50_root, "phi.jsonl") if i["where"] == "dicom"]
    assert len(items) > 1000
    datasets: dict[str, Dataset] = {}
    missing = [i for i in items if not _dicom_found(export50_root, i, datasets)]
    assert missing == []
    tags = {i["tag_path"] for i in items}
    for expected in (
        "(0010,0010)",
        "(0010,0020)",
        "(0010,1000)",
        "(0010,0030)",
        "(0010,1040)",
        "(0010,2154)",
        "(0008,0050)",
        "(0008,0080)",
        "(0008,0081)",
        "(0008,0090)",
        "(0008,1050)",
        "(0008,1070)",
        "(0008,1010)",
        "(0018,1000)",
        "(0020,0010)",
        "(0040,0275)[0].(0008,0050)",
        "(0029,1010)",
        "(0029,1011)",
        "(0008,1030)",
        "(0008,103E)",
        "(0020,4000)",
        "(6000,3000)",
        "(0070,0001)[0].(0070,0008)[0].(0070,0006)",
        "(0020,000D)",
    ):
        assert expected in tags, expected


@cache
def _decoded(path: Path) -> np.ndarray:
    return np.asarray(pydicom.dcmread(path).pixel_array)


def _burned_ok(root: Path, item: dict[str, Any]) -> bool:
    a = _decoded(root / item["file"])
    x0, y0, x1, y1 = item["box"]
    if not (0 <= x0 < x1 <= a.shape[1] and 0 <= y0 < y1 <= a.shape[0]):
        return False
    box = a[y0:y1, x0:x1]
    hits = box == item["stored_value"]
    # Glyph pixels reach all four sides of a tight box and fill a fair part of it.
    return bool(
        hits[0].any()
        and hits[-1].any()
        and hits[:, 0].any()
        and hits[:, -1].any()
        and hits.mean() > 0.08
    )


def test_every_burned_in_box_holds_its_text(export50_root: Path) -> None:
    items = [i for i in _jsonl(export50_root, "phi.jsonl") if i["where"] == "pixels"]
    items += _jsonl(export50_root, "markers.jsonl")
    assert [i for i in items if not _burned_ok(export50_root, i)] == []
    cats = Counter(i["category"] for i in items)
    for cat in ("name", "mrn", "date", "datetime", "accession", "keep"):
        assert cats[cat] >= 20, cat
    assert {i["grey"] for i in items} == {"max", "min", "mid"}
    edge = [i for i in items if i["box"][0] == 0 or i["box"][1] == 0]
    assert edge, "some text touches the image edge"
    words = {i["text"] for i in items if i["category"] == "keep"}
    for word in ("PORTABLE", "L", "R"):
        assert word in words


def _report_texts(root: Path) -> dict[tuple[str, str], str]:
    texts: dict[tuple[str, str], str] = {}
    for path in sorted((root / "reports").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                texts[(str(path.relative_to(root)), row["accession_number"])] = row["report_text"]
    for path in sorted((root / "reports").rglob("*.hl7")):
        for message in hl7.split_file(path.read_bytes().decode("utf-8")):
            try:
                msg = hl7.parse(message)
                accession = str(msg.segment("OBR")[3])
            except Exception:  # the corrupt message is skipped
                continue
            lines = [msg.unescape(str(seg[5])) for seg in msg.segments("OBX")]
            texts[(str(path.relative_to(root)), accession)] = "\n".join(lines)
    return texts


def test_every_report_span_is_where_it_says(export50_root: Path) -> None:
    texts = _report_texts(export50_root)
    items = [i for i in _jsonl(export50_root, "phi.jsonl") if i["where"] == "report"]
    assert len(items) > 1000
    for i in items:
        assert texts[(i["file"], i["accession"])][i["start"] : i["end"]] == i["value"], i


def test_every_csv_and_hl7_field_is_where_it_says(export50_root: Path) -> None:
    root = export50_root
    phi = _jsonl(root, "phi.jsonl")
    rows: dict[str, list[dict[str, str]]] = {}
    for i in (i for i in phi if i["where"] == "csv"):
        if i["file"] not in rows:
            with (root / i["file"]).open(encoding="utf-8", newline="") as fh:
                rows[i["file"]] = list(csv.DictReader(fh))
        assert rows[i["file"]][i["row"]][i["column"]] == i["value"]
    hl7_items = [i for i in phi if i["where"] == "hl7"]
    assert hl7_items
    for i in hl7_items:
        message = hl7.split_file((root / i["file"]).read_bytes().decode("utf-8"))[i["message"]]
        msg = hl7.parse(message)
        seg_name, field = i["field"].split("-")
        assert i["value"] in msg.unescape(str(msg.segment(seg_name)[int(field)])), i


def test_every_path_entry_is_in_the_path(export50_root: Path) -> None:
    items = [i for i in _jsonl(export50_root, "phi.jsonl") if i["where"] == "path"]
    assert items
    for i in items:
        assert (export50_root / i["file"]).exists()
        assert i["part"] in Path(i["file"]).parts
        assert i["value"] in i["part"]


def test_labels_and_sections_cover_every_report(export50_root: Path) -> None:
    studies = [
        s
        for s in csv.DictReader((export50_root / "truth" / "studies.csv").open(encoding="utf-8"))
        if s["report_status"] != "none"
    ]
    with (export50_root / "truth" / "labels.csv").open(encoding="utf-8") as fh:
        labels = list(csv.DictReader(fh))
    sections = _jsonl(export50_root, "sections.jsonl")
    assert {s["accession"] for s in studies} == {r["accession"] for r in labels}
    assert {s["accession"] for s in studies} == {r["accession"] for r in sections}
    values = {v for r in labels for k, v in r.items() if k not in ("accession", "label_section")}
    assert values <= {"", "1.0", "0.0", "-1.0"}


def test_every_classic_glyph_box_holds_ink(export50_root: Path) -> None:
    items = [i for i in _jsonl(export50_root, "phi.jsonl") if i["where"] == "pixels"]
    items += _jsonl(export50_root, "markers.jsonl")
    bad = []
    for item in items:
        a = _decoded(export50_root / item["file"])
        x0, y0, x1, y1 = item["box"]
        glyphs = item["glyphs"]
        inside = all(x0 <= g[0] < g[2] <= x1 and y0 <= g[1] < g[3] <= y1 for g in glyphs)
        ink = all((a[g[1] : g[3], g[0] : g[2]] == item["stored_value"]).any() for g in glyphs)
        if not (inside and ink and len(glyphs) == len("".join(item["text"].split()))):
            bad.append(item["line"])
    assert bad == []
    assert {(i["style"], i["angle"], i["aa"]) for i in items} == {("classic", 0, False)}
