"""The synthetic export: counts, coverage, determinism, readability."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from pathlib import Path

import pydicom
import pytest
from pydicom.errors import InvalidDicomError

from cxrkit.errors import ConfigError, OutputError
from cxrkit.sources.synth import SynthSummary, synthesize
from cxrkit.sources.synth.cohort import BITS_STORED, PHOTOMETRICS, TRANSFER_SYNTAXES


def _rows(root: Path, name: str) -> list[dict[str, str]]:
    with (root / "truth" / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_figures_of_a_50_patient_export(export50: SynthSummary) -> None:
    s = export50
    assert s.patients >= 50
    assert s.studies >= 100
    assert s.images >= 180
    assert s.reports >= 100
    assert s.phi_items >= 2000
    assert s.broken_files >= 3
    assert s.non_chest_images >= 1
    assert s.hl7_reports >= 3
    assert s.corrupt_reports == 1


def test_the_small_export_holds_every_case(export8: SynthSummary) -> None:
    """The shared 8-patient export (tests/conftest.py) that the scrub, deid-dicom and build
    tests use still holds every case they need, so none of them can pass vacuously."""
    rows = _rows(export8.root, "images.csv")
    good = [r for r in rows if not r["broken"]]
    chest = [r for r in good if r["chest"] == "True"]
    assert {r["broken"] for r in rows} - {""} == {"truncated", "no-pixels", "not-dicom"}
    assert export8.non_chest_images == sum(1 for r in good if r["chest"] == "False") > 0
    assert {r["transfer_syntax"] for r in chest} == set(TRANSFER_SYNTAXES)
    assert {r["photometric"] for r in chest} == set(PHOTOMETRICS)
    assert {int(r["bits_stored"]) for r in chest} == set(BITS_STORED)
    assert len({(r["modality"], r["transfer_syntax"], r["photometric"]) for r in chest}) >= 12
    assert {r["patient_index"] for r in chest} == {str(i) for i in range(8)}
    burned = Counter(r["burned_in_phi"] for r in chest)
    assert burned["True"] > 0 and burned["False"] > 0
    assert export8.kept_markers > 0 and export8.corrupt_reports == 1


def test_same_seed_same_bytes_whatever_the_workers(tmp_path: Path) -> None:
    a = synthesize(tmp_path / "a", patients=6, seed=3, workers=1)
    b = synthesize(tmp_path / "b", patients=6, seed=3, workers=2)
    c = synthesize(tmp_path / "c", patients=6, seed=4, workers=1)
    assert _tree_digest(a.root) == _tree_digest(b.root)
    assert _tree_digest(a.root) != _tree_digest(c.root)


def test_every_dicom_reads_and_decodes(export50_root: Path) -> None:
    rows = _rows(export50_root, "images.csv")
    good = [r for r in rows if not r["broken"]]
    assert len(good) >= 180
    for row in good:
        ds = pydicom.dcmread(export50_root / row["file"])
        a = ds.pixel_array
        assert a.shape == (ds.Rows, ds.Columns)
        assert int(a.max()) < (1 << int(ds.BitsStored))
        assert a.std() > 0.02 * (1 << int(ds.BitsStored)), "pixels must not be blank"
        assert ds.file_meta.TransferSyntaxUID == row["transfer_syntax"]
        assert ds.PhotometricInterpretation == row["photometric"]
        assert int(ds.BitsStored) == int(row["bits_stored"])


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom names the truncated file
def test_broken_files_are_broken(export50_root: Path) -> None:
    rows = [r for r in _rows(export50_root, "images.csv") if r["broken"]]
    assert {r["broken"] for r in rows} == {"truncated", "no-pixels", "not-dicom"}
    for row in rows:
        path = export50_root / row["file"]
        if row["broken"] == "not-dicom":
            with pytest.raises(InvalidDicomError):
                pydicom.dcmread(path)
        elif row["broken"] == "no-pixels":
            assert "PixelData" not in pydicom.dcmread(path)
        else:
            with pytest.raises(Exception):  # noqa: B017 - any read or decode failure
                pydicom.dcmread(path).pixel_array  # noqa: B018


def test_every_transfer_syntax_photometric_and_bit_depth_occurs(export50_root: Path) -> None:
    rows = [r for r in _rows(export50_root, "images.csv") if not r["broken"]]
    assert {r["transfer_syntax"] for r in rows} == set(TRANSFER_SYNTAXES)
    assert {r["photometric"] for r in rows} == set(PHOTOMETRICS)
    assert {int(r["bits_stored"]) for r in rows} == set(BITS_STORED)
    assert {r["modality"] for r in rows} == {"CR", "DX"}
    assert {"PA", "AP", "LATERAL"} <= {r["view"] for r in rows}
    other = {r["body_part"] for r in rows if r["chest"] == "False"}
    assert other and other <= {"ABDOMEN", "PELVIS", "EXTREMITY"}


def test_studies_span_years_and_views(export50_root: Path) -> None:
    studies = _rows(export50_root, "studies.csv")
    by_patient: dict[str, list[dict[str, str]]] = {}
    for s in studies:
        by_patient.setdefault(s["patient_index"], []).append(s)
    multi_year = [
        p for p, ss in by_patient.items() if len({s["study_datetime"][:4] for s in ss}) >= 2
    ]
    assert len(multi_year) >= 10
    image_counts = Counter(int(s["images"]) for s in studies)
    assert image_counts[1] >= 10, "single-view studies"
    assert image_counts[2] >= 10, "two-view studies"
    assert image_counts[0] >= 1, "a report without images"
    no_report = [s for s in studies if s["report_status"] == "none" and s["chest"] == "True"]
    assert no_report, "images without a report"


def test_reports_link_to_images_by_accession(export50_root: Path) -> None:
    accessions = set()
    for row in _rows(export50_root, "images.csv"):
        if not row["broken"]:
            ds = pydicom.dcmread(export50_root / row["file"], stop_before_pixels=True)
            accessions.add(ds.AccessionNumber)
    studies = _rows(export50_root, "studies.csv")
    for s in studies:
        if int(s["images"]) and s["report_status"] == "ok":
            assert s["accession"] in accessions
        if int(s["images"]) == 0:
            assert s["accession"] not in accessions


def test_refuses_a_non_empty_destination(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("keep me")
    with pytest.raises(OutputError, match="not empty"):
        synthesize(tmp_path, patients=1, seed=1, workers=1)
    assert (tmp_path / "x.txt").read_text() == "keep me"
    with pytest.raises(ConfigError):
        synthesize(tmp_path / "new", patients=0, seed=1)
