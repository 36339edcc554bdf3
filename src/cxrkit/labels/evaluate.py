"""Labeler validation (S15): mention, negation and uncertainty F1 per label, macro and micro.

Definitions (S15), per label over the reports both files hold:

- *mention*: any value (``1.0``, ``0.0``, ``-1.0``) against blank;
- *negation*: ``0.0`` against everything else;
- *uncertainty*: ``-1.0`` against everything else.

Gold sets that hold only 0/1 (``positive_only``, such as the NegBio Open-I set) are scored on
*positive detection* instead: ``1.0`` against the rest, with uncertain predictions counted as
positive (``positive_u1``) and, separately, as negative (``positive_u0``). Micro-F1 pools the
counts of all labels; macro-F1 averages the labels that have a gold or a predicted positive.

Examples
--------
>>> gold = {"s1": {"Edema": 0.0}, "s2": {"Edema": 1.0}}
>>> pred = {"s1": {"Edema": 0.0}, "s2": {"Edema": None}}
>>> scores = evaluate(gold, pred)
>>> scores.f1("negation", "Edema"), scores.f1("mention", "Edema")
(1.0, 0.6666666666666666)
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cxrkit.errors import ConfigError, DataFileError
from cxrkit.labels.schema import LABELS, NEGATIVE, POSITIVE, UNCERTAIN, parse_value

Table = dict[str, dict[str, float | None]]

#: ChestX-ray14 (NIH / NegBio Open-I) label names → CheXpert names; Mass and Nodule are OR-ed.
CHESTXRAY14_MAP: dict[str, str] = {
    "Atelectasis": "Atelectasis",
    "Cardiomegaly": "Cardiomegaly",
    "Effusion": "Pleural Effusion",
    "Pneumonia": "Pneumonia",
    "Pneumothorax": "Pneumothorax",
    "Consolidation": "Consolidation",
    "Edema": "Edema",
    "Mass": "Lung Lesion",
    "Nodule": "Lung Lesion",
    "Pleural_Thickening": "Pleural Other",
    "normal": "No Finding",
}
MAPS: dict[str, dict[str, str]] = {"chestxray14": CHESTXRAY14_MAP}

_TASKS: dict[str, Callable[[float | None], bool]] = {
    "mention": lambda v: v is not None,
    "negation": lambda v: v == NEGATIVE,
    "uncertainty": lambda v: v == UNCERTAIN,
    "positive_u1": lambda v: v in (POSITIVE, UNCERTAIN),
    "positive_u0": lambda v: v == POSITIVE,
}
FULL_TASKS = ("mention", "negation", "uncertainty")
POSITIVE_TASKS = ("positive_u1", "positive_u0")


@dataclass
class Scores:
    """True-positive, false-positive and false-negative counts per (task, label)."""

    labels: tuple[str, ...]
    tasks: tuple[str, ...]
    counts: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    reports: int = 0

    def f1(self, task: str, label: str) -> float | None:
        """F1 of one label, ``None`` when neither file has a positive."""
        tp, fp, fn = self.counts[task, label]
        return None if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)

    def micro(self, task: str) -> float | None:
        """F1 over the pooled counts of every label."""
        tp, fp, fn = (sum(self.counts[task, lab][i] for lab in self.labels) for i in range(3))
        return None if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)

    def macro(self, task: str) -> float | None:
        """Mean F1 of the labels that have one."""
        values = [v for lab in self.labels if (v := self.f1(task, lab)) is not None]
        return sum(values) / len(values) if values else None


def evaluate(
    gold: Mapping[str, Mapping[str, float | None]],
    pred: Mapping[str, Mapping[str, float | None]],
    *,
    positive_only: bool = False,
) -> Scores:
    """Score predictions against gold labels, joined on their keys (study ids).

    Only the labels present in the gold rows are scored; a key missing from ``pred`` is an
    error (every gold report must be labeled).

    Examples
    --------
    See the module docstring.
    """
    missing = [k for k in gold if k not in pred]
    if missing:
        raise ConfigError(
            f"{len(missing)} gold reports have no prediction (first: {missing[0]!r}); "
            "label every gold report and keep the same key column"
        )
    present = {lab for row in gold.values() for lab in row}
    labels = tuple(lab for lab in LABELS if lab in present)
    tasks = POSITIVE_TASKS if positive_only else FULL_TASKS
    scores = Scores(labels, tasks, {(t, lab): [0, 0, 0] for t in tasks for lab in labels})
    for key, grow in gold.items():
        prow = pred[key]
        for lab in labels:
            g, p = grow.get(lab), prow.get(lab)
            for task in tasks:
                gv = g == POSITIVE if positive_only else _TASKS[task](g)
                pv = _TASKS[task](p)
                c = scores.counts[task, lab]
                c[0 if gv and pv else 1 if pv else 2] += int(gv or pv)
    scores.reports = len(gold)
    return scores


def _key_column(fields: list[str]) -> str:
    for name in ("study_id", "filename", "Reports"):
        if name in fields:
            return name
    raise DataFileError(
        f"label CSV has no key column among {fields[:3]}…; add a study_id (or filename) column"
    )


def read_label_csv(path: str | Path, *, label_map: str | None = None) -> Table:
    """Read a label CSV (``study_id`` or ``filename`` or ``Reports`` + label columns).

    ``label_map`` (``chestxray14``) renames the columns first; columns mapped to the same
    label are OR-ed (a positive wins). Unknown columns are ignored.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.csv"
    >>> _ = p.write_text("filename,Mass,Nodule,normal\\nCXR1,0,1,0\\n")
    >>> read_label_csv(p, label_map="chestxray14")["CXR1"]["Lung Lesion"]
    1.0
    """
    if label_map is not None and label_map not in MAPS:
        raise ConfigError(f"unknown label map {label_map!r}; use one of {sorted(MAPS)}")
    names = MAPS[label_map] if label_map else {lab: lab for lab in LABELS}
    table: Table = {}
    try:
        with Path(path).open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            key = _key_column(list(reader.fieldnames or []))
            for row in reader:
                out: dict[str, float | None] = {}
                for col, lab in names.items():
                    if col in row:
                        v = parse_value(row[col] or "")
                        old = out.get(lab)
                        out[lab] = v if old is None or (v is not None and v > old) else old
                table[row[key]] = out
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as exc:
        raise DataFileError(f"cannot read label CSV {Path(path).name!r}: {exc}") from exc
    return table


def format_scores(scores: Scores) -> str:
    """A plain-text table: one row per label, then macro and micro.

    Examples
    --------
    >>> s = evaluate({"a": {"Edema": 1.0}}, {"a": {"Edema": 1.0}})
    >>> print(format_scores(s).splitlines()[1])
    Edema                              1.000           -           -
    """
    head = f"{'label':<28}" + "".join(f"{t:>12}" for t in scores.tasks)
    lines = [head]

    def cell(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    for lab in scores.labels:
        lines.append(f"{lab:<28}" + "".join(f"{cell(scores.f1(t, lab)):>12}" for t in scores.tasks))
    lines.append(f"{'macro':<28}" + "".join(f"{cell(scores.macro(t)):>12}" for t in scores.tasks))
    lines.append(f"{'micro':<28}" + "".join(f"{cell(scores.micro(t)):>12}" for t in scores.tasks))
    return "\n".join(lines)
