"""Tiny hand-made exports for the fault tests: 32×32 blank radiographs (no burned-in text,
so the pixel scrub takes milliseconds) and a RIS CSV, plus one maker per kind of bad file.

Every value is synthetic. The PHI of an image (name, MRN, accession) is ``Doe^Jane``,
``MRN<p>`` and ``ACC<p><s>``.
"""

from __future__ import annotations

import csv
import hashlib
import struct
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

CR = "1.2.840.10008.5.1.4.1.1.1"
NAME = "Doe^Jane"
REPORT = "FINDINGS: The lungs are clear.\nIMPRESSION: No acute cardiopulmonary process."


def _uid(*parts: object) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return "1.2.999." + str(int(digest[:16], 16))


def dataset(patient: str, accession: str, n: int, *, size: int = 32) -> Dataset:
    """A chest radiograph's dataset with file meta; its SOP UID depends on its arguments."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = CR
    ds.file_meta.MediaStorageSOPInstanceUID = sop = _uid(patient, accession, n)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = CR, sop
    ds.PatientID, ds.PatientName, ds.AccessionNumber = patient, NAME, accession
    ds.StudyInstanceUID = _uid(accession)
    ds.SeriesInstanceUID = _uid(accession, "series")
    ds.Modality, ds.BodyPartExamined, ds.StudyDate = "CR", "CHEST", "20150304"
    ds.Rows = ds.Columns = size
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = np.full((size, size), 1200, np.uint16).tobytes()
    return ds


def write(path: Path, ds: Dataset) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def image(path: Path, patient: str, accession: str, n: int) -> Path:
    return write(path, dataset(patient, accession, n))


def reports(root: Path, rows: list[tuple[str, str]]) -> None:
    """``root/reports/ris.csv`` with one report per (accession, patient id)."""
    (root / "reports").mkdir(parents=True, exist_ok=True)
    with (root / "reports" / "ris.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["accession_number", "patient_id", "patient_name", "report_text"])
        writer.writerows([acc, mrn, "Doe, Jane", REPORT] for acc, mrn in rows)


def export(root: Path, *, patients: int = 2, studies: int = 2, images: int = 2) -> list[Path]:
    """A clean export under ``root``; returns its image files."""
    files, rows = [], []
    for p in range(patients):
        for s in range(studies):
            accession = f"ACC{p}{s}"
            rows.append((accession, f"MRN{p}"))
            for i in range(images):
                path = root / "dicom" / f"P{p}" / accession / f"IM{i}"
                files.append(image(path, f"MRN{p}", accession, i))
    reports(root, rows)
    return files


def unknown_vr(path: Path, patient: str, accession: str, n: int) -> Path:
    """A file whose PatientName element has the VR ``UM``, which pydicom cannot decode."""
    image(path, patient, accession, n)
    raw = path.read_bytes()
    tag = struct.pack("<HH", 0x0010, 0x0010)
    at = raw.index(tag + b"PN")
    path.write_bytes(raw[:at] + tag + b"UM" + raw[at + 6 :])
    return path


def deep_sequence(path: Path, patient: str, accession: str, n: int, depth: int = 3000) -> Path:
    """A file with a sequence nested ``depth`` levels deep, written as undefined-length bytes
    (pydicom could not write it: it recurses)."""
    image(path, patient, accession, n)
    raw = path.read_bytes()
    sq = struct.pack("<HH", 0x0008, 0x1110) + b"SQ\0\0" + b"\xff\xff\xff\xff"
    item = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    item_end = struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
    sq_end = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    nested = (sq + item) * depth + (item_end + sq_end) * depth
    at = raw.index(struct.pack("<HH", 0x0010, 0x0010))
    path.write_bytes(raw[:at] + nested + raw[at:])
    return path


def without_preamble(path: Path, patient: str, accession: str, n: int) -> Path:
    """A good dataset stored without the preamble and file meta (implicit VR)."""
    ds = dataset(patient, accession, n)
    del ds.file_meta
    ds.preamble = None
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, implicit_vr=True, little_endian=True, enforce_file_format=False)
    return path


def truncated_pixels(path: Path, patient: str, accession: str, n: int) -> Path:
    image(path, patient, accession, n)
    path.write_bytes(path.read_bytes()[:-500])
    return path


def edited(path: Path, patient: str, accession: str, n: int, **changes: str | None) -> Path:
    """A file whose header elements are changed (a value of None deletes the element)."""
    ds = dataset(patient, accession, n)
    for keyword, value in changes.items():
        if value is None:
            delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    return write(path, ds)


def sop_uid(path: Path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True, force=True).SOPInstanceUID)
