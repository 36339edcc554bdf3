"""Benchmark: labeled samples/s of the loaders over 10,000 images at 256 px, beside
torchxrayvision's dataset classes in the same run.

Run on demand, not in the test suite::

    python benchmarks/bench_loaders.py                       # 10,000 images, MIMIC + NIH
    python benchmarks/bench_loaders.py --images 2000 --dataset nih-cxr14

torchxrayvision is not a dependency of cxrkit; for its column install it beside cxrkit (keep
the CPU torch pin)::

    pip install torchxrayvision==1.5.7 torch==2.13.0

Without it, that column is skipped with a message. The script writes a temporary
MIMIC-CXR-JPG tree (real file formats, 8-digit ids, JPEG quality 95) and an NIH ChestX-ray14
tree (the real ``Data_Entry_2017_v2020.csv.gz`` from ``tests/data/loaders``, PNGs named after
its first rows), with pixels from a real NIH radiograph shifted per image. Every loader reads
each image from disk and returns it with its labels, in one process (no DataLoader workers):

- ``cxrkit``: ``ds[i].image`` (uint8) and ``ds[i].labels``;
- ``cxrkit-torch``: ``TorchDataset(ds)[i]`` (float32 tensor 0–1, label tensor), if torch is there;
- ``torchxrayvision``: ``MIMIC_Dataset`` / ``NIH_Dataset`` ``[i]`` with ``views=["*"]`` and
  ``unique_patients=False`` (float image scaled to ±1024, label array).

Prints a table and appends one JSON line per row to ``benchmarks/results/bench_loaders.jsonl``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd

from cxrkit.loaders import CHEXPERT_LABELS, load

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "bench_loaders.jsonl"
NIH_DATA = HERE.parent / "tests" / "data" / "loaders" / "nih-cxr14"
SOURCE_IMAGE = NIH_DATA / "images" / "00000001_000.png"


def _pixels(size: int, i: int) -> np.ndarray:
    base = cv2.resize(cv2.imread(str(SOURCE_IMAGE), cv2.IMREAD_GRAYSCALE), (size, size))
    return np.roll(base, (i * 7) % size, axis=1)


def make_mimic(root: Path, n: int, size: int) -> None:
    """Write ``n`` images (2 per study, 2 studies per patient) in the MIMIC-CXR-JPG format."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        subject, study = 10_000_000 + i // 4, 50_000_000 + i // 2
        dicom_id = "-".join(f"{v:08x}" for v in rng.integers(0, 2**32, 5))
        folder = root / "files" / f"p{str(subject)[:2]}" / f"p{subject}" / f"s{study}"
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(
            str(folder / f"{dicom_id}.jpg"), _pixels(size, i), [cv2.IMWRITE_JPEG_QUALITY, 95]
        )
        rows.append((dicom_id, subject, study, "PA" if i % 2 == 0 else "LATERAL"))
    meta = pd.DataFrame(rows, columns=["dicom_id", "subject_id", "study_id", "ViewPosition"])
    meta["StudyDate"] = 21500101
    meta.to_csv(root / "mimic-cxr-2.0.0-metadata.csv.gz", index=False)
    studies = meta[["subject_id", "study_id"]].drop_duplicates().reset_index(drop=True)
    values = rng.choice([1.0, 0.0, -1.0, np.nan], size=(len(studies), len(CHEXPERT_LABELS)))
    labels = pd.concat([studies, pd.DataFrame(values, columns=list(CHEXPERT_LABELS))], axis=1)
    labels.to_csv(root / "mimic-cxr-2.0.0-chexpert.csv.gz", index=False)
    meta.assign(split="train")[["dicom_id", "study_id", "subject_id", "split"]].to_csv(
        root / "mimic-cxr-2.0.0-split.csv.gz", index=False
    )


def make_nih(root: Path, n: int, size: int) -> None:
    """Copy the real NIH metadata and write PNGs for its first ``n`` rows."""
    entries = root / "Data_Entry_2017_v2020.csv.gz"
    shutil.copy(NIH_DATA / entries.name, entries)
    names = pd.read_csv(entries, usecols=[0], nrows=n).iloc[:, 0]
    (root / "images").mkdir()
    for i, name in enumerate(names):
        cv2.imwrite(str(root / "images" / name), _pixels(size, i))


def _time(get: Callable[[int], Any], n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        get(i)
    return time.perf_counter() - start


def _cxrkit(name: str, root: Path) -> tuple[float, Callable[[int], Any], Any]:
    start = time.perf_counter()
    ds = load(name, root)
    setup = time.perf_counter() - start

    def get(i: int) -> Any:
        sample = ds[i]
        return sample.image, sample.labels

    return setup, get, ds


def _import_txv() -> Any:
    """Import torchxrayvision; if torchvision's compiled part cannot load (a CUDA torchvision
    beside a CPU torch), stand in a bare ``torchvision`` module: the dataset classes use it only
    for transforms, which the benchmark does not use."""
    try:
        return importlib.import_module("torchxrayvision")
    except (RuntimeError, OSError) as exc:
        print(f"torchvision does not load ({exc}); using a bare stand-in", file=sys.stderr)
    for key in [k for k in sys.modules if k.split(".")[0] in ("torchvision", "torchxrayvision")]:
        del sys.modules[key]
    stub = types.ModuleType("torchvision")
    for part in ("transforms", "models"):
        setattr(stub, part, types.ModuleType(f"torchvision.{part}"))
        sys.modules[f"torchvision.{part}"] = getattr(stub, part)
    sys.modules["torchvision"] = stub
    return importlib.import_module("torchxrayvision")


def _txv(name: str, root: Path) -> tuple[float, Callable[[int], Any]] | str:
    try:
        xrv = _import_txv()
    except ImportError:
        return "torchxrayvision not installed: pip install torchxrayvision==1.5.7 torch==2.13.0"
    start = time.perf_counter()
    if name == "mimic-cxr-jpg":
        ds = xrv.datasets.MIMIC_Dataset(
            imgpath=str(root / "files"),
            csvpath=str(root / "mimic-cxr-2.0.0-chexpert.csv.gz"),
            metacsvpath=str(root / "mimic-cxr-2.0.0-metadata.csv.gz"),
            views=["*"],
            unique_patients=False,
        )
    else:
        ds = xrv.datasets.NIH_Dataset(
            imgpath=str(root / "images"),
            csvpath=str(root / "Data_Entry_2017_v2020.csv.gz"),
            views=["*"],
            unique_patients=False,
        )
    return time.perf_counter() - start, lambda i: ds[i]


def _row(
    dataset: str, loader: str, n: int, size: int, *, setup: float, seconds: float
) -> dict[str, Any]:
    return {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs",
        "dataset": dataset,
        "loader": loader,
        "images": n,
        "size_px": size,
        "setup_seconds": round(setup, 2),
        "iterate_seconds": round(seconds, 2),
        "samples_per_second": round(n / seconds, 1),
    }


def bench(dataset: str, n: int, size: int, work: Path) -> list[dict[str, Any]]:
    """Write the tree for ``dataset`` and time each loader over all ``n`` images."""
    root = work / dataset
    root.mkdir()
    print(f"writing {n} images for {dataset} …", file=sys.stderr)
    (make_mimic if dataset == "mimic-cxr-jpg" else make_nih)(root, n, size)
    rows = []
    setup, get, ds = _cxrkit(dataset, root)
    rows.append(_row(dataset, "cxrkit", n, size, setup=setup, seconds=_time(get, n)))
    try:
        torchdata = importlib.import_module("cxrkit.loaders.torchdata")
        wrapped = torchdata.TorchDataset(ds)
        rows.append(
            _row(
                dataset, "cxrkit-torch", n, size, setup=setup, seconds=_time(wrapped.__getitem__, n)
            )
        )
    except Exception as exc:  # the torch extra is optional
        print(f"cxrkit-torch skipped: {exc}", file=sys.stderr)
    other = _txv(dataset, root)
    if isinstance(other, str):
        print(f"torchxrayvision column skipped: {other}", file=sys.stderr)
    else:
        rows.append(
            _row(dataset, "torchxrayvision", n, size, setup=other[0], seconds=_time(other[1], n))
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--dataset", choices=["mimic-cxr-jpg", "nih-cxr14", "both"], default="both")
    args = parser.parse_args()
    names = ["mimic-cxr-jpg", "nih-cxr14"] if args.dataset == "both" else [args.dataset]
    work = Path(tempfile.mkdtemp(prefix="bench-loaders-"))
    try:
        rows = [row for name in names for row in bench(name, args.images, args.size, work)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'dataset':<15}{'loader':<17}{'setup s':>9}{'samples/s':>11}")
    for r in rows:
        line = f"{r['dataset']:<15}{r['loader']:<17}{r['setup_seconds']:>9}"
        print(line + f"{r['samples_per_second']:>11}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
