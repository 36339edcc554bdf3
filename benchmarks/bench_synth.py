"""Benchmark: time to write a synthetic hospital export (goal: 1,000 patients in < 5 minutes).

Run on demand, not in the test suite::

    python benchmarks/bench_synth.py                 # 1,000 patients, all CPUs
    python benchmarks/bench_synth.py --patients 200 --workers 1

Prints a table and appends the result to ``benchmarks/results/bench_synth.jsonl``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from cxrkit.sources.synth import synthesize

RESULTS = Path(__file__).resolve().parent / "results" / "bench_synth.jsonl"
GOAL_SECONDS_PER_1000 = 300.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-synth-"))
    try:
        start = time.perf_counter()
        summary = synthesize(
            root / "export", patients=args.patients, seed=args.seed, workers=args.workers
        )
        seconds = time.perf_counter() - start
        size = sum(p.stat().st_size for p in (root / "export").rglob("*") if p.is_file())
    finally:
        shutil.rmtree(root, ignore_errors=True)
    row = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs",
        "patients": summary.patients,
        "studies": summary.studies,
        "images": summary.images,
        "reports": summary.reports,
        "phi_items": summary.phi_items,
        "workers": args.workers,
        "seconds": round(seconds, 1),
        "images_per_second": round(summary.images / seconds, 1),
        "megabytes": round(size / 1e6, 1),
        "seconds_per_1000_patients": round(seconds * 1000 / summary.patients, 1),
    }
    row["goal_met"] = row["seconds_per_1000_patients"] < GOAL_SECONDS_PER_1000
    width = max(len(k) for k in row)
    for key, value in row.items():
        print(f"{key:<{width}}  {value}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
