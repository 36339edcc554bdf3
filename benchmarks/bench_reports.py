"""Benchmark: reports per second per core through intake + de-identification + sections
(goal: >= 2,000 reports/s/core).

Run on demand, not in the test suite::

    python benchmarks/bench_reports.py                   # 200,000 synthetic reports
    python benchmarks/bench_reports.py --reports 20000

The corpus is raw synthetic RIS reports (all four segments, full of fake PHI) from the
``cxrkit synth`` report generator: ``--distinct`` different reports, repeated to
``--reports`` rows of one RIS CSV. One process reads the CSV (intake), builds each row's
deny-list, and runs :func:`cxrkit.reports.process_report` (segments, de-identification,
wrapping, sections). Intake and processing are timed separately; the total is per core.

Prints a table and appends one JSON line to ``benchmarks/results/bench_reports.jsonl``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import platform
import random
import tempfile
import time
from pathlib import Path

from cxrkit.reports import process_report, read_ris_csv
from cxrkit.sources.synth.cohort import build_cohort
from cxrkit.sources.synth.reports import write_report
from cxrkit.sources.synth.ris import CSV_COLUMNS, _csv_row

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "bench_reports.jsonl"


def write_corpus(path: Path, reports: int, distinct: int, seed: int) -> None:
    """A RIS CSV of ``reports`` rows cycling through ``distinct`` synthetic reports."""
    cohort = build_cohort(max(2, distinct // 2), seed=seed)
    studies = [s for s in cohort.studies if s.has_report][:distinct]
    rng = random.Random(seed)
    rows = [{**_csv_row(s), "report_text": write_report(s, rng).text} for s in studies]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for k in range(reports):
            writer.writerow(rows[k % len(rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--distinct", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ris.csv"
        write_corpus(path, args.reports, args.distinct, args.seed)
        t0 = time.perf_counter()
        intake = read_ris_csv(path)
        t1 = time.perf_counter()
        characters = 0
        for record in intake.reports:
            characters += len(process_report(record.text, record.deny_list()).text)
        t2 = time.perf_counter()
    n = len(intake.reports)
    row = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "reports": n,
        "distinct": args.distinct,
        "intake_s": round(t1 - t0, 3),
        "process_s": round(t2 - t1, 3),
        "reports_per_s_per_core": round(n / (t2 - t0), 1),
        "goal": 2000,
    }
    print(f"{'stage':<28}{'seconds':>10}{'reports/s':>12}")
    print(f"{'intake (RIS CSV)':<28}{t1 - t0:>10.2f}{n / (t1 - t0):>12.0f}")
    print(f"{'segments+de-id+sections':<28}{t2 - t1:>10.2f}{n / (t2 - t1):>12.0f}")
    print(f"{'total, one core':<28}{t2 - t0:>10.2f}{n / (t2 - t0):>12.0f}  (goal 2,000)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
