"""Benchmark: reports per second per core through intake + de-identification + sections
(goal: >= 2,000 reports/s/core).

Run on demand, not in the test suite::

    python benchmarks/bench_reports.py                   # 200,000 synthetic reports
    python benchmarks/bench_reports.py --reports 20000

The corpus is raw synthetic RIS reports (all four segments, full of fake PHI) from the
``cxrkit synth`` report generator: ``--distinct`` different reports, repeated to
``--reports`` rows of one RIS CSV. One process reads the CSV (intake), builds each row's
deny-list, and runs :func:`cxrkit.reports.process_report` (segments, de-identification,
wrapping, sections). Intake and processing are timed separately, in wall-clock and in the
process's CPU seconds; one process uses one core, so reports per CPU second is the per-core
rate even when other work shares the machine.

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
        c0, t0 = time.process_time(), time.perf_counter()
        intake = read_ris_csv(path)
        c1, t1 = time.process_time(), time.perf_counter()
        characters = 0
        for record in intake.reports:
            characters += len(process_report(record.text, record.deny_list()).text)
        c2, t2 = time.process_time(), time.perf_counter()
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
        "cpu_s": round(c2 - c0, 3),
        "reports_per_cpu_s": round(n / (c2 - c0), 1),
        "goal": 2000,
    }
    print(f"{'stage':<28}{'wall s':>8}{'reports/s':>11}{'CPU s':>8}{'reports/CPU s':>15}")
    for name, wall, cpu in (
        ("intake (RIS CSV)", t1 - t0, c1 - c0),
        ("segments+de-id+sections", t2 - t1, c2 - c1),
        ("total, one core", t2 - t0, c2 - c0),
    ):
        print(f"{name:<28}{wall:>8.2f}{n / wall:>11.0f}{cpu:>8.2f}{n / cpu:>15.0f}")
    print("goal: 2,000 reports/s/core (CPU time is the per-core figure on a shared machine)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
