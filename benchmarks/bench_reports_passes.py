"""Best-of-N passes of ``process_report`` over a few hundred synthetic reports, per CPU second.

A steadier speed figure than ``bench_reports.py`` on a shared machine: the best pass is the
one least disturbed by other work.

Usage::

    python benchmarks/bench_reports_passes.py [--reports 400] [--passes 9]
"""

from __future__ import annotations

import argparse
import random
import time

from cxrkit.reports import process_report
from cxrkit.reports.deny import TextDenyList
from cxrkit.sources.synth.cohort import build_cohort
from cxrkit.sources.synth.reports import write_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=400)
    parser.add_argument("--passes", type=int, default=9)
    args = parser.parse_args()
    studies = [s for s in build_cohort(300, seed=5).studies if s.has_report][: args.reports]
    rng = random.Random(1)
    texts = [write_report(s, rng).text for s in studies]
    best = float("inf")
    for _ in range(args.passes):
        start = time.process_time()
        for text in texts:
            process_report(text, TextDenyList())
        best = min(best, time.process_time() - start)
    print(f"{len(texts)} reports, best of {args.passes}: {len(texts) / best:.0f} per CPU second")


if __name__ == "__main__":
    main()
