"""End to end: synth → build → verify, resume after a kill, incremental builds, Dask."""

from __future__ import annotations

import csv
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cxrkit.pipeline.build import BuildOptions, BuildSummary, build
from cxrkit.release.verify import read_table, verify
from cxrkit.sources.synth import SynthSummary

TABLES = (
    "cxr-record-list.csv.gz",
    "cxr-study-list.csv.gz",
    "mimic-cxr-2.0.0-metadata.csv.gz",
    "mimic-cxr-2.0.0-chexpert.csv.gz",
    "mimic-cxr-2.0.0-negbio.csv.gz",
    "mimic-cxr-2.0.0-split.csv.gz",
)


def _held(out: Path) -> int:
    """How many patients the shared release listed as test patients (and drew for
    validation): the rows of the list that ``release8`` (tests/conftest.py) wrote."""
    lines = (out.parent / "test_patients.csv").read_text(encoding="utf-8").splitlines()
    return len(lines) - 1


def _truth_images(root: Path) -> list[dict[str, str]]:
    with (root / "truth" / "images.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _manifest(root: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((root / "truth" / "manifest.json").read_text())
    return manifest


def test_the_build_makes_a_release(
    export8: SynthSummary, release8: tuple[BuildSummary, Path, Path]
) -> None:
    summary, out, private = release8
    manifest = _manifest(export8.root)
    rows = _truth_images(export8.root)
    with (export8.root / "truth" / "studies.csv").open(encoding="utf-8") as fh:
        studies = list(csv.DictReader(fh))
    reported = {s["accession"] for s in studies if s["report_status"] == "ok"}
    chest = [r for r in rows if r["chest"] == "True" and not r["broken"]]
    with (private / "quarantine.csv").open(encoding="utf-8") as fh:
        listed = list(csv.DictReader(fh))
    kinds = [r["kind"] for r in listed]
    unproven = kinds.count("burned-in-unproven")
    assert unproven <= 0.1 * len(chest)
    # every file seen is released or listed, and exactly the truth's left-out files are listed
    assert summary.files_seen == manifest["images"] + manifest["broken_files"] == len(rows)
    files = [r for r in listed if not r["item"]]
    assert summary.images + len(files) == summary.files_seen
    left_out = {
        r["file"]
        for r in rows
        if r["broken"] or r["chest"] == "False" or r["accession"] not in reported
    }
    assert {"dicom/" + r["source"] for r in files if r["kind"] != "burned-in-unproven"} == left_out
    assert summary.images == summary.files_seen - len(left_out) - unproven
    assert kinds.count("no-report") == sum(1 for r in chest if r["accession"] not in reported) > 0
    # every report is released or listed, each once
    assert summary.reports + sum(1 for r in listed if r["item"]) == manifest["reports"]
    assert summary.studies == sum(
        1
        for s in studies
        if s["accession"] in reported and s["chest"] == "True" and s["images"] != "0"
    )
    assert summary.patients == manifest["patients"]
    assert summary.non_chest == manifest["non_chest_images"] > 0
    for name in (*TABLES, "IMAGE_FILENAMES", "SHA256SUMS.txt", "README.md", "LICENSE"):
        assert (out / name).exists(), name
    metadata = read_table(out / "mimic-cxr-2.0.0-metadata.csv.gz")
    assert list(metadata[0]) == [
        "dicom_id",
        "subject_id",
        "study_id",
        "PerformedProcedureStepDescription",
        "ViewPosition",
        "Rows",
        "Columns",
        "StudyDate",
        "StudyTime",
        "ProcedureCodeSequence_CodeMeaning",
        "ViewCodeSequence_CodeMeaning",
        "PatientOrientationCodeSequence_CodeMeaning",
    ]
    first: dict[str, str] = {}
    for r in metadata:
        first[r["subject_id"]] = min(first.get(r["subject_id"], "99999999"), r["StudyDate"])
    assert all("21000101" <= d <= "22001231" for d in first.values()), "first study shifted"
    splits = read_table(out / "mimic-cxr-2.0.0-split.csv.gz")
    per_subject = {s["subject_id"]: s["split"] for s in splits}
    assert set(per_subject.values()) == {"train", "validate", "test"}
    assert sum(1 for v in per_subject.values() if v == "validate") == _held(out)
    chexpert = read_table(out / "mimic-cxr-2.0.0-chexpert.csv.gz")
    assert list(chexpert[0])[:4] == ["subject_id", "study_id", "Atelectasis", "Cardiomegaly"]
    assert len(list((out / "jpg" / "files").rglob("*.jpg"))) == summary.images


def test_verify_finds_a_sound_release_with_no_leak(
    release8: tuple[BuildSummary, Path, Path],
) -> None:
    _, out, private = release8
    report = verify(out, private, workers=2)
    assert dict(report.problems) == {}
    assert report.leaks == 0
    assert report.ok


def test_verify_catches_tampering(
    release8: tuple[BuildSummary, Path, Path], tmp_path: Path
) -> None:
    _, out, _ = release8
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    first = next((copy / "files").rglob("*.txt"))
    first.write_text(first.read_text() + "extra\n")
    (copy / "files" / "stray.txt").write_text("x")
    report = verify(copy)
    assert "checksum mismatch" in report.problems
    assert "not listed in SHA256SUMS.txt" in report.problems
    assert "path outside the release layout" in report.problems
    assert not report.ok


def _run_build(src: Path, out: Path, private: Path) -> subprocess.Popen[bytes]:
    """A build in its own session (so the kill reaches every process of it), output muted."""
    command = [
        sys.executable,
        "-m",
        "cxrkit.cli",
        "build",
        str(src),
        str(out),
        "--private",
        str(private),
        "--workers",
        "2",
        "-q",
        "--allow-quarantine",
    ]
    return subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def test_a_killed_build_resumes_to_the_same_release(
    export8: SynthSummary,
    release8: tuple[BuildSummary, Path, Path],
    tmp_path: Path,
) -> None:
    _, out, private = release8
    assert len(list((out / "files").rglob("*.dcm"))) > 12, "too few images to kill it midway"
    again_private = tmp_path / "private"
    shutil.copytree(private, again_private)  # the same key and identifiers
    again = tmp_path / "out"
    proc = _run_build(export8.root, again, again_private)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list(again.rglob("*.dcm"))) < 12:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (again / "SHA256SUMS.txt").exists(), "killed before the end"
    assert _run_build(export8.root, again, again_private).wait() == 0
    assert (again / "SHA256SUMS.txt").read_bytes() == (out / "SHA256SUMS.txt").read_bytes()


def _ids(out: Path) -> set[tuple[str, str, str]]:
    return {
        (r["subject_id"], r["study_id"], r["dicom_id"])
        for r in read_table(out / "cxr-record-list.csv.gz")
    }


def test_an_incremental_build_keeps_every_identifier_and_split(
    export8: SynthSummary,
    tmp_path: Path,
) -> None:
    part = tmp_path / "part"
    shutil.copytree(export8.root / "reports", part / "reports")
    rows = _truth_images(export8.root)
    assert {r["patient_index"] for r in rows} > {str(i) for i in range(6)}, "patients come later"
    for row in rows:
        if int(row["patient_index"]) < 6:
            (part / row["file"]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(export8.root / row["file"], part / row["file"])
    private = tmp_path / "private"
    options = BuildOptions(workers=2, validate_patients=2, jpg=False)
    build(part, tmp_path / "out1", private, options=options)
    # the release grows in place (out1 is kept to compare): only the new images are scrubbed
    shutil.copytree(tmp_path / "out1", tmp_path / "out2")
    build(export8.root, tmp_path / "out2", private, options=options)
    first, second = _ids(tmp_path / "out1"), _ids(tmp_path / "out2")
    assert first < second
    split1 = {
        r["subject_id"]: r["split"]
        for r in read_table(tmp_path / "out1" / "mimic-cxr-2.0.0-split.csv.gz")
    }
    split2 = {
        r["subject_id"]: r["split"]
        for r in read_table(tmp_path / "out2" / "mimic-cxr-2.0.0-split.csv.gz")
    }
    assert all(split2[s] == v for s, v in split1.items())


def test_a_dask_build_equals_the_process_pool_build(
    export8: SynthSummary,
    release8: tuple[BuildSummary, Path, Path],
    tmp_path: Path,
) -> None:
    from distributed import LocalCluster

    _, out, private = release8
    dask_private = tmp_path / "private"
    shutil.copytree(private, dask_private)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        options = BuildOptions(
            scheduler=cluster.scheduler_address,
            validate_patients=_held(out),
            test_patients=out.parent / "test_patients.csv",
        )
        build(export8.root, tmp_path / "out", dask_private, options=options)
    assert (tmp_path / "out" / "SHA256SUMS.txt").read_bytes() == (
        out / "SHA256SUMS.txt"
    ).read_bytes()


def test_tables_are_gzip_without_timestamps(release8: tuple[BuildSummary, Path, Path]) -> None:
    _, out, _ = release8
    for name in TABLES:
        data = (out / name).read_bytes()
        assert data[4:8] == b"\x00\x00\x00\x00", name  # gzip MTIME is zero
        assert gzip.decompress(data).startswith(
            b"subject_id"
            if "list" in name or "chexpert" in name or "negbio" in name
            else b"dicom_id"
        )


def _a_released_image(
    release: tuple[BuildSummary, Path, Path], tmp_path: Path, index: int
) -> tuple[Path, Path, Path, list[str], list[str]]:
    """A copy of the release, its ``index``-th image, and the patient's known names and IDs."""
    from cxrkit.identity.keystore import Keystore

    _, out, private = release
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    image = sorted((copy / "files").rglob("*.dcm"))[index]
    subject = int(image.relative_to(copy).parts[2][1:])
    known = Keystore.open(private).known_phi()
    names = [v for s, k, v in known if s == subject and k == "name" and "^" in v]
    ids = [v for s, k, v in known if s == subject and k == "id" and len(v) >= 7]
    return copy, private, image, names, ids


def test_the_leak_audit_finds_planted_leaks(
    release8: tuple[BuildSummary, Path, Path], tmp_path: Path
) -> None:
    import cv2
    import numpy as np
    import pydicom

    copy, private, image, names, ids = _a_released_image(release8, tmp_path, 0)
    family = names[0].split("^")[0]
    report = next(image.parent.parent.glob(f"{image.parent.name}.txt"))
    report.write_text(report.read_text() + f" MRN {ids[0]}\n")
    ds = pydicom.dcmread(image)
    ds.ImageComments = f"seen by {family.upper()}"
    pixels = ds.pixel_array.copy()
    ink = np.zeros(pixels.shape, np.uint8)
    cv2.putText(ink, f"{family.upper()}  {ids[0]}", (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 255, 3)
    top = (1 << int(ds.BitsStored)) - 1
    pixels[ink > 0] = 0 if ds.PhotometricInterpretation == "MONOCHROME1" else top
    ds.PixelData = pixels.tobytes()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.save_as(image, enforce_file_format=True)
    report_ = verify(copy, private, workers=2)
    places = {key.split(" in ")[-1] for key in report_.problems if key.startswith("leak")}
    assert {"report", "header", "pixels"} <= places
    assert report_.leaks == 3


def test_the_audit_reads_a_name_turned_along_the_edge(
    release8: tuple[BuildSummary, Path, Path], tmp_path: Path
) -> None:
    """A name and birth date printed along the left edge (turned 90°, anti-aliased), as CR
    readers print them, in a released image: the audit reads every orientation itself."""
    import cv2
    import numpy as np
    import pydicom

    copy, private, image, names, _ = _a_released_image(release8, tmp_path, 1)
    family, given = names[0].split("^")[:2]
    ds = pydicom.dcmread(image)
    pixels = ds.pixel_array.copy()
    line = np.zeros((40, 560), np.uint8)
    text = f"{family.upper()} {given.upper()}"
    cv2.putText(line, text, (4, 30), cv2.FONT_HERSHEY_DUPLEX, 0.9, 255, 2, cv2.LINE_AA)
    ink = np.rot90(line)  # reads bottom to top
    h, w = ink.shape
    top = (1 << int(ds.BitsStored)) - 1
    value = 0 if ds.PhotometricInterpretation == "MONOCHROME1" else top
    region = pixels[40 : 40 + h, 4 : 4 + w].astype(np.float64)
    cover = ink.astype(np.float64) / 255.0
    pixels[40 : 40 + h, 4 : 4 + w] = np.round(region * (1 - cover) + value * cover)
    ds.PixelData = pixels.tobytes()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.save_as(image, enforce_file_format=True)
    report_ = verify(copy, private, workers=2)
    places = {key.split(" in ")[-1] for key in report_.problems if key.startswith("leak")}
    assert "pixels" in places


def test_stats_reproduce_the_summary_tables(
    release8: tuple[BuildSummary, Path, Path], tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from cxrkit.cli import main

    summary, out, _ = release8
    result = CliRunner().invoke(main, ["stats", str(out), "-o", str(tmp_path / "stats")])
    assert result.exit_code == 0, result.output
    assert "## images_per_examination" in result.stdout
    with (tmp_path / "stats" / "images_per_examination.csv").open(encoding="utf-8") as fh:
        assert sum(int(r["images"]) for r in csv.DictReader(fh)) == summary.images
    with (tmp_path / "stats" / "split.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["split"] for r in rows} == {"train", "validate", "test"}
    assert sum(int(r["frontal"]) + int(r["lateral"]) + int(r["other"]) for r in rows) == (
        summary.images
    )
    assert (tmp_path / "stats" / "labels.png").stat().st_size > 1000


def test_the_release_loads_as_mimic_cxr_jpg(release8: tuple[BuildSummary, Path, Path]) -> None:
    import numpy as np

    import cxrkit
    from cxrkit.loaders import load

    summary, out, _ = release8
    assert cxrkit.build is build
    ds = load("mimic-cxr-jpg", out / "jpg")
    assert len(ds) == summary.images
    assert ds.table["subject_id"].astype(str).str.fullmatch(r"1\d{7}").all()
    assert ds.table["study_id"].astype(str).str.fullmatch(r"5\d{7}").all()
    assert set(ds.table["split"]) == {"train", "validate", "test"}
    sample = ds[0]
    assert sample.image.dtype == np.uint8 and sample.image.ndim == 2
    assert set(sample.labels) >= {"Atelectasis", "No Finding"}


def test_released_dicom_gains_no_conformance_error(
    release8: tuple[BuildSummary, Path, Path],
    export8: SynthSummary,
) -> None:
    import sqlalchemy as sa

    from cxrkit.dicom.conformance import new_errors
    from cxrkit.identity.keystore import Keystore, images

    _, out, private = release8
    keystore = Keystore.open(private)
    with keystore.engine.connect() as conn:
        sop_of = {
            d: s for s, d in conn.execute(sa.select(images.c.sop_instance_uid, images.c.dicom_id))
        }
    with (export8.root / "truth" / "images.csv").open(encoding="utf-8") as fh:
        rows = {r["sop_instance_uid"]: r for r in csv.DictReader(fh) if not r["broken"]}
    checked = set()
    for path in sorted((out / "files").rglob("*.dcm")):
        row = rows[sop_of[path.stem]]
        kind = (row["modality"], row["transfer_syntax"], row["photometric"])
        if kind in checked:
            continue
        checked.add(kind)
        assert new_errors(export8.root / row["file"], path) == set(), kind
    chest = [r for r in rows.values() if r["chest"] == "True"]
    assert checked == {(r["modality"], r["transfer_syntax"], r["photometric"]) for r in chest}


def test_a_gzip_build_verifies(tmp_path: Path) -> None:
    from cxrkit.sources.synth import synthesize

    synthesize(tmp_path / "src", patients=3, seed=21, workers=1)
    summary = build(
        tmp_path / "src",
        tmp_path / "out",
        tmp_path / "private",
        options=BuildOptions(workers=1, gzip=True, jpg=False),
    )
    files = sorted((tmp_path / "out" / "files").rglob("*.dcm.gz"))
    assert len(files) == summary.images > 0
    assert not list((tmp_path / "out").rglob("*.jpg"))
    report = verify(tmp_path / "out", tmp_path / "private", workers=1)
    assert report.ok, dict(report.problems)


def test_an_audit_with_the_wrong_workspace_is_refused(
    release8: tuple[BuildSummary, Path, Path], tmp_path: Path
) -> None:
    from cxrkit.errors import ConfigError
    from cxrkit.identity.keystore import Keystore

    _, out, _ = release8
    with pytest.raises(ConfigError, match="not a private workspace"):
        verify(out, tmp_path / "nothing")
    Keystore.open(tmp_path / "fresh")  # a key and an empty keystore
    with pytest.raises(ConfigError, match="knows no PHI values"):
        verify(out, tmp_path / "fresh")
