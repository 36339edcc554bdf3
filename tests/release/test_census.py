"""``cxrkit verify OUT --census CSV`` on a small hand-made release."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

from cxrkit.cli import main
from cxrkit.errors import ConfigError
from cxrkit.release.census import COLUMNS, write_census
from cxrkit.release.layout import image_path, report_path, write_report
from cxrkit.release.tables import write_checksums, write_csv_gz

SUBJECT, STUDY = 10000032, 50414267
DICOM_IDS = (
    "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014",
    "1b2c3d4e-bde0afdd-112c0b34-7bc16630-4e384014",
)
REPORT = (
    " FINDINGS:  Clear lungs. Discussed with Dr. Okonkwo and Delacroix-Hunt's team.\n"
    " IMPRESSION:  Okonkwo agrees. No pneumothorax. Clear as before; PICC in the SVC.\n"
)


def _image(path: Path, view: str) -> None:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1"
    ds.SOPInstanceUID = "2.25.1234567" + str(len(view))
    ds.PatientID = str(SUBJECT)
    ds.ViewPosition = view
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "R-10206", "SRT", "Chest"
    ds.ViewCodeSequence = Sequence([code])
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def _release(root: Path) -> Path:
    records = []
    for dicom_id, view in zip(DICOM_IDS, ("PA", "LATERAL"), strict=True):
        rel = image_path(SUBJECT, STUDY, dicom_id).as_posix()
        _image(root / rel, view)
        records.append(
            {"subject_id": SUBJECT, "study_id": STUDY, "dicom_id": dicom_id, "path": rel}
        )
    write_report(root, SUBJECT, STUDY, REPORT)
    write_csv_gz(
        root / "cxr-record-list.csv.gz", ("subject_id", "study_id", "dicom_id", "path"), records
    )
    study = [
        {"subject_id": SUBJECT, "study_id": STUDY, "path": report_path(SUBJECT, STUDY).as_posix()}
    ]
    write_csv_gz(root / "cxr-study-list.csv.gz", ("subject_id", "study_id", "path"), study)
    write_csv_gz(root / "mimic-cxr-2.0.0-metadata.csv.gz", ("dicom_id",), records)
    split = [{**r, "split": "train"} for r in records]
    write_csv_gz(root / "mimic-cxr-2.0.0-split.csv.gz", ("dicom_id", "subject_id", "split"), split)
    for name in ("chexpert", "negbio"):
        write_csv_gz(root / f"mimic-cxr-2.0.0-{name}.csv.gz", ("subject_id", "study_id"), study)
    (root / "IMAGE_FILENAMES").write_text("".join(r["path"] + "\n" for r in records))
    write_checksums(root)
    return root


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_census_lists_header_values_and_unknown_report_words(tmp_path: Path) -> None:
    root = _release(tmp_path / "release")
    summary = write_census(root, tmp_path / "census.csv")
    rows = _rows(tmp_path / "census.csv")
    assert list(rows[0]) == list(COLUMNS)
    headers = {
        (r["attribute"], r["value"]): (r["files"], r["occurrences"])
        for r in rows
        if r["kind"] == "header"
    }
    assert headers[("ViewPosition", "PA")] == ("1", "1")
    assert headers[("ViewCodeSequence>CodeMeaning", "Chest")] == ("2", "2")
    assert headers[("SOPInstanceUID", "2.25.<keyed>")] == ("2", "2")
    assert headers[("TransferSyntaxUID", "1.2.840.10008.1.2.1")] == ("2", "2")
    words = [
        (r["value"], r["files"], r["occurrences"], r["example"])
        for r in rows
        if r["kind"] == "report"
    ]
    assert words == [
        (
            "Delacroix-Hunt",
            "1",
            "1",
            "lungs. Discussed with Dr. [?] and Delacroix-Hunt's team. IMPRESSION: [?] agrees. No",
        ),
        ("Okonkwo", "1", "2", "Clear lungs. Discussed with Dr. Okonkwo and [?] team. IMPRESSION:"),
    ]
    assert summary.header_values == len(headers) and summary.report_words == 2


def test_verify_census_prints_counts_only(tmp_path: Path) -> None:
    root = _release(tmp_path / "release")
    target = tmp_path / "review" / "census.csv"
    result = CliRunner().invoke(main, ["verify", str(root), "--census", str(target)])
    assert result.exit_code == 0, result.output
    headers = sum(1 for r in _rows(target) if r["kind"] == "header")
    assert result.stdout == (
        f"census: {headers} header values, 2 unknown report words\n10 files checked\nrelease OK\n"
    )
    assert "Okonkwo" not in result.output


def test_the_census_is_never_written_into_the_release(tmp_path: Path) -> None:
    root = _release(tmp_path / "release")
    with pytest.raises(ConfigError, match="inside the release"):
        write_census(root, root / "census.csv")
    result = CliRunner().invoke(main, ["verify", str(root), "--census", str(root / "c.csv")])
    assert result.exit_code == 1
    assert (
        result.stderr
        == "Error: the census c.csv would be written inside the release; write it elsewhere\n"
    )
