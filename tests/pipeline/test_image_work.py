"""Per-image work on tiny blank radiographs (the scrub takes milliseconds on them): what one
image writes, what it returns, and what is left out, in the driver process."""

from __future__ import annotations

import gzip
from pathlib import Path

import pydicom
import pytest
import tiny_export as tiny

from cxrkit.dicom.headers import Pseudonyms
from cxrkit.pipeline.image_work import (
    OutputOptions,
    dicom_rel,
    jpg_rel,
    process_image,
    run_images,
)
from cxrkit.pipeline.plan import WorkItem
from cxrkit.release.layout import image_path

DICOM_ID = "0a0b0c0d-00000000-00000000-00000000-00000001"
IDS = Pseudonyms(10_000_001, 50_000_001, 36_500, bytes(32))


def _item(source: Path, n: int = 1) -> WorkItem:
    dicom_id = f"{DICOM_ID[:-1]}{n}"
    out = image_path(IDS.subject_id, IDS.study_id, dicom_id).as_posix()
    return WorkItem(str(source), source.name, IDS, dicom_id, out)


def test_an_image_is_written_with_its_jpg_and_metadata_row(tmp_path: Path) -> None:
    item = _item(tiny.image(tmp_path / "src" / "a", "MRN1", "ACC1", 0))
    options = OutputOptions(str(tmp_path / "out"), str(tmp_path / "jpg"))
    result = process_image(item, options)
    assert result.left_out is None and result.out_rel == item.out_rel
    ds = pydicom.dcmread(tmp_path / "out" / item.out_rel)
    assert ds.PatientID == str(IDS.subject_id) and "Doe" not in str(ds.PatientName)
    assert (tmp_path / "jpg" / jpg_rel(item)).read_bytes()[:2] == b"\xff\xd8"
    assert result.metadata is not None
    assert (result.metadata["dicom_id"], result.metadata["subject_id"]) == (
        item.dicom_id,
        IDS.subject_id,
    )
    assert set(result.seconds) >= {"decode", "header", "pixels", "write"}


def test_a_gzip_release_gets_dcm_gz(tmp_path: Path) -> None:
    item = _item(tiny.image(tmp_path / "a", "MRN1", "ACC1", 0))
    options = OutputOptions(str(tmp_path / "out"), gzip=True)
    assert dicom_rel(item, options) == item.out_rel + ".gz"
    result = process_image(item, options)
    data = gzip.decompress((tmp_path / "out" / result.out_rel).read_bytes())
    assert data[128:132] == b"DICM"


def test_a_resumed_image_is_read_back_not_written_again(tmp_path: Path) -> None:
    item = _item(tiny.image(tmp_path / "a", "MRN1", "ACC1", 0))
    out = tmp_path / "out"
    first = process_image(item, OutputOptions(str(out)))
    written = (out / item.out_rel).stat().st_mtime_ns
    again = process_image(item, OutputOptions(str(out), resume=True))
    assert (out / item.out_rel).stat().st_mtime_ns == written
    assert again.metadata == first.metadata and again.seconds == {}
    (out / item.out_rel).write_bytes(b"cut short")  # damaged since: written again
    assert process_image(item, OutputOptions(str(out), resume=True)).seconds


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda p: tiny.edited(p, "MRN1", "ACC1", 0, PixelData=None), "no-pixel-data"),
        (lambda p: tiny.truncated_pixels(p, "MRN1", "ACC1", 0), "unreadable-pixels"),
    ],
)
def test_an_image_that_cannot_be_used_is_left_out_with_its_kind(
    tmp_path: Path, make: object, kind: str
) -> None:
    source = make(tmp_path / "a")  # type: ignore[operator]
    result = process_image(_item(source), OutputOptions(str(tmp_path / "out")))
    assert result.out_rel == "" and result.left_out is not None
    assert (result.left_out.source, result.left_out.stage, result.left_out.kind) == (
        "a",
        "image",
        kind,
    )
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.dcm"))


def test_run_images_returns_results_in_work_order(tmp_path: Path) -> None:
    work = [_item(tiny.image(tmp_path / f"i{n}", "MRN1", "ACC1", n), n) for n in range(10)]
    seen: list[tuple[str, int, int]] = []
    results = run_images(
        work,
        OutputOptions(str(tmp_path / "out")),
        workers=1,
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    assert [r.rel for r in results] == [w.rel for w in work]
    assert seen[-1] == ("de-identifying images", 10, 10)
