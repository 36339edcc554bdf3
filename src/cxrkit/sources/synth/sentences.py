"""The sentence bank of synthetic reports and the intended CheXpert labels of what is written.

``_data/sentences.toml`` holds sentences tagged with the CheXpert observations they assert
(``1.0`` positive, ``0.0`` negative, ``-1.0`` uncertain) and the report templates. A
:class:`Composer` picks sentences for one report so that they never contradict each other,
and :func:`aggregate_labels` turns the sentences of the labeled section into the intended
labels, aggregated as the CheXpert labeler does (S12).
"""

from __future__ import annotations

import functools
import random
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from cxrkit.labels.schema import CHEXPERT_ORDER

#: The 14 CheXpert observations, in the CheXpert labeler's order.
OBSERVATIONS = CHEXPERT_ORDER
NO_FINDING = "No Finding"
SUPPORT_DEVICES = "Support Devices"
#: Plan key for findings outside the 14 observations (they keep No Finding from being 1.0).
OTHER = "Other"
#: Where a sentence about an observation goes in a findings section (devices first, bones last).
RANK = {
    SUPPORT_DEVICES: 0,
    "Lung Opacity": 1,
    "Consolidation": 1,
    "Pneumonia": 1,
    "Atelectasis": 1,
    "Edema": 1,
    "Lung Lesion": 1,
    "Pleural Effusion": 2,
    "Pneumothorax": 2,
    "Pleural Other": 2,
    "Cardiomegaly": 3,
    "Enlarged Cardiomediastinum": 3,
    "Fracture": 4,
}


@dataclass(frozen=True)
class Sentence:
    """One sentence of the bank and what it asserts."""

    text: str
    tags: tuple[tuple[str, float], ...] = ()
    absent: tuple[str, ...] = ()
    blocks: bool = False
    where: str = "any"
    body: str = "chest"

    @property
    def negative_only(self) -> bool:
        """Asserts only absences (a filler for normal reports)."""
        return (
            not self.blocks
            and bool(self.tags or self.absent)
            and all(v == 0.0 for _, v in self.tags)
        )

    @property
    def neutral(self) -> bool:
        return not (self.tags or self.absent or self.blocks)

    @property
    def rank(self) -> int:
        keys = [o for o, _ in self.tags] + list(self.absent)
        return min((RANK.get(k, 5) for k in keys), default=5)


@dataclass(frozen=True)
class Bank:
    """The parsed ``sentences.toml``: sentences indexed by what they assert, and templates."""

    sentences: tuple[Sentence, ...]
    by_tag: dict[tuple[str, str, float], tuple[Sentence, ...]]
    pools: dict[tuple[str, str], tuple[Sentence, ...]]
    data: dict[str, Any]

    def words(self) -> dict[str, tuple[str, ...]]:
        return {k: tuple(v) for k, v in self.data["words"].items()}

    def templates(self, table: str, key: str) -> tuple[str, ...]:
        return tuple(self.data[table][key])

    def kind(self, body: str, kind: str) -> tuple[Sentence, ...]:
        """The ``negative``, ``neutral`` or ``other`` (blocking, untagged) sentences of ``body``."""
        return self.pools.get((body, kind), ())


_KINDS: dict[str, Callable[[Sentence], bool]] = {
    "negative": lambda s: s.negative_only,
    "neutral": lambda s: s.neutral,
    "other": lambda s: s.blocks and not s.tags,
}


def _sentence(entry: dict[str, Any], groups: dict[str, list[str]]) -> Sentence:
    absent: list[str] = []
    for name in entry.get("absent", []):
        absent.extend(groups.get(name, [name]))
    return Sentence(
        text=entry["text"],
        tags=tuple((o, float(v)) for o, v in entry.get("tags", {}).items()),
        absent=tuple(dict.fromkeys(absent)),
        blocks=bool(entry.get("blocks", False)),
        where=entry.get("where", "any"),
        body=entry.get("body", "chest"),
    )


@functools.cache
def sentence_bank() -> Bank:
    """``_data/sentences.toml``, parsed and indexed once."""
    text = (files("cxrkit.sources.synth") / "_data" / "sentences.toml").read_text("utf-8")
    data: dict[str, Any] = tomllib.loads(text)
    sentences = tuple(_sentence(e, data["groups"]) for e in data.pop("sentence"))
    unknown = {o for s in sentences for o, _ in s.tags} - set(OBSERVATIONS)
    if unknown:
        raise ValueError(f"sentences.toml tags unknown observations: {sorted(unknown)}")
    by_tag: dict[tuple[str, str, float], list[Sentence]] = {}
    for s in sentences:
        for o, v in s.tags:
            by_tag.setdefault((s.body, o, v), []).append(s)
    pools = {
        (body, kind): tuple(s for s in sentences if s.body == body and test(s))
        for body in ("chest", "other")
        for kind, test in _KINDS.items()
    }
    return Bank(sentences, {k: tuple(v) for k, v in by_tag.items()}, pools, data)


def aggregate_labels(sentences: Iterable[Sentence]) -> dict[str, float | None]:
    """The CheXpert labels of a section made of ``sentences``.

    Positive beats uncertain beats negative; "No Finding" is ``1.0`` only when no observation
    but Support Devices is positive or uncertain and no other finding is mentioned.

    Examples
    --------
    >>> s = [Sentence("x", (("Edema", 0.0),)), Sentence("y", (("Edema", -1.0),))]
    >>> labels = aggregate_labels(s)
    >>> labels["Edema"], labels["No Finding"], labels["Fracture"]
    (-1.0, None, None)
    """
    values: dict[str, list[float]] = {}
    blocks = False
    for s in sentences:
        blocks = blocks or s.blocks
        for o, v in s.tags:
            values.setdefault(o, []).append(v)
    out: dict[str, float | None] = {NO_FINDING: None}
    for o in OBSERVATIONS[1:]:
        vs = values.get(o, [])
        out[o] = None if not vs else 1.0 if 1.0 in vs else -1.0 if -1.0 in vs else 0.0
    finding = blocks or any(out[o] in (1.0, -1.0) for o in OBSERVATIONS[1:] if o != SUPPORT_DEVICES)
    out[NO_FINDING] = None if finding else 1.0
    return out


class Composer:
    """Pick bank sentences for one report without contradicting what was already written."""

    def __init__(self, bank: Bank, rng: random.Random, body: str) -> None:
        self.bank, self.rng, self.body = bank, rng, body
        self.plan: dict[str, float] = {}
        self._used: set[str] = set()

    def fits(self, s: Sentence) -> bool:
        """``s`` agrees with the plan (every observation keeps one value in a report)."""
        if any(self.plan.get(o, v) != v for o, v in s.tags):
            return False
        if any(self.plan.get(o, 0.0) != 0.0 for o in s.absent):
            return False
        return not (s.blocks and self.plan.get(OTHER, 1.0) != 1.0)

    def _take(self, s: Sentence) -> Sentence:
        for o, v in s.tags:
            self.plan.setdefault(o, v)
        for o in s.absent:
            self.plan.setdefault(o, 0.0)
        if s.blocks:
            self.plan[OTHER] = 1.0
        self._used.add(s.text)
        return s

    def _pick(self, pool: Iterable[Sentence], where: str, avoid: set[str]) -> Sentence | None:
        options = [
            s
            for s in pool
            if s.where in (where, "any")
            and s.text not in self._used
            and self.fits(s)
            and not any(o in avoid for o, _ in s.tags)
        ]
        return self._take(self.rng.choice(options)) if options else None

    def summary(self) -> Sentence | None:
        """An impression-style negative sentence ("No acute cardiopulmonary process.")."""
        pool = [s for s in self.bank.kind(self.body, "negative") if s.where == "impression"]
        return self._pick(pool, "impression", set())

    def target(self, obs: str, value: float, where: str) -> Sentence | None:
        """A sentence asserting ``obs`` with ``value``."""
        return self._pick(self.bank.by_tag.get((self.body, obs, value), ()), where, set())

    def _targets(
        self, targets: list[tuple[str, float]], where: str, repeat: list[Sentence]
    ) -> list[Sentence]:
        out: list[Sentence] = []
        for o, v in targets:
            if any((o, v) in s.tags for s in out):
                continue
            again = [
                s
                for s in repeat
                if (o, v) in s.tags and s.where in (where, "any") and s.text not in self._used
            ]
            s = again[0] if again and self.rng.random() < 0.75 else self.target(o, v, where)
            if s is not None:
                self._used.add(s.text)
                out.append(s)
        return out

    def section(
        self,
        targets: list[tuple[str, float]],
        where: str,
        *,
        negatives: int,
        neutral: int = 0,
        other: int = 0,
        repeat: list[Sentence] | None = None,
    ) -> list[Sentence]:
        """Sentences for one section: the targets, other findings, negatives, neutral ones.

        A sentence is used at most once per section. What ``repeat`` (the findings, for an
        impression) already says is mostly said again with the same words.
        """
        self._used = set()
        repeat = repeat or []
        out = self._targets(targets, where, repeat)
        for kind, n in (("other", other), ("negative", negatives), ("neutral", neutral)):
            pool = self.bank.kind(self.body, kind)
            again = [s for s in repeat if _KINDS[kind](s)]
            for _ in range(n):
                avoid = {o for s in out for o, _ in s.tags}
                s = self._pick(again, where, avoid) if self.rng.random() < 0.7 else None
                s = s or self._pick(pool, where, avoid)
                if s is not None:
                    out.append(s)
        return out

    def order(self, sentences: list[Sentence]) -> list[Sentence]:
        """Findings order (devices, lungs, pleura, heart, bones), now and then shuffled."""
        out = list(sentences)
        self.rng.shuffle(out)
        if self.rng.random() < 0.85:
            out.sort(key=lambda s: s.rank)
        return out


#: How often each observation is a finding of an abnormal report (MIMIC-CXR-like shape).
WEIGHTS = {
    "Pleural Effusion": 12,
    "Lung Opacity": 12,
    "Atelectasis": 10,
    SUPPORT_DEVICES: 10,
    "Cardiomegaly": 9,
    "Edema": 8,
    "Pneumonia": 6,
    "Consolidation": 6,
    "Pneumothorax": 6,
    "Lung Lesion": 5,
    "Enlarged Cardiomediastinum": 4,
    "Fracture": 4,
    "Pleural Other": 3,
}
#: Value of a finding of an abnormal report: mostly positive, often uncertain, some negated.
POLARITY = ((1.0, 0.58), (-1.0, 0.28), (0.0, 0.14))


def plan_targets(
    rng: random.Random, body: str, *, devices: bool = False
) -> tuple[str, list[tuple[str, float]]]:
    """The kind of report (``normal``, ``devices``, ``other``, ``abnormal``) and its findings.

    About 30% of chest reports are normal (No Finding), a few of them with support devices;
    a few have only findings outside the 14 observations; the rest have 1 to 4 findings.
    With ``devices`` (a line or tube placement examination) a device is always described.
    """
    kind, targets = _plan(rng, body)
    if devices and all(o != SUPPORT_DEVICES for o, _ in targets):
        value = 1.0 if rng.random() < 0.85 else -1.0
        kind = "devices" if kind == "normal" and value == 1.0 else kind
        kind = "abnormal" if kind == "normal" else kind
        targets = [(SUPPORT_DEVICES, value), *targets]
    return kind, targets


def _plan(rng: random.Random, body: str) -> tuple[str, list[tuple[str, float]]]:
    roll = rng.random()
    if body != "chest":
        if roll < 0.7:
            return "normal", []
        return "abnormal", [("Fracture", rng.choice((1.0, -1.0)))]
    if roll < 0.22:
        return "normal", []
    if roll < 0.27:
        return "devices", [(SUPPORT_DEVICES, 1.0)]
    if roll < 0.32:
        return "other", []
    names = list(WEIGHTS)
    chosen: list[str] = []
    for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 3, 4))):
        name = rng.choices(names, [WEIGHTS[n] for n in names])[0]
        names.remove(name)
        chosen.append(name)
    values, weights = zip(*POLARITY, strict=True)
    return "abnormal", [(n, rng.choices(values, weights)[0]) for n in chosen]
