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
from pathlib import Path
from typing import Any

from cxrkit.errors import ConfigError, CxrkitError
from cxrkit.identity.keys import keyed_digest
from cxrkit.labels.schema import LABELS
from cxrkit.release.layout import write_atomic
from cxrkit.review import export, stats
from cxrkit.review import sample as core
from cxrkit.review.store import LABEL_VALUES, Decision, Item, Reader, ReviewStore
from cxrkit.review.view import PixelCache, ReleaseIndex, graphic_boxes, header_rows

#: A reader flags an item (sends it to consensus) with these decisions.
FLAGGED = ("phi", "unsure")
#: PHI kinds a reader may tick: ``cxrkit evaluate-deid``'s categories.
PHI_KINDS = export.PHI_KINDS


class RefusedError(CxrkitError):
    """A reader asked for what they may not see (HTTP 403)."""


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
            "own": decision_json(own),
        }
        path = self.index.path(found.item_id)
        if found.kind == "image":
            ds, pixels = self.pixels.get(path)
            view["headers"] = [row.__dict__ for row in header_rows(ds)]
            view["boxes"] = graphic_boxes(ds)
            view["rows"], view["cols"] = pixels.shape
            view["min"], view["max"] = pixels.low, pixels.high
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
        if found.kind == "labels":
            labels = json.loads(verdict)
            if set(labels) - set(LABELS) or set(labels.values()) - set(LABEL_VALUES):
                raise ConfigError("a labels verdict maps observations to 1, 0, -1 or blank")
        self.store.record_verdict(item, who.name, verdict, reason)

    # -- numbers -------------------------------------------------------------------------

    def summary(self, kind: str) -> export.ReviewSummary:
        """The numbers of one kind: progress, agreement, consensus, the confirmed-PHI bounds
        by stratum over the settled items, each reader's detection rate against consensus."""
        verdicts, decided = self.store.verdicts(), self.pairs()
        members = self.store.items(kind)
        pairs: list[tuple[str, str]] = []
        per_label: dict[str, list[tuple[str, str]]] = {obs: [] for obs in LABELS}
        settled: dict[str, str] = {}
        confirmed: set[str] = set()
        sent = done = 0
        for found in members:
            both = decided.get(found.id)
            if both is None:
                continue
            pairs.extend(_pairs(*both))
            if kind == "labels":
                for obs, pair in zip(LABELS, _pairs(*both), strict=True):
                    per_label[obs].append(pair)
            if needs_consensus(*both):
                sent += 1
                if found.id not in verdicts:
                    continue
                done += 1
                if verdicts[found.id].verdict == "phi":
                    confirmed.add(found.item_id)
            settled[found.item_id] = found.stratum
        flags, assigned = self._flags(members)
        frozen = self.store.sample(kind)
        return export.build_summary(
            kind=kind,
            manifest_sha256=frozen[1] if frozen else "",
            strata=settled,
            pairs=pairs,
            consensus=(sent, done),
            confirmed=confirmed,
            flags=flags,
            assigned=assigned,
            per_label=[(o, stats.agreement(p)) for o, p in per_label.items() if p],
            sample_size=len(members),
        )

    def outcomes(self) -> dict[int, str]:
        """Every settled item's outcome: the consensus verdict, or the readers' agreed
        decision where none was needed (labels: their JSON)."""
        verdicts, out = self.store.verdicts(), {}
        for item, (a, b) in self.pairs().items():
            if not needs_consensus(a, b):
                out[item] = a.decision if a.labels is None else json.dumps(dict(a.labels))
            elif item in verdicts:
                out[item] = verdicts[item].verdict
        return out

    def _flags(self, members: list[Item]) -> tuple[dict[str, dict[str, bool]], dict[str, int]]:
        """Each reader's decided items of ``members`` (True: the reader said PHI) and number
        of assigned items."""
        ids = {m.id: m.item_id for m in members}
        mine: dict[str, list[int]] = {}
        for item, names in self.store.assignment_map().items():
            if item in ids:
                for name in names:
                    mine.setdefault(name, []).append(item)
        flags: dict[str, dict[str, bool]] = {name: {} for name in mine}
        for d in self.store.all_decisions():
            if d.item in ids and d.reader in flags:
                flags[d.reader][ids[d.item]] = d.decision == "phi"
        return flags, {name: len(items) for name, items in mine.items()}


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


def decision_json(d: Decision | None) -> dict[str, Any] | None:
    """A decision as the API sends it (None: not decided)."""
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


def export_review(review: Review, folder: Path) -> list[Path]:
    """Write the review's exports to ``folder`` (see :mod:`cxrkit.review.export`): decisions,
    audit log, BRAT spans of the reports, the confirmed-PHI list, a summary per kind in
    ``folder/<kind>/``, and the manual labels of the settled labels items."""
    items = {i.id: i for i in review.store.items()}
    verdicts = review.store.verdicts()
    roles = {r.name: r.role for r in review.store.readers()}
    rows = [_export_row(items[d.item], d, roles) for d in review.store.all_decisions()]
    for v in verdicts.values():
        found = items[v.item]
        row: dict[str, object] = {"item_id": found.item_id, "kind": found.kind}
        row |= {"stratum": found.stratum, "reader": v.reader, "role": "consensus"}
        if found.kind == "labels":
            row |= json.loads(v.verdict)
        else:
            row["decision"] = v.verdict
        rows.append(row | {"comment": v.reason, "decided_at": v.at})
    written = [*export.write_decisions(folder, rows)]
    written.append(export.write_audit(folder, _audit_events(review, items)))
    outcome = review.outcomes()
    written.extend(_brat(review, folder, outcome))
    confirmed = sorted(i.item_id for i in items.values() if outcome.get(i.id) == "phi")
    text = "".join(f"{i}\n" for i in confirmed)
    written.append(write_atomic(folder / "confirmed-phi.txt", text.encode("utf-8")))
    for kind in ("image", "report", "labels"):
        if review.store.sample(kind) is not None:
            written.extend(export.write_summary(folder / kind, review.summary(kind)))
    labels = [
        {"study_id": items[item].item_id, **json.loads(value)}
        for item, value in outcome.items()
        if items[item].kind == "labels"
    ]
    if labels:
        written.append(export.write_test_set_labels(folder / export.TEST_SET_LABELS, labels))
    return written


def _export_row(found: Item, d: Decision, roles: dict[str, str]) -> dict[str, object]:
    row: dict[str, object] = {"item_id": found.item_id, "kind": found.kind}
    row |= {"stratum": found.stratum, "reader": d.reader, "role": roles.get(d.reader, "")}
    if d.labels is not None:
        row |= dict(d.labels)
    else:
        row |= {"decision": d.decision, "phi_kinds": list(d.phi_kinds)}
        row |= {"box": list(d.box) if d.box else "", "spans": list(d.span) if d.span else ""}
    return row | {"comment": d.comment, "decided_at": d.at}


def _audit_events(review: Review, items: dict[int, Item]) -> list[dict[str, object]]:
    events = []
    for row in review.store.audit_log():
        item = row["item"]
        if item.isdigit() and int(item) in items:
            item = items[int(item)].item_id
        before = json.loads(row["before"]) if row["before"] else None
        after = json.loads(row["after"]) if row["after"] else None
        events.append(
            {"seq": row["seq"], "at": row["at"], "who": row["who"], "what": row["action"]}
            | {"item": item, "before": before, "after": after}
        )
    return events


def _brat(review: Review, folder: Path, outcome: dict[int, str]) -> list[Path]:
    """The settled reports as BRAT standoff: the readers' spans of those confirmed as PHI."""
    reports: dict[str, str] = {}
    spans: dict[str, list[tuple[int, int, str]]] = {}
    decided = review.pairs()
    for found in review.store.items("report"):
        if found.id not in outcome:
            continue
        text = review.index.path(found.item_id).read_text(encoding="utf-8")
        reports[found.item_id] = text
        if outcome[found.id] != "phi":
            continue
        marked = {
            (d.span[0], d.span[1], d.phi_kinds[0] if d.phi_kinds else "other")
            for d in decided[found.id]
            if d.span
        }
        spans[found.item_id] = sorted(marked)
    return export.write_brat(folder / "brat", reports, spans)
