"""Benchmark: impressions labeled per second per core (goal: >= 20,000), one process and two.

Run on demand, not in the test suite::

    python benchmarks/bench_labels.py                      # 200,000 impressions
    python benchmarks/bench_labels.py --reports 20000 --labeler negbio

The corpus is the Open-I impressions (else findings) of ``tests/data/openi``, read in
memory from the unmodified archive and resampled, half of it as they are and half synthetic:
new impressions of 1 to 4 sentences drawn at random from the Open-I sentences (seeded).

For reference the same run times negspacy (blank English pipeline + an entity ruler with the
14 observation names, NegEx) and medspaCy (``medspacy.load()`` with its ConText rules) on a
subset, when they are installed (``pip install negspacy medspacy``; not cxrkit dependencies).
Otherwise their rows are skipped with a message.

Prints a table and appends one JSON line per row to ``benchmarks/results/bench_labels.jsonl``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from cxrkit.labels import label_reports
from cxrkit.labels.openi import read_openi_reports
from cxrkit.labels.text import split_sentences

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT / "tests" / "data" / "openi" / "NLMCXR_reports.tgz"
RESULTS = ROOT / "benchmarks" / "results" / "bench_labels.jsonl"
TERMS = ["atelectasis", "cardiomegaly", "consolidation", "edema", "effusion", "pneumothorax"]
TERMS += ["pneumonia", "opacity", "nodule", "mass", "fracture", "tube", "catheter"]


def corpus(n: int, seed: int) -> list[str]:
    """``n`` impressions: half resampled Open-I texts, half synthetic recombinations."""
    texts = [r.label_text for r in read_openi_reports(ARCHIVE).values() if r.label_text]
    sentences = [s for t in texts for s in split_sentences(t)]
    rng = random.Random(seed)
    half = n // 2
    real = [rng.choice(texts) for _ in range(half)]
    synth = [" ".join(rng.sample(sentences, rng.randint(1, 4))) for _ in range(n - half)]
    return real + synth


def _label_chunk(args: tuple[list[str], str]) -> int:
    texts, labeler = args
    return len(label_reports(texts, labeler=labeler))


def rate_cxrkit(texts: list[str], labeler: str, workers: int) -> float:
    """Impressions per second (wall clock) with ``workers`` processes."""
    label_reports(texts[:100], labeler=labeler)  # compile the vocabulary outside the clock
    if workers == 1:
        t0 = time.perf_counter()
        label_reports(texts, labeler=labeler)
        return len(texts) / (time.perf_counter() - t0)
    size = max(1, len(texts) // (workers * 8))
    chunks = [(texts[i : i + size], labeler) for i in range(0, len(texts), size)]
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_label_chunk, [(texts[:100], labeler)] * workers))  # warm the workers
        t0 = time.perf_counter()
        done = sum(pool.map(_label_chunk, chunks))
        return done / (time.perf_counter() - t0)


def _negspacy() -> Callable[[str], object] | None:
    try:
        spacy = importlib.import_module("spacy")
        importlib.import_module("negspacy.negation")  # registers the "negex" factory
    except ImportError as exc:
        print(f"negspacy skipped: {exc} (pip install negspacy)", file=sys.stderr)
        return None
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "OBS", "pattern": [{"LOWER": t}]} for t in TERMS])
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("negex")
    return nlp


def _medspacy() -> Callable[[str], object] | None:
    try:
        medspacy = importlib.import_module("medspacy")
        target_rule = importlib.import_module("medspacy.ner").TargetRule
    except ImportError as exc:
        print(f"medspaCy skipped: {exc} (pip install medspacy)", file=sys.stderr)
        return None
    nlp = medspacy.load()
    matcher = nlp.get_pipe("medspacy_target_matcher")
    matcher.add([target_rule(t, "OBS") for t in TERMS])
    return nlp


def rate_callable(fn: Callable[[str], object], texts: list[str]) -> float:
    t0 = time.perf_counter()
    for t in texts:
        fn(t)
    return len(texts) / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--labeler", choices=["chexpert", "negbio", "both"], default="both")
    parser.add_argument("--reference-reports", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    texts = corpus(args.reports, args.seed)
    rows: list[dict[str, object]] = []
    labelers = ["chexpert", "negbio"] if args.labeler == "both" else [args.labeler]
    for labeler in labelers:
        for workers in (1, 2):
            rate = rate_cxrkit(texts, labeler, workers)
            rows.append(_row(f"cxrkit-{labeler}", workers, len(texts), rate))
    ref = texts[: args.reference_reports]
    for name, factory in (("negspacy", _negspacy), ("medspacy", _medspacy)):
        fn = factory()
        if fn is not None:
            rows.append(_row(name, 1, len(ref), rate_callable(fn, ref)))
    print(f"{'tool':<18}{'procs':>6}{'reports':>10}{'reports/s':>12}{'per core':>12}")
    for r in rows:
        print(
            f"{r['tool']:<18}{r['processes']:>6}{r['reports']:>10}"
            f"{r['reports_per_s']:>12,.0f}{r['per_core']:>12,.0f}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    return 0


def _row(tool: str, processes: int, n: int, rate: float) -> dict[str, object]:
    return {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "tool": tool,
        "processes": processes,
        "reports": n,
        "reports_per_s": round(rate, 1),
        "per_core": round(rate / processes, 1),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


if __name__ == "__main__":
    sys.exit(main())
