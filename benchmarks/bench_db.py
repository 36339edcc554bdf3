"""Benchmark: `cxrkit db` on a MIMIC-sized release (tables only), beside pandas ``to_sql``.

Run on demand, not in the test suite::

    python benchmarks/bench_db.py                 # 377,110 images, 227,835 studies
    python benchmarks/bench_db.py --scale 0.1     # a tenth, for a quick look

The script writes the six tables of a release with MIMIC-CXR's sizes (65,379 subjects,
227,835 studies, 377,110 images; seeded random views, dates, times and labels) in a temporary
folder, then loads them:

- ``cxrkit db`` into DuckDB (the default), PostgreSQL (a ``pgserver`` started for the run,
  loaded with COPY) and SQLite; each with keys, indexes, views and the row-count check;
- the naive reference: ``pandas.read_csv`` + ``DataFrame.to_sql`` of every table into the same
  PostgreSQL server and into SQLite (no keys, no views, no types beyond pandas' guesses).

Wall-clock seconds are printed as a table and one JSON line per row is appended to
``benchmarks/results/bench_db.jsonl``. Goals: DuckDB ≤ 30 s, PostgreSQL ≤ 120 s.
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxrkit.db import LoadOptions, load_release
from cxrkit.db.schema import TABLES
from cxrkit.derive.metadata import METADATA_COLUMNS
from cxrkit.labels import LABELS
from cxrkit.release.assemble import (
    CHEXPERT,
    LABEL_COLUMNS,
    METADATA,
    NEGBIO,
    RECORD_LIST,
    SPLIT,
    STUDY_LIST,
)
from cxrkit.release.tables import write_csv_gz

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "bench_db.jsonl"
SUBJECTS, STUDIES, IMAGES = 65_379, 227_835, 377_110
VIEWS = np.array(["PA", "AP", "LATERAL", "LL", ""])


def _ids(rng: np.random.Generator, n: int, low: int) -> np.ndarray:
    return np.sort(rng.choice(np.arange(low, low + 10 * n), size=n, replace=False))


def _layout(scale: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Subject of every study and study of every image, with MIMIC's totals."""
    n_subjects, n_studies, n_images = (round(x * scale) for x in (SUBJECTS, STUDIES, IMAGES))
    subjects = _ids(rng, n_subjects, 10_000_000)
    study_subject = np.sort(
        np.concatenate([subjects, rng.choice(subjects, n_studies - n_subjects)])
    )
    studies = rng.permutation(_ids(rng, n_studies, 50_000_000))
    image_study = np.concatenate(
        [np.arange(n_studies), rng.integers(0, n_studies, n_images - n_studies)]
    )
    image_study.sort()
    return {
        "study_subject": study_subject,
        "studies": studies,
        "image_study": image_study,
    }


def _label_rows(
    rng: np.random.Generator, subjects: np.ndarray, studies: np.ndarray
) -> Iterator[dict[str, Any]]:
    values = rng.choice(
        np.array([np.nan, 1.0, 0.0, -1.0]),
        size=(len(studies), len(LABELS)),
        p=[0.7, 0.15, 0.1, 0.05],
    )
    for subject, study, row in zip(subjects, studies, values, strict=True):
        yield {
            "subject_id": int(subject),
            "study_id": int(study),
            **{
                name: (None if np.isnan(v) else f"{v:.1f}")
                for name, v in zip(LABELS, row, strict=True)
            },
        }


def write_release(root: Path, scale: float, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    lay = _layout(scale, rng)
    subjects, studies = lay["study_subject"], lay["studies"]
    n_images = len(lay["image_study"])
    days = rng.integers(0, 365 * 90, len(studies))
    seconds = rng.integers(0, 86_400, len(studies))
    views = rng.choice(VIEWS, n_images, p=[0.35, 0.3, 0.3, 0.03, 0.02])
    hexes = rng.integers(0, 2**63, size=(n_images, 3))
    split_of = {
        int(s): ("test" if s % 97 == 0 else "validate" if s % 89 == 0 else "train")
        for s in subjects
    }
    base = dt.date(2110, 1, 1)

    def images() -> Iterator[dict[str, Any]]:
        for i, k in enumerate(lay["image_study"]):
            subject, study = int(subjects[k]), int(studies[k])
            h = "".join(f"{int(x):016x}" for x in hexes[i])[:40]
            dicom_id = "-".join(h[j : j + 8] for j in range(0, 40, 8))
            clock = dt.time(*divmod(int(seconds[k]) // 60, 60), int(seconds[k]) % 60)
            yield {
                "subject_id": subject,
                "study_id": study,
                "dicom_id": dicom_id,
                "path": f"files/p{str(subject)[:2]}/p{subject}/s{study}/{dicom_id}.dcm",
                "PerformedProcedureStepDescription": "CHEST (PA AND LAT)",
                "ViewPosition": str(views[i]),
                "Rows": 3056,
                "Columns": 2544,
                "StudyDate": f"{base + dt.timedelta(days=int(days[k])):%Y%m%d}",
                "StudyTime": f"{clock:%H%M%S}",
                "ViewCodeSequence_CodeMeaning": "postero-anterior",
                "split": split_of[subject],
            }

    rows = list(images())
    write_csv_gz(root / RECORD_LIST, ("subject_id", "study_id", "dicom_id", "path"), rows)
    write_csv_gz(root / METADATA, METADATA_COLUMNS, rows)
    write_csv_gz(root / SPLIT, ("dicom_id", "study_id", "subject_id", "split"), rows)
    order = np.argsort(studies)
    write_csv_gz(
        root / STUDY_LIST,
        ("subject_id", "study_id", "path"),
        (
            {"subject_id": int(s), "study_id": int(t), "path": f"files/p{str(s)[:2]}/p{s}/s{t}.txt"}
            for s, t in zip(subjects[order], studies[order], strict=True)
        ),
    )
    for name in (CHEXPERT, NEGBIO):
        write_csv_gz(root / name, LABEL_COLUMNS, _label_rows(rng, subjects[order], studies[order]))


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def pandas_to_sql(release: Path, url: str) -> None:
    """The naive reference: every table read with pandas and written with ``to_sql``."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    for spec in TABLES:
        path = release / spec.file_pattern
        if path.exists():
            pd.read_csv(path).to_sql(spec.name, engine, if_exists="replace", index=False)
    engine.dispose()


def _pg_server(base: Path) -> Any:
    import pgserver

    return pgserver.get_server(base, cleanup_mode="stop")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of MIMIC's size")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cxrkit-bench-db-"))
    os.chmod(work, 0o755)  # noqa: PTH101 - pgserver's own user must reach its data folder
    results: list[dict[str, Any]] = []
    try:
        release = work / "release"
        seconds = _timed(lambda: write_release(release, args.scale))
        print(f"tables written in {seconds:.1f} s", flush=True)
        runs: list[tuple[str, Callable[[], object]]] = [
            ("cxrkit db → DuckDB", lambda: load_release(release, str(work / "cxr.duckdb"))),
            (
                "cxrkit db → SQLite",
                lambda: load_release(release, f"sqlite:///{work / 'cxr.sqlite'}"),
            ),
            (
                "pandas to_sql → SQLite",
                lambda: pandas_to_sql(release, f"sqlite:///{work / 'pd.sqlite'}"),
            ),
        ]
        server = None
        if not args.no_postgres:
            server = _pg_server(work / "pgdata")
            uri = server.get_uri()
            runs += [
                ("cxrkit db → PostgreSQL", lambda: load_release(release, uri, LoadOptions())),
                (
                    "pandas to_sql → PostgreSQL",
                    lambda: pandas_to_sql(
                        release, uri.replace("postgresql://", "postgresql+psycopg://", 1)
                    ),
                ),
            ]
        for name, run in runs:
            cpu = time.process_time()
            wall = _timed(run)
            results.append(
                {
                    "run": name,
                    "wall_s": round(wall, 1),
                    "process_cpu_s": round(time.process_time() - cpu, 1),
                    "images": round(IMAGES * args.scale),
                    "studies": round(STUDIES * args.scale),
                }
            )
            print(f"{name}: {wall:.1f} s", flush=True)
        if server is not None:
            server.cleanup()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n| load | wall s | this process's CPU s |\n|---|---:|---:|")
    for r in results:
        print(f"| {r['run']} | {r['wall_s']} | {r['process_cpu_s']} |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with RESULTS.open("a", encoding="utf-8") as fh:
        for r in results:
            fh.write(
                json.dumps(
                    {**r, "when": stamp, "machine": platform.machine(), "cpus": os.cpu_count()}
                )
                + "\n"
            )


if __name__ == "__main__":
    main()
