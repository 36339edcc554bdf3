"""``deid_dicom`` on a synthetic export: layout, pseudonyms, quarantine, no PHI out."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pydicom
import pytest

from cxrkit.errors import ConfigError
from cxrkit.pipeline.deid_dicom import DeidSummary, deid_dicom
from cxrkit.sources.synth import SynthSummary

LAYOUT = re.compile(r"files/p1\d/p1\d{7}/s5\d{7}/[0-9a-f]{8}(-[0-9a-f]{8}){4}\.dcm")


@pytest.fixture(scope="session")
def deid50(
    export50: SynthSummary, tmp_path_factory: pytest.TempPathFactory
) -> tuple[DeidSummary, Path, Path]:
    base = tmp_path_factory.mktemp("deid50")
    out, private = base / "release", base / "private"
    summary = deid_dicom(export50.root / "dicom", out, private, workers=2)
    return summary, out, private


def _images(root: Path) -> list[dict[str, str]]:
    with (root / "truth" / "images.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_counts_match_the_export(
    deid50: tuple[DeidSummary, Path, Path], export50_root: Path
) -> None:
    summary, out, _ = deid50
    rows = _images(export50_root)
    chest = [r for r in rows if r["chest"] == "True" and not r["broken"]]
    assert summary.non_chest == sum(1 for r in rows if r["chest"] == "False")
    assert summary.files_seen == len(rows)
    assert summary.written + summary.quarantined + summary.non_chest == summary.files_seen
    assert summary.written >= 0.9 * len(chest)
    assert summary.burned_in_boxes > 0
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.dcm"))
    assert len(written) == summary.written
    assert all(LAYOUT.fullmatch(p) for p in written)


def test_broken_files_are_quarantined_with_reasons(
    deid50: tuple[DeidSummary, Path, Path], export50_root: Path
) -> None:
    _, _, private = deid50
    with (private / "quarantine.csv").open(encoding="utf-8") as fh:
        listed = {r["source"]: r["kind"] for r in csv.DictReader(fh)}
    for row in _images(export50_root):
        if row["broken"]:
            rel = row["file"].removeprefix("dicom/")
            assert listed.get(rel), row["broken"]


def test_outputs_carry_pseudonyms_and_no_header_phi(
    deid50: tuple[DeidSummary, Path, Path], export50_root: Path
) -> None:
    _, out, _ = deid50
    values: set[str] = set()
    for line in (export50_root / "truth" / "phi.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["where"] in ("dicom", "path") and item["category"] != "time":
            value = item["value"]
            # Short numbers (zip codes, study IDs) turn up by chance inside shifted dates.
            if item.get("match") != "overlay" and len(value) >= (7 if value.isdigit() else 5):
                values.add(value)
    needles = sorted({c for v in values for c in (v, v.upper())})
    for path in sorted(out.rglob("*.dcm")):
        rel = path.relative_to(out).as_posix()
        assert not any(n in rel for n in needles)
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        subject = rel.split("/")[2][1:]
        assert str(ds.PatientID) == subject == str(ds.PatientName)
        assert ds.PatientIdentityRemoved == "YES"
        assert ds.BurnedInAnnotation in ("YES", "NO")
        header = re.sub(rb"2\.25\.[0-9]+", b"", path.read_bytes().split(b"\xe0\x7f\x10\x00")[0])
        # shifted dates (2101-2199) can hold an original date by chance ("21770201003145")
        header = re.sub(rb"21\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])[0-9.]*", b"", header)
        assert not [n for n in needles if n.encode("latin-1", "replace") in header], rel


def test_a_rerun_keeps_every_identifier(
    deid50: tuple[DeidSummary, Path, Path], export50_root: Path, tmp_path: Path
) -> None:
    _, out, private = deid50
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.dcm"))
    again = tmp_path / "again"
    deid_dicom(export50_root / "dicom", again, private, workers=2)
    after = sorted(p.relative_to(again).as_posix() for p in again.rglob("*.dcm"))
    assert after == before


def test_refuses_the_private_workspace_inside_the_release(
    tmp_path: Path, export50_root: Path
) -> None:
    with pytest.raises(ConfigError, match="private workspace inside the release"):
        deid_dicom(export50_root / "dicom", tmp_path / "out", tmp_path / "out" / "private")
