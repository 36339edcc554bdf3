"""Score report de-identification on a hospital's own annotated reports (``evaluate-deid``).

The de-identification scored is :func:`cxrkit.reports.deid.find_text_phi` without a deny-list —
exactly what ``cxrkit deid-text`` removes. Scoring is token-level: a token is a run of letters
and digits. A token is **PHI** when it overlaps an annotation (its category is the common
category of that annotation, :func:`~cxrkit.reports.deid_formats.common_category`); it is
**removed** when de-identification's spans cover every character of it.

- recall of a category: its PHI tokens removed / its PHI tokens;
- precision of a category: tokens removed by spans of that (mapped) category that are PHI of
  any category / tokens removed by spans of that category — a name taken for a place is still
  hidden, so precision does not ask for the same category.

A miss is reported by category, document and character offsets, never by its text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field

from cxrkit.reports.deid import find_text_phi
from cxrkit.reports.deid_formats import COMMON_CATEGORIES, AnnotatedDoc, common_category
from cxrkit.reports.patterns import Span

_TOKEN = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class Miss:
    """A PHI token that de-identification left: where it is (``text`` only on request)."""

    category: str
    document: str
    start: int
    end: int
    text: str = field(default="", repr=False)


@dataclass
class DeidScore:
    """Token counts per common category and the misses."""

    documents: int = 0
    tokens: int = 0
    gold: Counter[str] = field(default_factory=Counter)
    caught: Counter[str] = field(default_factory=Counter)
    predicted: Counter[str] = field(default_factory=Counter)
    correct: Counter[str] = field(default_factory=Counter)
    misses: list[Miss] = field(default_factory=list)

    def categories(self) -> list[str]:
        """The common categories that occur in the gold or the predictions, in fixed order."""
        seen = set(self.gold) | set(self.predicted)
        return [c for c in COMMON_CATEGORIES if c in seen]

    def recall(self, category: str | None = None) -> float | None:
        gold = self.gold[category] if category else sum(self.gold.values())
        caught = self.caught[category] if category else sum(self.caught.values())
        return caught / gold if gold else None

    def precision(self, category: str | None = None) -> float | None:
        predicted = self.predicted[category] if category else sum(self.predicted.values())
        correct = self.correct[category] if category else sum(self.correct.values())
        return correct / predicted if predicted else None


def _gold_tokens(doc: AnnotatedDoc) -> dict[tuple[int, int], str]:
    """Token offsets → common category, for the tokens that overlap an annotation."""
    fragments = sorted(
        (start, end, category)
        for a in doc.annotations
        if (category := common_category(a.type)) is not None
        for start, end in a.fragments
    )
    out: dict[tuple[int, int], str] = {}
    for tok in _TOKEN.finditer(doc.text):
        for start, end, category in fragments:
            if start >= tok.end():
                break
            if end > tok.start():
                out.setdefault(tok.span(), category)
                break
    return out


def _removed_by(spans: list[Span], start: int, end: int) -> str | None:
    """The category of the span that covers ``[start, end)`` entirely, if one does."""
    i = bisect_right([s.start for s in spans], start) - 1
    if i >= 0 and spans[i].end >= end:
        return common_category(spans[i].category) or "other"
    return None


def _unscored(doc: AnnotatedDoc) -> set[tuple[int, int]]:
    """Tokens inside annotations that are not scored (times of day): neither PHI nor not."""
    out: set[tuple[int, int]] = set()
    for a in doc.annotations:
        if common_category(a.type) is None:
            for start, end in a.fragments:
                out.update(t.span() for t in _TOKEN.finditer(doc.text, start, end))
    return out


def score_document(doc: AnnotatedDoc, score: DeidScore, *, keep_text: bool = False) -> None:
    """Add one document's token counts and misses to ``score``."""
    spans = find_text_phi(doc.text)
    gold = _gold_tokens(doc)
    skip = _unscored(doc) - set(gold)
    score.documents += 1
    for tok in _TOKEN.finditer(doc.text):
        if tok.span() in skip:
            continue
        score.tokens += 1
        category = gold.get(tok.span())
        removed = _removed_by(spans, tok.start(), tok.end())
        if removed is not None:
            score.predicted[removed] += 1
            score.correct[removed] += category is not None
        if category is None:
            continue
        score.gold[category] += 1
        if removed is not None:
            score.caught[category] += 1
        else:
            text = tok.group() if keep_text else ""
            score.misses.append(Miss(category, doc.name, tok.start(), tok.end(), text))


def evaluate_deid(docs: list[AnnotatedDoc], *, keep_text: bool = False) -> DeidScore:
    """Token recall and precision of report de-identification on annotated documents.

    Examples
    --------
    >>> from cxrkit.reports.deid_formats import Annotation
    >>> doc = AnnotatedDoc("a.txt", "Seen by Dr. Bell on 3/4/2015.", (
    ...     Annotation("DOCTOR", ((12, 16),)), Annotation("DATE", ((20, 28),))))
    >>> s = evaluate_deid([doc])
    >>> s.recall("name"), s.recall("date"), s.precision()
    (1.0, 1.0, 1.0)
    """
    score = DeidScore()
    for doc in docs:
        score_document(doc, score, keep_text=keep_text)
    return score
