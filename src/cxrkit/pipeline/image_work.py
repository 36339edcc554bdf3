"""Per-image work, run by the executor's workers: decode once, de-identify, scrub, write.

:func:`process_batch` is a pure function of its arguments (paths, pseudonyms, output options);
each output file is written under a temporary name and renamed into place, and one
:class:`ImageResult` comes back per image. A failure quarantines that image; the batch goes on.
An image whose outputs already exist (a resumed build) is not redone: its metadata row is read
back from the written file.
"""

from __future__ import annotations

import concurrent.futures as cf
import io
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset

from cxrkit.derive.jpg import encode_jpg
from cxrkit.derive.metadata import metadata_row
from cxrkit.dicom.headers import deidentify_header
from cxrkit.dicom.scrub import PixelDenyList, encode_pixels, record_scrub, scrub_pixels
from cxrkit.errors import NotDicomError, OutputError
from cxrkit.pipeline.environment import os_fault
from cxrkit.pipeline.executors import isolated_executor, make_executor, worker_death_errors
from cxrkit.pipeline.plan import WorkItem
from cxrkit.pipeline.quarantine import Quarantined
from cxrkit.release.layout import write_atomic
from cxrkit.release.tables import gzip_bytes
from cxrkit.sources.discover import read_dataset, read_source

#: ``progress(stage, done, total)``: the pipeline's progress callback (stage names hold no PHI).
Progress = Callable[[str, int, int], None]
BATCH = 8  # images per task: small enough to balance, large enough to amortise the overhead


@dataclass(frozen=True)
class OutputOptions:
    """Where and how images are written."""

    out_root: str
    jpg_root: str = ""  # "" for no JPG tree
    gzip: bool = False  # ``.dcm.gz`` instead of ``.dcm``
    resume: bool = False  # keep outputs that already exist


@dataclass(frozen=True)
class ImageResult:
    rel: str  # source path relative to the source root (private)
    out_rel: str  # release path, "" when not written
    left_out: Quarantined | None = None  # why it was not written
    boxes: int = 0
    metadata: dict[str, Any] | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # per stage, for the summary


def dicom_rel(item: WorkItem, options: OutputOptions) -> str:
    return item.out_rel + (".gz" if options.gzip else "")


def jpg_rel(item: WorkItem) -> str:
    return item.out_rel[: -len(".dcm")] + ".jpg"


def _serialise(ds: Dataset, compress: bool) -> bytes:
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return gzip_bytes(buf.getvalue()) if compress else buf.getvalue()


def _row(ds: Dataset, item: WorkItem) -> dict[str, Any]:
    return metadata_row(
        ds, dicom_id=item.dicom_id, subject_id=item.ids.subject_id, study_id=item.ids.study_id
    )


def _resumed(item: WorkItem, options: OutputOptions) -> ImageResult | None:
    path = Path(options.out_root) / dicom_rel(item, options)
    if not options.resume or not path.exists():
        return None
    if options.jpg_root and not (Path(options.jpg_root) / jpg_rel(item)).exists():
        return None
    try:
        ds = read_dataset(path, pixels=False)
        row = _row(ds, item)
    except Exception:  # damaged since it was written (cut short, elements lost): write it again
        return None
    return ImageResult(item.rel, dicom_rel(item, options), None, 0, row)


def _left_out(item: WorkItem, kind: str, detail: str = "") -> ImageResult:
    return ImageResult(item.rel, "", Quarantined(item.rel, "image", kind, detail=detail))


class _Clock:
    """Seconds spent per stage of one image."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - self._last
        self._last = now


def _write(path: Path, data: bytes, options: OutputOptions) -> None:
    """Write a release file; a fault of the release folder (disk full, read-only) stops the
    build (:class:`~cxrkit.errors.OutputError`): it is no fault of the image."""
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise os_fault(exc, {"OUT": Path(options.out_root)}) from None


def _deidentify(
    ds: Dataset, array: Any, item: WorkItem, options: OutputOptions, clock: _Clock
) -> ImageResult:
    transfer_syntax = str(ds.file_meta.TransferSyntaxUID)
    deny = PixelDenyList.from_dataset(ds, extra=item.extra_deny)
    deidentify_header(ds, item.ids)
    clock.lap("header")
    photometric = str(ds.PhotometricInterpretation)
    result = scrub_pixels(array, photometric=photometric, bits_stored=int(ds.BitsStored), deny=deny)
    clock.lap("pixels")
    if not result.verified:
        return _left_out(item, "burned-in-unproven", result.reason)
    record_scrub(ds, result)
    if result.boxes:
        encode_pixels(ds, result.array, transfer_syntax)
    clock.lap("encode")
    if options.jpg_root:
        _write(
            Path(options.jpg_root) / jpg_rel(item), encode_jpg(result.array, photometric), options
        )
        clock.lap("jpg")
    _write(Path(options.out_root) / dicom_rel(item, options), _serialise(ds, options.gzip), options)
    clock.lap("write")
    return ImageResult(
        item.rel, dicom_rel(item, options), None, len(result.boxes), _row(ds, item), clock.seconds
    )


def process_image(item: WorkItem, options: OutputOptions) -> ImageResult:
    """De-identify one image (header and pixels) into the release tree."""
    done = _resumed(item, options)
    if done is not None:
        return done
    clock = _Clock()
    try:
        ds = read_source(Path(item.source))  # as the plan read it
    except NotDicomError as exc:
        return _left_out(item, exc.kind or "unreadable-dicom", str(exc))
    if "PixelData" not in ds:
        return _left_out(item, "no-pixel-data")
    try:
        array = ds.pixel_array
    except Exception as exc:  # any pixel data that cannot be decoded is quarantined
        return _left_out(item, "unreadable-pixels", type(exc).__name__)
    clock.lap("decode")
    try:
        return _deidentify(ds, array, item, options, clock)
    except OutputError:
        raise  # the release folder's fault: stops the build
    except Exception as exc:  # bad input never stops a build
        return _left_out(item, "deid-failed", type(exc).__name__)


def process_batch(items: list[WorkItem], options: OutputOptions) -> list[ImageResult]:
    """Process a batch of images; warnings are silenced (they could name a source path)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [process_image(item, options) for item in items]


def run_images(
    work: list[WorkItem],
    options: OutputOptions,
    *,
    workers: int,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> list[ImageResult]:
    """Every image of ``work`` through the executor, in batches, results in ``work`` order.

    A batch whose worker process died (a local pool is then broken, and every batch not yet
    done fails with it; Dask gives up on a task with ``KilledWorker`` after its own retries)
    is run once more, alone in a fresh worker process (``workers`` of them at a time); if that
    worker dies too, the batch's images are quarantined (``worker-died``).
    """
    batches = [work[i : i + BATCH] for i in range(0, len(work), BATCH)]
    done: dict[int, list[ImageResult]] = {}
    died = worker_death_errors(scheduler)
    with make_executor(workers, scheduler) as executor:
        futures = [executor.submit(process_batch, b, options) for b in batches]
        try:
            for n, future in enumerate(futures):
                try:
                    done[n] = future.result()
                except died:
                    continue  # run again below
                if progress is not None:
                    progress("de-identifying images", sum(map(len, done.values())), len(work))
        except BaseException:  # a fault of the release folder, an interrupt: stop soon
            for future in futures:
                future.cancel()
            raise
    missing = sorted(set(range(len(batches))) - set(done))
    with cf.ThreadPoolExecutor(max_workers=max(1, workers)) as threads:  # each in its own worker
        retried = threads.map(lambda n: _retry(batches[n], options, scheduler), missing)
        done.update(zip(missing, retried, strict=True))
    return [result for n in range(len(batches)) for result in done[n]]


def _retry(
    batch: list[WorkItem], options: OutputOptions, scheduler: str | None
) -> list[ImageResult]:
    """A batch whose worker died, run once more on its own worker."""
    with isolated_executor(scheduler) as executor:
        try:
            results: list[ImageResult] = executor.submit(process_batch, batch, options).result()
        except worker_death_errors(scheduler) as exc:
            return [_left_out(item, "worker-died", type(exc).__name__) for item in batch]
    return results
