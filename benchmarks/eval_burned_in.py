"""Evaluate the burned-in text scrub per planted line on a synthetic export (issue 13).

Run on demand, not in the test suite::

    python benchmarks/eval_burned_in.py --patients 20 --seed 101 --difficulty hard \\
        --workers 2 --out /tmp/eval_hard.json
    python benchmarks/eval_burned_in.py --export ./export --out /tmp/eval.json

Every readable image of the export is scrubbed by ``cxrkit.dicom.scrub.scrub_pixels`` as a
build does it (decoded pixels, ``PixelDenyList.from_dataset`` of the original header; see
``cxrkit.dicom.redaction_eval.scrub_file``), in a process pool of ``--workers``. A planted PHI
line counts as removed only when every glyph box of it is at least 99 % covered by the
scrub's boxes (:func:`cxrkit.dicom.redaction_eval.measure_lines`). Printed: a markdown table
of lines removed / planted per kind and slice, markers kept (all, and those standing apart from
every PHI line), false boxes, unverified images,
and missed lines split into those on released images (the scrub verified the image: a leak)
and those on quarantined ones. ``--out`` receives the same figures as JSON (missed lines and
lost markers by file and line id, never their text; each file's boxes and proof). The progress
bar is on stderr.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import csv
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cxrkit.dicom.redaction_eval import (
    KINDS,
    SLICES,
    FileOutcome,
    LineRecall,
    measure_lines,
    read_truth,
    scrub_file,
)


def image_files(root: Path) -> list[str]:
    """The readable image files of an export (broken files left out)."""
    with (root / "truth" / "images.csv").open(encoding="utf-8") as fh:
        return [r["file"] for r in csv.DictReader(fh) if not r["broken"]]


def scrub_all(root: Path, files: list[str], workers: int) -> list[FileOutcome]:
    """Scrub every file, in a process pool when ``workers`` > 1; a bar on stderr."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True)) as bar:
        task = bar.add_task("scrubbing", total=len(files))
        if workers <= 1:
            out = []
            for f in files:
                out.append(scrub_file(root, f))
                bar.advance(task)
            return out
        with cf.ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(scrub_file, root, f) for f in files]
            for _ in cf.as_completed(futures):
                bar.advance(task)
            return [f.result() for f in futures]


def _ratio(hit: int, n: int) -> str:
    return f"{hit / n:.3f}" if n else "–"


def table(recall: LineRecall, outcomes: list[FileOutcome]) -> str:
    """The markdown report."""
    rows = ["| lines | removed / planted | recall |", "|---|---|---|"]
    for name in KINDS:
        hit, n = recall.kinds.get(name, (0, 0))
        rows.append(f"| {name} | {hit} / {n} | {_ratio(hit, n)} |")
    hit, n = recall.overall()
    rows.append(f"| **all PHI lines** | **{hit} / {n}** | **{_ratio(hit, n)}** |")
    for name in SLICES:
        if name in recall.slices:
            hit, n = recall.slices[name]
            rows.append(f"| slice: {name} | {hit} / {n} | {_ratio(hit, n)} |")
    kept, planted = recall.markers
    apart = "{} / {} ({})".format(*recall.markers_apart, _ratio(*recall.markers_apart))
    unverified = sum(not o.verified for o in outcomes)
    rows += [
        "",
        f"- markers kept (untouched): {kept} / {planted} ({_ratio(kept, planted)})",
        f"- markers standing apart from PHI lines (>= 2 glyph heights) kept: {apart}",
        f"- boxes: {recall.boxes}, false boxes (touching no planted line): {recall.false_boxes}",
        f"- images: {len(outcomes)}, unverified (quarantined by the scrub): {unverified}",
        f"- lines missed in released images (verified, a leak): {recall.missed_released}",
        f"- lines missed but quarantined (image unverified): {recall.missed_quarantined}",
        f"- missed lines boxed in part (some glyphs covered): {recall.missed_partly}",
    ]
    return "\n".join(rows)


def results(
    recall: LineRecall, outcomes: list[FileOutcome], meta: dict[str, Any]
) -> dict[str, Any]:
    """The figures as JSON-ready data (no planted text, no scrub reasons beyond their kind)."""
    return {
        **meta,
        "images": len(outcomes),
        "unverified": sum(not o.verified for o in outcomes),
        "seconds": round(sum(o.seconds for o in outcomes), 2),
        "kinds": {k: list(v) for k, v in recall.kinds.items()},
        "slices": {k: list(v) for k, v in recall.slices.items()},
        "lines": list(recall.overall()),
        "markers": list(recall.markers),
        "markers_apart": list(recall.markers_apart),
        "boxes": recall.boxes,
        "false_boxes": recall.false_boxes,
        "missed_released": recall.missed_released,
        "missed_quarantined": recall.missed_quarantined,
        "missed_partly": recall.missed_partly,
        "missed": recall.missed,
        "lost_markers": recall.lost_markers,
        "files": {
            o.file: {"verified": o.verified, "reason": o.reason, "boxes": o.boxes} for o in outcomes
        },
    }


@contextmanager
def export_root(args: argparse.Namespace) -> Iterator[Path]:
    """The export to measure: the one given, or a fresh one in a temporary folder."""
    if args.export is not None:
        yield Path(args.export)
        return
    from cxrkit.sources.synth import synthesize

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "export"
        print(
            f"synthesizing {args.patients} patients, seed {args.seed}, {args.difficulty}",
            file=sys.stderr,
        )
        synthesize(
            root,
            patients=args.patients,
            seed=args.seed,
            workers=args.workers,
            difficulty=args.difficulty,
        )
        yield root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--export", type=Path, help="an existing synthetic export (with truth/)")
    parser.add_argument("--patients", type=int, default=20)
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--difficulty", choices=("classic", "mixed", "hard"), default="hard")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    with export_root(args) as root:
        outcomes = scrub_all(root, image_files(root), args.workers)
        released = {o.file: o.verified for o in outcomes}
        recall = measure_lines(read_truth(root), {o.file: o.boxes for o in outcomes}, released)
    print(table(recall, outcomes))
    if args.out is not None:
        meta = (
            {"export": str(args.export)}
            if args.export
            else {"patients": args.patients, "seed": args.seed, "difficulty": args.difficulty}
        )
        args.out.write_text(json.dumps(results(recall, outcomes, meta), indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
