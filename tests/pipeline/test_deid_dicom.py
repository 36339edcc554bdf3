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
def deid8(
    export8: SynthSummary, tmp_path_factory: pytest.TempPathFactory
) -> tuple[DeidSummary, Path, Path]:
    base = tmp_path_factory.mktemp("deid8")
    out, private = base / "release", base / "private"
    summary = deid_dicom(export8.root / "dicom", out, private, workers=2)
    return summary, out, private


def _images(root: Path) -> list[dict[str, str]]:
    with (root / "truth" / "images.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_counts_match_the_export(deid8: tuple[DeidSummary, Path, Path], export8_root: Path) -> None:
    summary, out, private = deid8
    rows = _images(export8_root)
    chest = [r for r in rows if r["chest"] == "True" and not r["broken"]]
    broken = [r for r in rows if r["broken"]]
    other = [r for r in rows if r["chest"] == "False"]
    assert other and broken and any(r["burned_in_phi"] == "True" for r in chest)  # the cases
    with (private / "quarantine.csv").open(encoding="utf-8") as fh:
        unproven = sum(1 for r in csv.DictReader(fh) if r["kind"] == "burned-in-unproven")
    assert summary.non_chest == len(other)
    assert summary.files_seen == len(rows)
    assert summary.quarantined == len(broken) + unproven
    assert summary.written == len(chest) - unproven
    assert unproven <= 0.1 * len(chest)
    if not unproven:
        assert summary.patients == len({r["mrn"] for r in chest})
        assert summary.studies == len({r["accession"] for r in chest})
    assert summary.burned_in_boxes > 0
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.dcm"))
    assert len(written) == summary.written
    assert all(LAYOUT.fullmatch(p) for p in written)


def test_broken_files_are_quarantined_with_reasons(
    deid8: tuple[DeidSummary, Path, Path], export8_root: Path
) -> None:
    _, _, private = deid8
    with (private / "quarantine.csv").open(encoding="utf-8") as fh:
        listed = {r["source"]: r["kind"] for r in csv.DictReader(fh)}
    broken = [row for row in _images(export8_root) if row["broken"]]
    assert {row["broken"] for row in broken} == {"truncated", "no-pixels", "not-dicom"}
    for row in broken:
        rel = row["file"].removeprefix("dicom/")
        assert listed.get(rel), row["broken"]


def test_outputs_carry_pseudonyms_and_no_header_phi(
    deid8: tuple[DeidSummary, Path, Path], export8_root: Path
) -> None:
    _, out, _ = deid8
    values: set[str] = set()
    for line in (export8_root / "truth" / "phi.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["where"] in ("dicom", "path") and item["category"] != "time":
            value = item["value"]
            # Short numbers (zip codes, study IDs) turn up by chance inside shifted dates.
            if item.get("match") != "overlay" and len(value) >= (7 if value.isdigit() else 5):
                values.add(value)
    needles = sorted({c for v in values for c in (v, v.upper())})
    assert needles and list(out.rglob("*.dcm"))
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
    deid8: tuple[DeidSummary, Path, Path], export8_root: Path, tmp_path: Path
) -> None:
    _, out, private = deid8
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.dcm"))
    again = tmp_path / "again"
    deid_dicom(export8_root / "dicom", again, private, workers=2)
    after = sorted(p.relative_to(again).as_posix() for p in again.rglob("*.dcm"))
    assert after == before


def test_refuses_the_private_workspace_inside_the_release(
    tmp_path: Path, export8_root: Path
) -> None:
    with pytest.raises(ConfigError, match="private workspace inside the release"):
        deid_dicom(export8_root / "dicom", tmp_path / "out", tmp_path / "out" / "private")
