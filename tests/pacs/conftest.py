"""Session fixtures: one synthetic export, loaded into one real Orthanc for every PACS test."""

from __future__ import annotations

import csv
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from helpers import CT_ACCESSION
from pacs_server import Orthanc, running_orthanc, upload
from pydicom.uid import generate_uid

from cxrkit.sources.discover import iter_files
from cxrkit.sources.synth import SynthSummary, synthesize

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))
import tiny_export as tiny


def _ct_study(export: Path, folder: Path) -> Path:
    """A copy of one export image turned into a CT study of its own, with a RIS report."""
    first = next(p for p in iter_files(export / "dicom") if p.name.startswith("IM"))
    ds = pydicom.dcmread(first)
    ds.Modality = "CT"
    ds.AccessionNumber = CT_ACCESSION
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "ct.dcm"
    ds.save_as(out)
    with (export / "reports" / "extra.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["accession_number", "patient_id", "report_text"])
        writer.writerow([CT_ACCESSION, str(ds.PatientID), "CT CHEST. No acute findings."])
    return out


@pytest.fixture(scope="session")
def pacs_export(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    """3 patients, seed 5: 12 images in 8 studies (1 non-chest), 3 broken files, 8 reports
    (one without images), plus a CT-only study with a report."""
    root = tmp_path_factory.mktemp("pacs-export")
    summary = synthesize(root, patients=3, seed=5, workers=1, difficulty="classic")
    _ct_study(root, root.parent / f"{root.name}-ct")
    return summary


@pytest.fixture(scope="session")
def blank_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One blank 32×32 radiograph with its report (accession ACC00): builds in a second."""
    root = tmp_path_factory.mktemp("blank-export")
    tiny.export(root, patients=1, studies=1, images=1)
    return root


@pytest.fixture(scope="session")
def orthanc(
    pacs_export: SynthSummary, blank_export: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Orthanc]:
    """A real Orthanc on free loopback ports holding the export, the CT study and the blank
    export."""
    root = pacs_export.root
    with running_orthanc(tmp_path_factory.mktemp("orthanc")) as server:
        files = [*iter_files(root / "dicom"), root.parent / f"{root.name}-ct" / "ct.dcm"]
        files += iter_files(blank_export / "dicom")
        refused = 2  # the truncated and the not-DICOM files
        assert upload(server.url, files) == len(files) - refused
        yield server


@pytest.fixture
def src(pacs_export: SynthSummary, tmp_path: Path) -> Path:
    """An empty source with the export's reports: what a hospital has before ``pull``."""
    out = tmp_path / "src"
    shutil.copytree(pacs_export.root / "reports", out / "reports")
    return out
