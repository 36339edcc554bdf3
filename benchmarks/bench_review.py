"""Benchmark: the review app's first and next image on a 5,000-image release (issue 18).

Run on demand, not in the test suite::

    python benchmarks/bench_review.py --images 5000 --size 2500x3000

Writes a release-shaped folder: one full-size 16-bit radiograph (synthetic noise) hard-linked
under ``--images`` release paths, with the record, study and metadata tables (every image
still decoded from its own path, the page cache warm as on a server that read it once). Then:
the draw of the sample (once, at set-up: it reads every image's header), the start of the
app (the store, the release index), and over HTTP on a free port the time to the first
image (queue + item + PNG), the next image cold (nothing prefetched) and prefetched (as the
page does while the reader reads the one before); then in headless Chromium
(``/usr/bin/chromium``) as another reader: page open → first image shown, and key 1 → next
image shown after 1.5 s of reading each. Appends to
``benchmarks/results/bench_review.jsonl``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import cv2
import httpx
import numpy as np
import pydicom
import uvicorn
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from cxrkit.identity.keys import load_or_create_key
from cxrkit.release.layout import image_path, report_path, write_report
from cxrkit.release.tables import write_csv_gz
from cxrkit.review import app as web

RESULTS = Path(__file__).parent / "results" / "bench_review.jsonl"


def _radiograph(path: Path, rows: int, cols: int) -> None:
    ds = pydicom.Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.Modality, ds.Manufacturer, ds.ViewPosition = "CR", "BENCH", "PA"
    ds.PatientName, ds.PatientID, ds.StudyDate = "10000001", "10000001", "21500101"
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, cols, 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    # a smooth field plus mild noise: compresses like a radiograph (pure noise would not)
    rng = np.random.default_rng(1)
    field = cv2.GaussianBlur(rng.random((rows, cols), dtype=np.float32), (0, 0), 12)
    field = (field - field.min()) / (field.max() - field.min()) * 3000 + 500
    ds.PixelData = (field + rng.normal(0, 20, field.shape)).astype(np.uint16).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def make_release(out: Path, images: int, rows: int, cols: int) -> None:
    source = out / "source.dcm"
    _radiograph(source, rows, cols)
    records, studies = [], []
    for n in range(images):
        subject, study = 10_000_000 + n // 4, 50_000_000 + n // 2
        rel = image_path(subject, study, f"img{n:06d}").as_posix()
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        os.link(source, out / rel)
        records.append({"subject_id": subject, "study_id": study, "dicom_id": f"img{n:06d}"})
        records[-1] |= {"path": rel, "ViewPosition": "PA"}
        if n % 2 == 0:
            write_report(out, subject, study, "FINDINGS: clear.\nIMPRESSION: ___ normal.")
            studies.append({"subject_id": subject, "study_id": study})
            studies[-1]["path"] = report_path(subject, study).as_posix()
    source.unlink()
    write_csv_gz(
        out / "cxr-record-list.csv.gz", ("subject_id", "study_id", "dicom_id", "path"), records
    )
    write_csv_gz(out / "cxr-study-list.csv.gz", ("subject_id", "study_id", "path"), studies)
    columns = ("dicom_id", "subject_id", "study_id", "ViewPosition")
    write_csv_gz(out / "mimic-cxr-2.0.0-metadata.csv.gz", columns, records)
    for name in ("chexpert", "negbio"):
        write_csv_gz(out / f"mimic-cxr-2.0.0-{name}.csv.gz", ("subject_id", "study_id"), [])


def _get(client: httpx.Client, path: str) -> float:
    t0 = time.perf_counter()
    reply = client.get(path)
    reply.raise_for_status()
    return time.perf_counter() - t0


def _start(out: Path, private: Path) -> tuple[str, uvicorn.Server]:
    """``cxrkit review``'s start: open the review, warm up, serve on a free port."""
    review = web.open_review(out, private)
    sock = web.bind("127.0.0.1", 0)
    web.warm_up(review)
    server = web.server(web.create_app(review, tokens=False))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.005)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server


def measure(out: Path, private: Path, sample: int) -> dict[str, float]:
    load_or_create_key(private)  # the workspace a build would have made
    t0 = time.perf_counter()
    review = web.open_review(out, private)
    for name in ("ann", "bob"):
        review.store.add_reader(name)
    review.draw("image", sample, ["ann", "bob"], {})
    timings = {"draw_s": time.perf_counter() - t0}
    timings |= over_http(out, private)
    timings |= in_browser(out, private)
    return timings


def over_http(out: Path, private: Path) -> dict[str, float]:
    """A start (the sample already drawn), then reader ann's items over HTTP."""
    t0 = time.perf_counter()
    url, server = _start(out, private)
    timings = {}
    with httpx.Client(base_url=url, headers={"X-Reader": "ann"}, timeout=30) as client:
        queue = client.get("/api/queue").json()
        first, second, third = (f"/api/items/{q['item']}" for q in queue[:3])
        fit, full = "/image.png?preset=full&size=fit", "/image.png?preset=full"
        _get(client, first)
        _get(client, first + fit)
        timings["first_image_after_start_s"] = time.perf_counter() - t0
        timings["first_full_resolution_s"] = _get(client, first + full)
        timings["next_cold_fit_s"] = _get(client, second) + _get(client, second + fit)
        timings["next_cold_full_s"] = _get(client, second + full)
        for path in (third, third + fit, third + full):  # the page prefetches these
            _get(client, path)
        timings["next_prefetched_json_s"] = _get(client, third)
        timings["rewindow_fit_s"] = _get(client, third + "/image.png?lo=1&hi=9&size=fit")
        timings["rewindow_full_s"] = _get(client, third + "/image.png?lo=1&hi=9")
    server.should_exit = True
    return timings


def in_browser(out: Path, private: Path, steps: int = 6) -> dict[str, float]:
    """In headless Chromium (started first), as reader bob: a start of the app → bob's first
    image shown; then, after 1.5 s of reading each, key 1 → next image shown."""
    from playwright.sync_api import sync_playwright

    shown = (
        "p => document.body.dataset.item && document.body.dataset.item != p"
        " && document.querySelector('#pix').complete"
        " && document.querySelector('#pix').naturalWidth > 0"
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 900})
        t0 = time.perf_counter()
        url, server = _start(out, private)
        page.goto(f"{url}/as/bob")
        page.wait_for_function(shown, arg="")
        first = time.perf_counter() - t0
        nexts = []
        for _ in range(steps):
            page.wait_for_timeout(1500)
            item = page.evaluate("document.body.dataset.item")
            t1 = time.perf_counter()
            page.keyboard.press("1")
            page.wait_for_function(shown, arg=item)
            nexts.append(time.perf_counter() - t1)
        browser.close()
        server.should_exit = True
    return {"browser_first_image_after_start_s": first, "browser_next_image_max_s": max(nexts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--sample", type=int, default=2995)
    parser.add_argument("--size", default="2500x3000", help="ROWSxCOLS of every image")
    args = parser.parse_args()
    rows, cols = (int(v) for v in args.size.split("x"))
    base = Path(tempfile.mkdtemp(prefix="bench-review-"))
    try:
        make_release(base / "out", args.images, rows, cols)
        timings = measure(base / "out", base / "private", min(args.sample, args.images))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    result = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **vars(args)}
    result |= {k: round(v, 4) for k, v in timings.items()}
    print(json.dumps(result, indent=1))
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
