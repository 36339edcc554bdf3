"""Benchmark: DICOM header de-identification, files/s/core, beside the floor and the peers.

Run on demand, not in the test suite::

    pip install --target /tmp/peers dicognito dicom-anonymizer deid tqdm python-dateutil
    PYTHONPATH=/tmp/peers python benchmarks/bench_headers.py

Two inputs, one process each: small files (a 15 kB CT with realistic fake PHI in many header
fields and private tags, copied N times) and full-size radiographs (a 4 MB chest CR). Rows:

- ``pydicom read+write`` — the floor: ``dcmread`` then ``save_as``, no de-identification;
- ``cxrkit`` — ``dcmread``, :func:`cxrkit.dicom.headers.deidentify_header`, ``save_as``;
- ``dicognito``, ``dicom-anonymizer``, ``deid`` — each with its default settings, if
  importable (a row says why when it is not).

For each, whether the output gains dciodvfy errors the input did not have (``new errors``).
Prints a table and appends the rows to ``benchmarks/results/bench_headers.jsonl``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pydicom

from cxrkit.dicom.conformance import new_errors
from cxrkit.dicom.headers import Pseudonyms, deidentify_header

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "data" / "dicom" / "real" / "ctbrain1.dcm"
LARGE = ROOT / "tests" / "data" / "dicom" / "presidio" / "0_ORIGINAL_compressed.dcm"
RESULTS = ROOT / "benchmarks" / "results" / "bench_headers.jsonl"
IDS = Pseudonyms(12345678, 56781234, 36000, bytes(32))
Tool = Callable[[Path, Path], None]


def floor(src: Path, dst: Path) -> None:
    pydicom.dcmread(src).save_as(dst)


def cxrkit(src: Path, dst: Path) -> None:
    ds = pydicom.dcmread(src)
    deidentify_header(ds, IDS)
    ds.save_as(dst, enforce_file_format=True)


def peers() -> dict[str, Tool | str]:
    """Each peer's function, or the reason it cannot run."""
    out: dict[str, Tool | str] = {}
    try:
        from dicognito.anonymizer import Anonymizer

        anonymizer = Anonymizer()

        def dicognito(src: Path, dst: Path) -> None:
            ds = pydicom.dcmread(src)
            anonymizer.anonymize(ds)
            ds.save_as(dst)

        out["dicognito"] = dicognito
    except ImportError as exc:
        out["dicognito"] = f"not installed ({exc.name})"
    try:
        from dicomanonymizer import anonymize

        out["dicom-anonymizer"] = lambda s, d: anonymize(str(s), str(d), {}, True)
    except ImportError as exc:
        out["dicom-anonymizer"] = f"not installed ({exc.name})"
    try:
        from deid.config import DeidRecipe
        from deid.dicom import replace_identifiers

        recipe = DeidRecipe()

        def deid(src: Path, dst: Path) -> None:
            ds = replace_identifiers(dicom_files=[str(src)], deid=recipe, save=False)[0]
            ds.save_as(dst)

        out["deid"] = deid
    except ImportError as exc:
        out["deid"] = f"not installed ({exc.name})"
    return out


def measure(tool: Tool, src: Path, n: int, work: Path) -> tuple[float, int]:
    """Files per second over ``n`` files, and the dciodvfy errors the output gained."""
    inputs = []
    for i in range(n):
        path = work / f"in{i}.dcm"
        shutil.copyfile(src, path)
        inputs.append(path)
    start = time.perf_counter()
    for i, path in enumerate(inputs):
        tool(path, work / f"out{i}.dcm")
    rate = n / (time.perf_counter() - start)
    new = new_errors(src, work / "out0.dcm")
    return rate, len(new)


def main() -> None:
    warnings.simplefilter("ignore")
    tools: dict[str, Tool | str] = {
        "pydicom read+write (floor)": floor,
        "cxrkit": cxrkit,
        **peers(),
    }
    rows = []
    for label, src, n in (
        ("small files (15 kB CT)", SMALL, 300),
        ("full-size radiograph (4 MB CR)", LARGE, 20),
    ):
        for name, tool in tools.items():
            row = {"input": label, "tool": name}
            if isinstance(tool, str):
                row["note"] = tool
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    try:
                        rate, new = measure(tool, src, n, Path(tmp))
                        row.update({"files_per_second": round(rate, 1), "new_errors": new})
                    except Exception as exc:  # a peer failing is a result too
                        row["note"] = f"failed: {type(exc).__name__}"
            rows.append(row)
    print(f"{'input':32} {'tool':28} {'files/s':>9} {'new dciodvfy errors':>20}")
    for r in rows:
        rate = r.get("files_per_second", "-")
        errors = r.get("new_errors", r.get("note", "-"))
        print(f"{r['input']:32} {r['tool']:28} {rate!s:>9} {errors!s:>20}")
    for label in {r["input"] for r in rows}:
        mine = next(r for r in rows if r["input"] == label and r["tool"] == "cxrkit")
        base = next(r for r in rows if r["input"] == label and r["tool"].startswith("pydicom"))
        others = [
            r["files_per_second"]
            for r in rows
            if r["input"] == label
            and "files_per_second" in r
            and r["tool"] not in ("cxrkit",)
            and not r["tool"].startswith("pydicom")
        ]
        line = f"{label}: cxrkit = {mine['files_per_second'] / base['files_per_second']:.0%} "
        line += "of the pydicom floor"
        if others:
            line += f", {mine['files_per_second'] / max(others):.1f}x the fastest peer"
        print(line)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with RESULTS.open("a", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"when": stamp, **r}) + "\n")


if __name__ == "__main__":
    main()
