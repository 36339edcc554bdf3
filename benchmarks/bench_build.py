"""Benchmark: end-to-end build speed on this machine (issue: build and verify).

Run on demand, not in the test suite::

    python benchmarks/bench_build.py --patients 50

One synthetic export; builds into fresh folders with 1 and 2 workers, each with and without
the pixel scrub (the "without" rows replace the scrub by a pass-through in the benchmark
process only — a benchmark device, never a build option), then the JPG stage on the same
images beside a plain reference implementation of the recipe. Prints a table with images/s,
the speed-up of 2 workers, and the per-stage breakdown; appends to
``benchmarks/results/bench_build.jsonl``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pydicom

from cxrkit.derive.jpg import encode_jpg, equalise, to_uint8_reference
from cxrkit.dicom.scrub import ScrubResult
from cxrkit.pipeline import image_work
from cxrkit.pipeline.build import BuildOptions, build
from cxrkit.sources.synth import synthesize

RESULTS = Path(__file__).resolve().parent / "results" / "bench_build.jsonl"


def _no_scrub(array: Any, **_: Any) -> ScrubResult:
    return ScrubResult(array, (), False, True, "")


def _build(src: Path, work: Path, workers: int, scrub: bool) -> dict[str, Any]:
    real = image_work.scrub_pixels
    image_work.scrub_pixels = real if scrub else _no_scrub  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        summary = build(src, work / "out", work / "private", options=BuildOptions(workers=workers))
        seconds = time.perf_counter() - start
    finally:
        image_work.scrub_pixels = real  # type: ignore[assignment]
    return {
        "workers": workers,
        "scrub": scrub,
        "images": summary.images,
        "seconds": round(seconds, 1),
        "images_per_second": round(summary.images / seconds, 2),
        "stages": summary.stage_seconds,
    }


def _jpg_rows(release: Path) -> list[dict[str, Any]]:
    arrays = [
        (pydicom.dcmread(p).pixel_array, "MONOCHROME2")
        for p in sorted(release.rglob("*.dcm"))[:100]
    ]

    def reference(a: Any, photometric: str) -> bytes:
        _, data = cv2.imencode(
            ".jpg", equalise(to_uint8_reference(a, photometric)), [cv2.IMWRITE_JPEG_QUALITY, 95]
        )
        return bytes(np.asarray(data).tobytes())

    rows = []
    for name, fn in (
        ("JPG stage (cxrkit table form)", encode_jpg),
        ("JPG stage (plain recipe)", reference),
    ):
        start = time.perf_counter()
        for a, photometric in arrays:
            fn(a, photometric)
        rows.append(
            {
                "row": name,
                "images_per_second": round(len(arrays) / (time.perf_counter() - start), 1),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        synthesize(root / "src", patients=args.patients, seed=11, workers=2)
        rows = []
        for scrub in (True, False):
            for workers in (1, 2):
                rows.append(_build(root / "src", root / f"b{workers}{scrub}", workers, scrub))
        jpg = _jpg_rows(root / "b2True" / "out" / "files")
    print(f"{'workers':>7} {'scrub':>6} {'images':>7} {'seconds':>8} {'images/s':>9}")
    for r in rows:
        print(
            f"{r['workers']:>7} {r['scrub']!s:>6} {r['images']:>7} {r['seconds']:>8} "
            f"{r['images_per_second']:>9}"
        )
    for scrub in (True, False):
        one, two = (
            next(r for r in rows if r["workers"] == w and r["scrub"] is scrub) for w in (1, 2)
        )
        print(
            f"speed-up of 2 workers (scrub {scrub}): "
            f"{two['images_per_second'] / one['images_per_second']:.2f}x"
        )
    print("per-stage seconds, 2 workers with scrub:", rows[1]["stages"])
    for r in jpg:
        print(f"{r['row']}: {r['images_per_second']} images/s")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with RESULTS.open("a", encoding="utf-8") as fh:
        for r in [*rows, *jpg]:
            fh.write(json.dumps({"when": stamp, "patients": args.patients, **r}) + "\n")


if __name__ == "__main__":
    main()
