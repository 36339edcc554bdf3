"""Benchmark: ``cxrkit pull`` over loopback against Orthanc's own ZIP download of the same studies.

Goal (issue 19): pull speed ≥ 80 % of the speed of ``GET /studies/{id}/archive`` for the same
studies, both with 2 transfers at once. Needs the Debian ``orthanc`` and ``orthanc-dicomweb``
packages (the tests' Orthanc is started on free ports with a throw-away storage). Run on
demand, not in the test suite::

    python benchmarks/bench_pull.py                  # 20 patients, 3 rounds
    python benchmarks/bench_pull.py --patients 50 --rounds 5

Each round times, in turn: the ZIP download of every study that the pull brings, the pull over
DICOMweb, over DIMSE C-GET and over DIMSE C-MOVE, each into a fresh folder. The table gives
the median of the rounds; the result is appended to ``benchmarks/results/bench_pull.jsonl``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from cxrkit.pacs.base import Options
from cxrkit.pacs.dicomweb import DicomWeb
from cxrkit.pacs.dimse import Dimse
from cxrkit.pacs.log import counts
from cxrkit.pacs.pull import pull
from cxrkit.sources.discover import iter_files
from cxrkit.sources.synth import synthesize

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "pacs"))
from pacs_server import ORTHANC_AE, PULL_AE, Orthanc, running_orthanc, upload

RESULTS = Path(__file__).resolve().parent / "results" / "bench_pull.jsonl"
GOAL = 0.80


def _zip_download(server: Orthanc, study_uids: list[str], parallel: int) -> int:
    """Download each study's ZIP archive, ``parallel`` at once; the bytes received."""
    with httpx.Client(timeout=600) as client:
        ids = []
        for uid in study_uids:
            found = client.post(f"{server.url}/tools/lookup", content=uid).json()
            ids += [item["ID"] for item in found if item["Type"] == "Study"]

        def one(orthanc_id: str) -> int:
            return len(client.get(f"{server.url}/studies/{orthanc_id}/archive").content)

        with ThreadPoolExecutor(parallel) as pool:
            return sum(pool.map(one, ids))


def _pull_into(
    folder: Path, reports: Path, make: Callable[[], object], parallel: int
) -> tuple[int, int]:
    """Pull into a fresh ``folder``; the bytes written and the instances the log expects."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(reports, folder / "reports")
    client = make()
    try:
        rows = pull(folder, client, parallel=parallel)  # type: ignore[arg-type]
    finally:
        client.close()  # type: ignore[attr-defined]
    return sum(p.stat().st_size for p in iter_files(folder / "dicom")), counts(rows)[
        "instances expected"
    ]


def _table(rows: dict[str, list[float]], size: dict[str, int], zip_median: float) -> str:
    lines = ["| transfer | median s | MB | MB/s | speed vs ZIP |", "|---|---:|---:|---:|---:|"]
    for name, times in rows.items():
        median = statistics.median(times)
        mb = size[name] / 1e6
        lines.append(
            f"| {name} | {median:.2f} | {mb:.1f} | {mb / median:.1f} | {zip_median / median:.0%} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument(
        "--pacs-nagle",
        action="store_true",
        help="leave Nagle's algorithm on in Orthanc (DCMTK's default; TCP_NODELAY=0)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-pull-"))
    try:
        export = work / "export"
        synthesize(export, patients=args.patients, seed=args.seed, workers=2)
        with running_orthanc(work / "orthanc", not args.pacs_nagle) as server:
            upload(server.url, list(iter_files(export / "dicom")))
            opts = Options(parallel=args.parallel, calling_ae=PULL_AE)
            move = Options(parallel=args.parallel, calling_ae=PULL_AE, move_port=server.move_port)
            dimse = ("127.0.0.1", server.dicom_port)
            makers: dict[str, Callable[[], object]] = {
                "DICOMweb (WADO-RS)": lambda: DicomWeb(server.dicomweb, opts),
                "DIMSE C-GET": lambda: Dimse(ORTHANC_AE, *dimse, opts),
                "DIMSE C-MOVE": lambda: Dimse(ORTHANC_AE, *dimse, move),
            }
            times: dict[str, list[float]] = {"Orthanc ZIP archive": [], **{k: [] for k in makers}}
            size: dict[str, int] = {}
            expected: dict[str, list[int]] = {name: [] for name in makers}
            for _ in range(args.rounds):
                for name, make in makers.items():
                    start = time.perf_counter()
                    size[name], n = _pull_into(
                        work / "pulled", export / "reports", make, args.parallel
                    )
                    times[name].append(time.perf_counter() - start)
                    expected[name].append(n)
                studies = sorted(p.name for p in (work / "pulled" / "dicom").iterdir())
                start = time.perf_counter()
                size["Orthanc ZIP archive"] = _zip_download(server, studies, args.parallel)
                times["Orthanc ZIP archive"].append(time.perf_counter() - start)
        zip_median = statistics.median(times["Orthanc ZIP archive"])
        nagle = "on" if args.pacs_nagle else "off (TCP_NODELAY=1)"
        print(
            f"{args.patients} patients, {len(studies)} studies pulled, --parallel {args.parallel}"
            f", Nagle's algorithm in Orthanc {nagle}"
        )
        print(_table(times, size, zip_median))
        ratios = ", ".join(
            f"{name} {zip_median / statistics.median(times[name]):.0%}" for name in makers
        )
        print(f"goal: pull speed >= {GOAL:.0%} of the ZIP download: {ratios}")
        # every pull must have found, and brought, the same instances
        found = {n for ns in expected.values() for n in ns}
        print(f"instances listed by the PACS, every pull: {sorted(found)}")
        RESULTS.parent.mkdir(exist_ok=True)
        with RESULTS.open("a") as fh:
            record = {
                "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "machine": platform.platform(),
                "patients": args.patients,
                "parallel": args.parallel,
                "pacs_nagle": args.pacs_nagle,
                "seconds": times,
                "bytes": size,
                "instances_expected": expected,
            }
            fh.write(json.dumps(record) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
