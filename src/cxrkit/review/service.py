"""The review's rules, between the HTTP layer (:mod:`cxrkit.review.app`) and the store.

- :meth:`Review.draw` draws and freezes a sample and assigns every item to two readers, each
  reader's items in their own keyed order;
- who may see what: a reader sees their own items and decisions only, never the other
  reader's (:class:`RefusedError`); the consensus role sees both decisions of the items in the
  consensus queue; the labelers' output of a labels item is shown once the reader decided it;
- the consensus queue and the numbers of the statistics page (through
  :mod:`cxrkit.review.stats`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxrkit.errors import ConfigError, CxrkitError
from cxrkit.identity.keys import keyed_digest
from cxrkit.labels.schema import LABELS
from cxrkit.review import sample as core
from cxrkit.review import stats
from cxrkit.review.store import Decision, Item, Reader, ReviewStore, Verdict
from cxrkit.review.view import PixelCache, ReleaseIndex, graphic_boxes, header_rows

#: A reader flags an item (sends it to consensus) with these decisions.
FLAGGED = ("phi", "unsure")
#: PHI kinds a reader may tick.
PHI_KINDS = ("name", "date", "id", "address", "face-or-body", "other")


class RefusedError(CxrkitError):
    """A reader asked for what they may not see (HTTP 403)."""


@dataclass
class KindFigures:
    """The numbers of one item kind: per-reader progress, agreement, consensus, PHI bounds."""

    kind: str
    items: int
    progress: dict[str, tuple[int, int]] = field(default_factory=dict)
    agreement: stats.Agreement | None = None
    to_consensus: int = 0
    settled: int = 0
    strata: list[stats.StratumFigures] = field(default_factory=list)
    detection: dict[str, float | None] = field(default_factory=dict)


class Review:
    """One review over a release and its store."""

    def __init__(self, out: Path, store: ReviewStore, key: bytes) -> None:
        self.out = out
        self.store = store
        self.key = key
        self.index = ReleaseIndex(out)
        self.pixels = PixelCache()

    # -- sampling ------------------------------------------------------------------------

    def draw(self, kind: str, size: int, readers: Sequence[str], params: dict[str, Any]) -> int:
        """Draw ``size`` items of ``kind``, freeze the manifest, assign each to two readers."""
        if len(readers) < 2:
            raise ConfigError("a blinded double review needs at least two readers (--reader)")
        key = keyed_digest(self.key, "review-sample", kind)
        drawn = core.draw_sample(core.release_items(self.out, kind), size, key)
        params = {k: str(v) for k, v in {**params, "kind": kind, "size": len(drawn)}.items()}
        text = core.manifest_text(drawn, params)
        self.store.add_sample(
            kind, text, core.manifest_sha256(text), params, [(s.item_id, s.stratum) for s in drawn]
        )
        ids = {i.item_id: i.id for i in self.store.items(kind)}
        pairs: dict[str, list[str]] = {r: [] for r in readers}
        for n, member in enumerate(drawn):
            for reader in (readers[n % len(readers)], readers[(n + 1) % len(readers)]):
                pairs[reader].append(member.item_id)
        for reader, mine in pairs.items():
            order = core.reader_order(mine, keyed_digest(self.key, "review-order", kind), reader)
            self.store.assign(reader, [ids[i] for i in order])
        return len(drawn)

    # -- what a reader may see -----------------------------------------------------------

    def check_item(self, who: Reader, item: int) -> Item:
        found = self.store.item(item)
        if found is None:
            raise RefusedError(f"no item {item}")
        if who.role != "consensus" and who.name not in self.store.assigned(item):
            raise RefusedError(f"item {item} is not assigned to {who.name}")
        return found

    def decision_for(self, who: Reader, item: int, reader: str) -> Decision | None:
        """``reader``'s decision on ``item`` as ``who`` may see it: a reader only their own;
        the consensus role any decision of an item in the consensus queue."""
        self.check_item(who, item)
        if who.name != reader and not (who.role == "consensus" and item in self.consensus_queue()):
            raise RefusedError(f"{who.name} may not see another reader's decision")
        return self.store.decision(item, reader)

    def queue(self, who: Reader) -> list[dict[str, Any]]:
        """``who``'s items in order, each with its kind and whether ``who`` decided it."""
        rows = self.store.queue_status(who.name)
        return [{"item": item, "kind": kind, "done": done} for item, kind, done in rows]

    def item_view(self, who: Reader, item: int) -> dict[str, Any]:
        """What the review screen shows of ``item`` to ``who``."""
        found = self.check_item(who, item)
        own = self.store.decision(item, who.name)
        view: dict[str, Any] = {
            "item": item,
            "kind": found.kind,
            "item_id": found.item_id,
            "stratum": found.stratum,
            "own": _decision_json(own),
        }
        path = self.index.path(found.item_id)
        if found.kind == "image":
            ds, values = self.pixels.get(path)
            view["headers"] = [row.__dict__ for row in header_rows(ds)]
            view["boxes"] = graphic_boxes(ds)
            view["rows"], view["cols"] = values.shape
            view["min"], view["max"] = float(values.min()), float(values.max())
        else:
            view["text"] = path.read_text(encoding="utf-8")
        if found.kind == "labels":
            view["observations"] = list(LABELS)
            if own is not None or who.role == "consensus":
                view["labelers"] = self.index.labelers(found.item_id)
        return view

    # -- consensus -----------------------------------------------------------------------

    def pairs(self) -> dict[int, tuple[Decision, Decision]]:
        """Both readers' decisions on every item both decided (readers by name)."""
        assigned = self.store.assignment_map()
        by_item: dict[int, dict[str, Decision]] = {}
        for d in self.store.all_decisions():
            by_item.setdefault(d.item, {})[d.reader] = d
        out = {}
        for item, names in assigned.items():
            got = by_item.get(item, {})
            if len(names) == 2 and all(n in got for n in names):
                out[item] = (got[names[0]], got[names[1]])
        return out

    def consensus_queue(self) -> list[int]:
        """Items both readers decided and that disagree, or that either flagged."""
        return sorted(item for item, both in self.pairs().items() if needs_consensus(*both))

    def record_verdict(self, who: Reader, item: int, verdict: str, reason: str) -> None:
        if who.role != "consensus":
            raise RefusedError(f"{who.name} is not a consensus reader")
        if item not in self.consensus_queue():
            raise RefusedError(f"item {item} is not in the consensus queue")
        found = self.store.item(item)
        assert found is not None
        if found.kind != "labels" and verdict not in ("no-phi", "phi"):
            raise ConfigError("a consensus verdict is no-phi or phi")
        self.store.record_verdict(item, who.name, verdict, reason)

    # -- numbers -------------------------------------------------------------------------

    def figures(self, kind: str) -> KindFigures:
        """Progress, agreement, consensus and the confirmed-PHI bounds of one kind."""
        members = self.store.items(kind)
        verdicts = self.store.verdicts()
        fig = KindFigures(kind, len(members))
        pairs: list[tuple[str, str]] = []
        settled: dict[str, str] = {}
        confirmed: set[str] = set()
        flagged: dict[str, dict[str, bool]] = {}
        decided = self.pairs()
        for found in members:
            both = decided.get(found.id)
            if both is None:
                continue
            pairs.extend(_pairs(*both))
            for d in both:
                flagged.setdefault(d.reader, {})[found.item_id] = d.decision in FLAGGED
            if needs_consensus(*both):
                fig.to_consensus += 1
                if found.id not in verdicts:
                    continue
                if _is_phi(verdicts[found.id]):
                    confirmed.add(found.item_id)
            settled[found.item_id] = found.stratum
        fig.progress = self._progress(members)
        fig.agreement = stats.agreement(pairs) if pairs else None
        fig.settled = len(settled)
        if kind != "labels":
            fig.strata = stats.figures_by_stratum(settled, confirmed)
            truth = {i: i in confirmed for i in settled}
            fig.detection = {
                name: stats.detection_rate({i: v for i, v in calls.items() if i in settled}, truth)
                for name, calls in sorted(flagged.items())
            }
        return fig

    def _progress(self, members: list[Item]) -> dict[str, tuple[int, int]]:
        ids = {m.id for m in members}
        progress = {}
        for reader in self.store.readers():
            mine = [done for i, _, done in self.store.queue_status(reader.name) if i in ids]
            if mine:
                progress[reader.name] = (sum(mine), len(mine))
        return progress


def needs_consensus(a: Decision, b: Decision) -> bool:
    """Whether two readers' decisions send an item to consensus.

    Examples
    --------
    >>> no = Decision(1, "a", "no-phi")
    >>> unsure = Decision(1, "b", "unsure")
    >>> needs_consensus(no, Decision(1, "b", "no-phi")), needs_consensus(no, unsure)
    (False, True)
    """
    if a.labels is not None or b.labels is not None:
        return dict(a.labels or {}) != dict(b.labels or {})
    return a.decision != b.decision or a.decision in FLAGGED


def _pairs(a: Decision, b: Decision) -> list[tuple[str, str]]:
    if a.labels is not None and b.labels is not None:
        return [(a.labels.get(obs, ""), b.labels.get(obs, "")) for obs in LABELS]
    return [(a.decision, b.decision)]


def _is_phi(v: Verdict) -> bool:
    return v.verdict == "phi"


def _decision_json(d: Decision | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {
        "reader": d.reader,
        "decision": d.decision,
        "phi_kinds": list(d.phi_kinds),
        "box": list(d.box) if d.box else None,
        "span": list(d.span) if d.span else None,
        "comment": d.comment,
        "labels": dict(d.labels) if d.labels is not None else None,
        "at": d.at,
    }


def decision_json(d: Decision | None) -> str:
    return json.dumps(_decision_json(d))
