"""Open-I dev gold: the positive-detection table of docs/labels.md and the ceiling of the spec text.

Run on demand (about 10 s)::

    python benchmarks/eval_openi_labels.py              # both tables, markdown
    python benchmarks/eval_openi_labels.py --errors "Lung Lesion" --text full --kind fp

The gold (``tests/data/labels/negbio-openi-gold/openi_gold_dev.csv``, mapped with
``chestxray14``) was annotated on the whole report. Two texts are labeled: **spec** = the
impression, else the findings; **full** = findings + impression.

The *ceiling* counts what no labeler of the spec text can get right:

- an *unreachable false negative*: a gold positive whose label has no mention at all (any
  polarity, our vocabulary) in the spec text but one in the findings (or none anywhere);
- an *unreachable No Finding false positive*: a gold-abnormal report whose spec text states
  nothing abnormal, i.e. holds no mention of the 13 findings or of a No Finding blocker
  (*silent*: "No acute cardiopulmonary disease"), or only mentions that the CheXpert-style
  labeler reads as negated (*negated*: "No effusion. Heart size normal.").

The *oracle* predicts the gold wherever the text can support it: a label is positive when gold
says so and the text mentions it, and No Finding is positive for every gold-normal report *and*
every report whose text states nothing abnormal (a labeler that follows the CheXpert rules must
say No Finding there). Two oracles: **any mention** (a mention of any polarity is enough; only
*silent* texts are unreachable No Finding false positives: the loosest bound) and **affirmed**
(the labeler must read the mention as positive or uncertain; *negated only* texts count as
unreachable too, which depends on our vocabulary). Their micro-F1 bounds what a labeler of
that text can reach on this gold.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from cxrkit.labels import (
    DEFAULT_OPTIONS,
    LabelerOptions,
    Scores,
    evaluate,
    label_text,
    read_label_csv,
)
from cxrkit.labels.chexpert import classify_tokens, find_mentions
from cxrkit.labels.openi import OpenIReport, read_openi_reports
from cxrkit.labels.schema import NEGATIVE, NO_FINDING, POSITIVE, SUPPORT_DEVICES
from cxrkit.labels.text import tokenize
from cxrkit.labels.vocabulary import load_vocabulary

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT / "tests" / "data" / "openi" / "NLMCXR_reports.tgz"
GOLD = ROOT / "tests" / "data" / "labels" / "negbio-openi-gold" / "openi_gold_dev.csv"
Table = dict[str, dict[str, float | None]]
TEXTS: dict[str, Callable[[OpenIReport], str]] = {
    "spec": lambda r: r.label_text,
    "full": lambda r: f"{r.findings} {r.impression}",
}
TASKS = ("positive_u1", "positive_u0")


def load() -> tuple[dict[str, OpenIReport], Table]:
    """The Open-I reports of the gold set and the mapped gold labels."""
    gold = read_label_csv(GOLD, label_map="chestxray14")
    reports = read_openi_reports(ARCHIVE)
    return {k: reports[k] for k in gold}, gold


#: The switch for gold annotated like ChestX-ray14 (a calcified nodule is a Nodule): a row of its
#: own under the table, the defaults stay as published.
CALCIFIED = LabelerOptions(calcified_nodule_lesion=True)


def predict(
    reports: dict[str, OpenIReport],
    labeler: str,
    text: str,
    options: LabelerOptions = DEFAULT_OPTIONS,
) -> Table:
    """Labels of every report's ``spec`` or ``full`` text."""
    get = TEXTS[text]
    return {k: label_text(get(r), labeler=labeler, options=options) for k, r in reports.items()}


def score_table(reports: dict[str, OpenIReport], gold: Table) -> str:
    """The markdown table of docs/labels.md: per label and micro/macro, both labelers."""
    cols: list[tuple[str, str, str]] = []
    scores: dict[tuple[str, str], Scores] = {}
    for labeler in ("chexpert", "negbio"):
        for text in ("spec", "full"):
            scores[labeler, text] = evaluate(
                gold, predict(reports, labeler, text), positive_only=True
            )
            cols += [(labeler, text, t) for t in TASKS]
    any_s = scores["chexpert", "spec"]
    head = "| label | gold + | " + " | ".join(f"{a} {b} {t[-2:]}" for a, b, t in cols) + " |"
    lines = [head, "|" + "---|" * (len(cols) + 2)]
    for lab in any_s.labels:
        n = sum(1 for row in gold.values() if row.get(lab) == POSITIVE)
        cells = [f"{scores[a, b].f1(t, lab) or 0.0:.3f}" for a, b, t in cols]
        lines.append(f"| {lab} | {n} | " + " | ".join(cells) + " |")
    for name in ("micro", "macro"):
        cells = [f"{getattr(scores[a, b], name)(t) or 0.0:.3f}" for a, b, t in cols]
        bold = f"**{name}**" if name == "micro" else name
        lines.append(f"| {bold} | | " + " | ".join(cells) + " |")
    switched = {
        (a, b): evaluate(gold, predict(reports, a, b, CALCIFIED), positive_only=True)
        for a, b in scores
    }
    n = sum(1 for row in gold.values() if row.get("Lung Lesion") == POSITIVE)
    cells = [f"{switched[a, b].f1(t, 'Lung Lesion') or 0.0:.3f}" for a, b, t in cols]
    lines.append(f"| Lung Lesion, `calcified_nodule_lesion` on | {n} | " + " | ".join(cells) + " |")
    cells = [f"{switched[a, b].micro(t) or 0.0:.3f}" for a, b, t in cols]
    lines.append("| micro, `calcified_nodule_lesion` on | | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _mentions(text: str) -> tuple[set[str], set[str]]:
    """Labels mentioned at all (any polarity), and those read as positive or uncertain.

    No Finding stands for a blocker mention; support devices are left out (they never block).
    """
    vocab = load_vocabulary()
    tokens = tokenize(text)
    _, found = find_mentions(tokens, vocab)
    mentioned = {lab for _, _, m in found for lab in m.labels} - {SUPPORT_DEVICES}
    affirmed = {f.label for f in classify_tokens(tokens, vocab) if f.value != NEGATIVE}
    return mentioned, affirmed - {SUPPORT_DEVICES}


def ceiling(reports: dict[str, OpenIReport], gold: Table, text: str = "spec") -> str:
    """The unreachable counts and the oracle micro-F1 of one text, as a markdown table."""
    labels = [lab for lab in next(iter(gold.values())) if lab != NO_FINDING]
    get = TEXTS[text]
    men = {k: _mentions(get(r)) for k, r in reports.items()}
    fin = {k: _mentions(r.findings)[0] for k, r in reports.items()}
    lines = [
        f"| label ({text} text) | gold + | mentioned | only in findings | nowhere "
        "| oracle F1 any / affirmed |",
        "|---|---|---|---|---|---|",
    ]
    rows: list[tuple[str, int, int, int, int]] = []
    oracle_any: Table = {k: {} for k in gold}
    oracle_aff: Table = {k: {} for k in gold}
    for lab in sorted(labels):
        pos = [k for k in gold if gold[k].get(lab) == POSITIVE]
        here = [k for k in pos if lab in men[k][0]]
        only = [k for k in pos if lab not in men[k][0] and lab in fin[k]]
        for k in gold:
            oracle_any[k][lab] = POSITIVE if k in here else NEGATIVE
            oracle_aff[k][lab] = POSITIVE if k in here and lab in men[k][1] else NEGATIVE
        rows.append((lab, len(pos), len(here), len(only), len(pos) - len(here) - len(only)))
    abnormal = [k for k in gold if gold[k].get(NO_FINDING) != POSITIVE]
    silent = [k for k in abnormal if not men[k][0]]
    negated = [k for k in abnormal if men[k][0] and not men[k][1]]
    for k in gold:
        normal = gold[k].get(NO_FINDING) == POSITIVE
        oracle_any[k][NO_FINDING] = POSITIVE if normal or not men[k][0] else NEGATIVE
        oracle_aff[k][NO_FINDING] = POSITIVE if normal or not men[k][1] else NEGATIVE
    n_normal = len(gold) - len(abnormal)
    s_any = evaluate(gold, oracle_any, positive_only=True)
    s_aff = evaluate(gold, oracle_aff, positive_only=True)
    for lab, *counts in rows:
        f_any, f_aff = (s.f1("positive_u0", lab) or 0.0 for s in (s_any, s_aff))
        lines.append(
            f"| {lab} | " + " | ".join(map(str, counts)) + f" | {f_any:.3f} / {f_aff:.3f} |"
        )
    nf_any, nf_aff = (s.f1("positive_u0", NO_FINDING) or 0.0 for s in (s_any, s_aff))
    lines.append(
        f"| No Finding: gold-abnormal reports ({len(abnormal)}) whose {text} text states "
        f"nothing abnormal | {n_normal} | silent {len(silent)} | negated only {len(negated)} "
        f"| = {len(silent) + len(negated)} unreachable FP | {nf_any:.3f} / {nf_aff:.3f} |"
    )
    lines.append(
        f"| **oracle micro-F1** ({text}) | | | | | **{s_any.micro('positive_u0') or 0:.3f}** / "
        f"{s_aff.micro('positive_u0') or 0:.3f} |"
    )
    return "\n".join(lines)


def errors(
    reports: dict[str, OpenIReport], gold: Table, label: str, *, text: str, kind: str, labeler: str
) -> str:
    """False negatives (``fn``) or positives (``fp``, u1) of one label, for reading."""
    pred = predict(reports, labeler, text)
    out = []
    for k, r in reports.items():
        g = gold[k].get(label) == POSITIVE
        p = pred[k][label] not in (None, NEGATIVE)
        if (kind == "fn" and g and not p) or (kind == "fp" and p and not g):
            out.append(f"{k} pred={pred[k][label]} | {TEXTS[text](r)}")
    return f"{len(out)} {kind}\n" + "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", metavar="LABEL", help="list one label's errors instead")
    parser.add_argument("--text", choices=sorted(TEXTS), default="spec")
    parser.add_argument("--kind", choices=["fn", "fp"], default="fn")
    parser.add_argument("--labeler", choices=["chexpert", "negbio"], default="chexpert")
    args = parser.parse_args(argv)
    reports, gold = load()
    if args.errors:
        print(
            errors(reports, gold, args.errors, text=args.text, kind=args.kind, labeler=args.labeler)
        )
        return 0
    print(score_table(reports, gold))
    print()
    print(ceiling(reports, gold, "spec"))
    print()
    print(ceiling(reports, gold, "full"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
