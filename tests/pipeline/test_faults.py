"""Bad DICOM input never stops a build: each fault is quarantined with its kind, and every
entry under ``SRC/dicom`` ends in the release or in the quarantine list, file for file."""

from __future__ import annotations

import csv
import dataclasses
import os
import pathlib
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tiny_export as tiny
from click.testing import CliRunner, Result

from cxrkit.cli import main
from cxrkit.identity.keystore import Keystore, images
from cxrkit.pipeline import image_work
from cxrkit.release.verify import verify

Maker = Callable[[Path], Any]
LATIN1_NAME = os.fsdecode(b"Mu\xf1oz")  # not UTF-8: a Latin-1 file name


def safe_name(name: str) -> str:
    """As the quarantine list writes a path: bytes that are not UTF-8 escaped."""
    return os.fsencode(name).decode("utf-8", errors="backslashreplace")


def run_build(src: Path, base: Path, *extra: str) -> Result:
    """``cxrkit build`` in-process; fails the test if the console shows a PHI value."""
    args = ["build", str(src), str(base / "out"), "--private", str(base / "private")]
    result = CliRunner().invoke(main, [*args, "--workers", "1", "-q", *extra])
    if result.exception and not isinstance(result.exception, SystemExit):
        traceback.print_exception(result.exception)
    shown = [v for v in ("Doe", "Jane", "MRN", "ACC", "Mu") if v in result.output]
    assert not shown, result.output
    return result


def quarantine(private: Path) -> dict[str, str]:
    """source (escaped) → kind."""
    with (private / "quarantine.csv").open(encoding="utf-8", newline="") as fh:
        return {r["source"]: r["kind"] for r in csv.DictReader(fh)}


def _fifo(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)


def _loop(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(path.name)


def _dangling(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to("nowhere")


def _text(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("not an image\n", encoding="utf-8")


# name → (where under dicom/, how it is made, the kind it is quarantined with)
FAULTS: dict[str, tuple[str, Maker, str]] = {
    "unknown VR": (
        "P0/ACC00/um",
        lambda p: tiny.unknown_vr(p, "MRN0", "ACC00", 7),
        "unreadable-dicom",
    ),
    "deep sequences": (
        "P0/ACC00/deep",
        lambda p: tiny.deep_sequence(p, "MRN0", "ACC00", 8),
        "unreadable-dicom",
    ),
    "not DICOM": ("P0/notes.txt", _text, "not-dicom"),
    "not-UTF-8 name": (f"P0/{LATIN1_NAME}.txt", _text, "not-dicom"),
    "symlink loop": ("P0/ACC00/loop", _loop, "bad-link"),
    "dangling link": ("P0/ACC00/dangling", _dangling, "bad-link"),
    "FIFO": ("P0/ACC00/fifo", _fifo, "special-file"),
    "no PatientID": (
        "P0/ACC00/nopid",
        lambda p: tiny.edited(p, "MRN0", "ACC00", 9, PatientID=None),
        "missing-element",
    ),
    "not chest": (
        "P0/ACC00/pelvis",
        lambda p: tiny.edited(p, "MRN0", "ACC00", 10, BodyPartExamined="PELVIS"),
        "not-chest",
    ),
    "no pixel data": (
        "P0/ACC00/nopixels",
        lambda p: tiny.edited(p, "MRN0", "ACC00", 11, PixelData=None),
        "no-pixel-data",
    ),
    "truncated pixels": (
        "P0/ACC00/short",
        lambda p: tiny.truncated_pixels(p, "MRN0", "ACC00", 12),
        "unreadable-pixels",
    ),
    "no report": ("P0/ACC09/IM0", lambda p: tiny.image(p, "MRN0", "ACC09", 0), "no-report"),
}


@pytest.fixture
def locked(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], None]:
    """Make a file or folder unreadable (as root, chmod would not: patch the opening)."""
    real_open, real_scandir = pathlib.Path.open, os.scandir

    def lock(target: Path) -> None:
        def fake_open(self: Path, *args: Any, **kwargs: Any) -> Any:
            if self == target:
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kwargs)

        def fake_scandir(path: Any = ".") -> Any:
            if Path(path) == target:
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        monkeypatch.setattr(pathlib.Path, "open", fake_open)
        monkeypatch.setattr(os, "scandir", fake_scandir)

    return lock


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_bad_dicom_entry_is_quarantined_and_the_rest_built(fault: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    tiny.export(src, patients=1, studies=1)
    rel, make, kind = FAULTS[fault]
    make(src / "dicom" / rel)
    result = run_build(src, tmp_path)
    assert result.exit_code == (0 if kind == "not-chest" else 3), result.output
    assert "Traceback" not in result.output
    assert quarantine(tmp_path / "private") == {safe_name(rel): kind}
    assert f"{kind}:" in result.output
    assert len(list((tmp_path / "out" / "files").rglob("*.dcm"))) == 2


def test_an_unreadable_file_and_folder_are_listed(
    tmp_path: Path, locked: Callable[[Path], None]
) -> None:
    src = tmp_path / "src"
    tiny.export(src, patients=2, studies=1)
    locked(src / "dicom" / "P1")
    result = run_build(src, tmp_path)
    assert result.exit_code == 3, result.output
    # the folder is listed, its report has no images left
    assert quarantine(tmp_path / "private") == {
        "P1": "unreadable-folder",
        "reports/ris.csv": "report-without-images",
    }
    locked(src / "dicom" / "P0" / "ACC00" / "IM1")
    result = run_build(src, tmp_path / "again")
    assert result.exit_code == 3, result.output
    assert quarantine(tmp_path / "again" / "private")["P0/ACC00/IM1"] == "unreadable-file"


def test_a_dataset_without_preamble_is_released(tmp_path: Path) -> None:
    src = tmp_path / "src"
    tiny.export(src, patients=1, studies=1, images=1)
    tiny.without_preamble(src / "dicom" / "P0" / "ACC00" / "raw", "MRN0", "ACC00", 5)
    result = run_build(src, tmp_path)
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "out" / "files").rglob("*.dcm"))) == 2
    assert verify(tmp_path / "out", tmp_path / "private", ocr=False).ok


def test_a_good_image_under_a_latin1_folder_is_released(tmp_path: Path) -> None:
    src = tmp_path / "src"
    tiny.export(src, patients=1, studies=1, images=1)
    tiny.image(src / "dicom" / LATIN1_NAME / "IM5", "MRN0", "ACC00", 5)
    _text(src / "dicom" / LATIN1_NAME / "readme")
    result = run_build(src, tmp_path)
    assert result.exit_code == 3, result.output
    assert quarantine(tmp_path / "private") == {"Mu\\xf1oz/readme": "not-dicom"}
    assert len(list((tmp_path / "out" / "files").rglob("*.dcm"))) == 2


def _released_sops(out: Path, private: Path) -> set[str]:
    keystore = Keystore.open(private)
    with keystore.engine.connect() as conn:
        dicom_ids = dict(
            conn.execute(
                images.select().with_only_columns(images.c.dicom_id, images.c.sop_instance_uid)
            ).all()
        )
    return {dicom_ids[p.stem] for p in (out / "files").rglob("*.dcm")}


def _fail_in_image_stage(monkeypatch: pytest.MonkeyPatch, burned: Path, broken: Path) -> None:
    """The pixel proof fails on ``burned`` and the header de-identification on ``broken``
    (the build runs in this process: ``--workers 1``)."""
    sops = {tiny.sop_uid(burned): "burned", tiny.sop_uid(broken): "broken"}
    current: list[str] = [""]
    real_header, real_scrub = image_work.deidentify_header, image_work.scrub_pixels

    def deidentify_header(ds: Any, ids: Any) -> Any:
        current[0] = sops.get(str(ds.SOPInstanceUID), "")
        if current[0] == "broken":
            raise RecursionError("maximum recursion depth exceeded")
        return real_header(ds, ids)

    def scrub_pixels(*args: Any, **kwargs: Any) -> Any:
        result = real_scrub(*args, **kwargs)
        if current[0] == "burned":
            return dataclasses.replace(result, verified=False, reason="a name token remains")
        return result

    monkeypatch.setattr(image_work, "deidentify_header", deidentify_header)
    monkeypatch.setattr(image_work, "scrub_pixels", scrub_pixels)


def test_every_entry_is_released_or_listed_file_for_file(
    tmp_path: Path, locked: Callable[[Path], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    good = tiny.export(src, patients=2, studies=2)
    # image-stage faults: burned-in text not proven gone, de-identification failing
    burned = tiny.image(src / "dicom" / "P0" / "ACC01" / "burned", "MRN0", "ACC01", 30)
    broken = tiny.image(src / "dicom" / "P0" / "ACC01" / "broken", "MRN0", "ACC01", 31)
    _fail_in_image_stage(monkeypatch, burned, broken)
    good.append(tiny.without_preamble(src / "dicom" / "P1" / "raw", "MRN1", "ACC11", 7))
    good.append(tiny.image(src / "dicom" / LATIN1_NAME / "IM", "MRN1", "ACC11", 8))
    for rel, make, _ in FAULTS.values():
        make(src / "dicom" / rel)
    duplicate = src / "dicom" / "P0" / "copy"
    duplicate.write_bytes(good[0].read_bytes())
    # another patient's image in MRN1's study ACC10: the whole study is left out
    conflict = [p for p in good if "/ACC10/" in p.as_posix()]
    stray = src / "dicom" / "P1" / "ACC10" / "IM7"
    conflict.append(tiny.edited(stray, "MRN1", "ACC10", 7, PatientID="MRN7"))
    good = [p for p in good if p not in conflict]
    tiny.image(src / "dicom" / "locked" / "IM", "MRN0", "ACC00", 20)
    locked(src / "dicom" / "locked")
    result = run_build(src, tmp_path)
    assert result.exit_code == 3, result.output
    listed = quarantine(tmp_path / "private")
    expected = {safe_name(rel): kind for rel, _, kind in FAULTS.values()}
    expected |= {"P0/copy": "duplicate-image", "locked": "unreadable-folder"}
    expected |= {"P0/ACC01/burned": "burned-in-unproven", "P0/ACC01/broken": "deid-failed"}
    expected |= {p.relative_to(src / "dicom").as_posix(): "study-conflict" for p in conflict}
    assert {k: v for k, v in listed.items() if not k.startswith("reports/")} == expected
    released = _released_sops(tmp_path / "out", tmp_path / "private")
    assert released == {tiny.sop_uid(p) for p in good}
    # file for file: every entry under dicom/ is in exactly one of the two
    entries = {
        safe_name(p.relative_to(src / "dicom").as_posix())
        for p in (src / "dicom").rglob("*")
        if not p.is_dir() or p.name == "locked"
    }
    sources = {safe_name(p.relative_to(src / "dicom").as_posix()) for p in good}
    assert entries == sources | set(expected)
    assert not sources & set(expected)


def test_two_patients_under_one_accession_quarantine_the_whole_study(tmp_path: Path) -> None:
    src = tmp_path / "src"
    tiny.export(src, patients=2, studies=1)
    tiny.image(src / "dicom" / "P1" / "stray", "MRN1", "ACC00", 5)  # MRN1's image, MRN0's study
    result = run_build(src, tmp_path)
    assert result.exit_code == 3, result.output
    listed = quarantine(tmp_path / "private")
    assert listed == {
        "P0/ACC00/IM0": "study-conflict",
        "P0/ACC00/IM1": "study-conflict",
        "P1/stray": "study-conflict",
        "reports/ris.csv": "study-conflict",
    }
    assert len(list((tmp_path / "out" / "files").rglob("s*.txt"))) == 1
    assert verify(tmp_path / "out", tmp_path / "private", ocr=False).ok


def test_an_image_with_another_patient_id_quarantines_its_study(tmp_path: Path) -> None:
    src = tmp_path / "src"
    tiny.export(src, patients=1, studies=2, images=3)
    tiny.edited(src / "dicom" / "P0" / "ACC01" / "IM2", "MRN0", "ACC01", 2, PatientID="MRN7")
    result = run_build(src, tmp_path)
    assert result.exit_code == 3, result.output
    listed = quarantine(tmp_path / "private")
    assert {k for k, v in listed.items() if v == "study-conflict"} == {
        "P0/ACC01/IM0",
        "P0/ACC01/IM1",
        "P0/ACC01/IM2",
        "reports/ris.csv",
    }
    assert len(list((tmp_path / "out" / "files").rglob("*.dcm"))) == 3
    assert verify(tmp_path / "out", tmp_path / "private", ocr=False).ok


def test_a_report_naming_another_patient_quarantines_its_study(tmp_path: Path) -> None:
    src = tmp_path / "src"
    tiny.export(src, patients=1, studies=2)
    tiny.reports(src, [("ACC00", "MRN0"), ("ACC01", "MRN8")])
    result = run_build(src, tmp_path)
    assert result.exit_code == 3, result.output
    listed = quarantine(tmp_path / "private")
    assert listed == {
        "P0/ACC01/IM0": "study-conflict",
        "P0/ACC01/IM1": "study-conflict",
        "reports/ris.csv": "study-conflict",
    }


def test_an_accession_given_to_another_patient_later_is_quarantined(tmp_path: Path) -> None:
    src = tmp_path / "src"
    tiny.export(src, patients=1, studies=1)
    assert run_build(src, tmp_path).exit_code == 0
    later = tmp_path / "later"
    tiny.export(later, patients=1, studies=1)
    for n in range(2):  # the same accession, now another patient's
        tiny.image(later / "dicom" / "P0" / "ACC00" / f"IM{n}", "MRN5", "ACC00", n + 10)
    tiny.reports(later, [("ACC00", "MRN5")])
    result = run_build(later, tmp_path)  # the same OUT and workspace
    assert result.exit_code == 3, result.output
    listed = quarantine(tmp_path / "private")
    assert listed["P0/ACC00/IM0"] == listed["P0/ACC00/IM1"] == "study-conflict"


def test_a_source_with_no_usable_image_gives_an_empty_release(tmp_path: Path) -> None:
    src = tmp_path / "src"
    tiny.export(src, patients=1, studies=1, images=1)
    tiny.truncated_pixels(src / "dicom" / "P0" / "ACC00" / "IM0", "MRN0", "ACC00", 0)
    result = run_build(src, tmp_path)
    assert result.exit_code == 3, result.output
    assert quarantine(tmp_path / "private") == {
        "P0/ACC00/IM0": "unreadable-pixels",
        "reports/ris.csv": "report-without-images",
    }
    assert verify(tmp_path / "out").ok


def test_a_source_without_dicom_folder_is_refused_before_any_work(tmp_path: Path) -> None:
    src = tmp_path / "src"
    tiny.export(src, patients=1, studies=1)
    (src / "dicom").rename(tmp_path / "elsewhere")
    result = run_build(src, tmp_path)
    assert result.exit_code == 1, result.output
    assert "has no dicom/ folder" in result.output
    assert not (tmp_path / "out").exists()
