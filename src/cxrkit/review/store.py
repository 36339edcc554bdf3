"""The review's state (issue 18): samples, readers, assignments, decisions, verdicts, audit.

Through SQLAlchemy Core, like the keystore: a SQLite file in the private workspace by default
(``<private>/review.sqlite``) or any PostgreSQL URL — the keystore's, where the build used one:
every table's name starts with ``review_``. One schema, versioned in ``review_schema_version``;
:func:`open_store` creates it or migrates an older one forward.

Nothing here is ever deleted without a trace: every write also appends a row to ``review_audit``
(who, what, when, the row before and after as JSON), and the audit table is only appended to.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cxrkit.errors import ConfigError, WorkspaceError

SCHEMA_VERSION = 2
DB_FILE = "review.sqlite"
DECISIONS = ("no-phi", "phi", "unsure")
KINDS = ("image", "report", "labels")
ROLES = ("reader", "consensus")
#: Label values a reader may give an observation: positive, negative, uncertain, blank.
LABEL_VALUES = ("1", "0", "-1", "")

metadata = sa.MetaData()
schema_version = sa.Table(
    "review_schema_version", metadata, sa.Column("version", sa.Integer, nullable=False)
)
samples = sa.Table(
    "review_samples",
    metadata,
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("manifest", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("created", sa.String(32), nullable=False),
)
items = sa.Table(
    "review_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), sa.ForeignKey("review_samples.kind"), nullable=False),
    sa.Column("item_id", sa.String(256), nullable=False),
    sa.Column("stratum", sa.String(256), nullable=False),
    sa.UniqueConstraint("kind", "item_id"),
)
readers = sa.Table(
    "review_readers",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("token", sa.String(64), nullable=False, unique=True),
)
assignments = sa.Table(
    "review_assignments",
    metadata,
    sa.Column("item", sa.Integer, sa.ForeignKey("review_items.id"), primary_key=True),
    sa.Column("reader", sa.String(64), sa.ForeignKey("review_readers.name"), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.UniqueConstraint("reader", "position"),
)
decisions = sa.Table(
    "review_decisions",
    metadata,
    sa.Column("item", sa.Integer, sa.ForeignKey("review_items.id"), primary_key=True),
    sa.Column("reader", sa.String(64), sa.ForeignKey("review_readers.name"), primary_key=True),
    sa.Column("decision", sa.String(8), nullable=False),
    sa.Column("phi_kinds", sa.Text, nullable=False),  # JSON list
    sa.Column("box", sa.Text, nullable=True),  # JSON [x0, y0, x1, y1] in image pixels
    sa.Column("span", sa.Text, nullable=True),  # JSON [start, end] in the report text
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("at", sa.String(32), nullable=False),
)
label_decisions = sa.Table(
    "review_label_decisions",
    metadata,
    sa.Column("item", sa.Integer, sa.ForeignKey("review_items.id"), primary_key=True),
    sa.Column("reader", sa.String(64), sa.ForeignKey("review_readers.name"), primary_key=True),
    sa.Column("labels", sa.Text, nullable=False),  # JSON {observation: "1"|"0"|"-1"|""}
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("at", sa.String(32), nullable=False),
)
verdicts = sa.Table(
    "review_verdicts",
    metadata,
    sa.Column("item", sa.Integer, sa.ForeignKey("review_items.id"), primary_key=True),
    sa.Column("reader", sa.String(64), sa.ForeignKey("review_readers.name"), nullable=False),
    sa.Column("verdict", sa.Text, nullable=False),  # a decision, or JSON labels for labels
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("at", sa.String(32), nullable=False),
)
audit = sa.Table(
    "review_audit",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("who", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("item", sa.String(300), nullable=False),
    sa.Column("before", sa.Text, nullable=True),
    sa.Column("after", sa.Text, nullable=True),
)


@dataclass(frozen=True)
class Item:
    """A sampled item: its row id in the store, kind, release id and stratum."""

    id: int
    kind: str
    item_id: str
    stratum: str


@dataclass(frozen=True)
class Reader:
    name: str
    role: str
    token: str


@dataclass(frozen=True)
class Decision:
    """One reader's decision on an image or report (or, for labels, ``labels`` set)."""

    item: int
    reader: str
    decision: str
    phi_kinds: tuple[str, ...] = ()
    box: tuple[float, ...] | None = None
    span: tuple[int, int] | None = None
    comment: str = ""
    labels: Mapping[str, str] | None = None
    at: str = ""


@dataclass(frozen=True)
class Verdict:
    item: int
    reader: str
    verdict: str
    reason: str
    at: str


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def engine_for(private: Path, url: str | None = None) -> Engine:
    """An engine for ``url``, or for ``review.sqlite`` in the private workspace."""
    if url is None:
        private.mkdir(mode=0o700, parents=True, exist_ok=True)
        engine = sa.create_engine(f"sqlite:///{private / DB_FILE}")
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    try:
        return sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise ConfigError(f"cannot use review URL scheme {url.split(':', 1)[0]!r}: {exc}") from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _migrate_1_to_2(conn: Connection) -> None:
    """Version 1 had no ``span`` column on decisions (text spans came with report review)."""
    conn.execute(sa.text("ALTER TABLE review_decisions ADD COLUMN span TEXT"))


#: Migration steps: version ``v`` → ``v + 1``.
MIGRATIONS = {1: _migrate_1_to_2}


def migrate(engine: Engine) -> int:
    """Create the schema, or bring an older one to :data:`SCHEMA_VERSION`; the version."""
    with engine.begin() as conn:
        inspector = sa.inspect(conn)
        if not inspector.has_table(schema_version.name):
            metadata.create_all(conn)
            conn.execute(schema_version.insert().values(version=SCHEMA_VERSION))
            return SCHEMA_VERSION
        version = int(conn.execute(sa.select(schema_version.c.version)).scalar_one())
        if version > SCHEMA_VERSION:
            raise WorkspaceError(
                f"the review database has schema version {version}, newer than this cxrkit "
                f"({SCHEMA_VERSION}): upgrade cxrkit"
            )
        while version < SCHEMA_VERSION:
            MIGRATIONS[version](conn)
            version += 1
        metadata.create_all(conn)  # tables added in later versions
        conn.execute(schema_version.update().values(version=version))
        return version


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)


class ReviewStore:
    """Reads and writes the review state; every write is audited in the same transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        migrate(engine)

    # -- samples and readers -------------------------------------------------------------

    def sample(self, kind: str) -> tuple[str, str, dict[str, Any]] | None:
        """The frozen manifest of ``kind``'s sample, its SHA-256 and params, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(samples).where(samples.c.kind == kind)).first()
        if row is None:
            return None
        return row.manifest, row.sha256, json.loads(row.params)

    def add_sample(
        self,
        kind: str,
        manifest: str,
        sha256: str,
        params: Mapping[str, Any],
        members: Sequence[tuple[str, str]],
    ) -> None:
        """Freeze a sample of ``kind``: its manifest and members (item id, stratum)."""
        if kind not in KINDS:
            raise ConfigError(f"unknown item kind {kind!r}: use one of {', '.join(KINDS)}")
        with self.engine.begin() as conn:
            if conn.execute(sa.select(samples.c.kind).where(samples.c.kind == kind)).first():
                raise ConfigError(f"the {kind} sample is already drawn and frozen")
            at = _now()
            conn.execute(
                samples.insert().values(
                    kind=kind, manifest=manifest, sha256=sha256, params=_json(params), created=at
                )
            )
            if members:
                conn.execute(
                    items.insert(),
                    [{"kind": kind, "item_id": i, "stratum": s} for i, s in members],
                )
            after = {"kind": kind, "sha256": sha256, "items": len(members)}
            self._audit(
                conn, who="system", action="draw-sample", item=kind, before=None, after=after
            )

    def add_reader(self, name: str, role: str = "reader") -> Reader:
        """Register ``name`` (idempotent; a known reader keeps role and token)."""
        if role not in ROLES:
            raise ConfigError(f"unknown role {role!r}: use reader or consensus")
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise ConfigError(f"reader name {name!r}: use letters, digits, - and _")
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(readers).where(readers.c.name == name)).first()
            if row is not None:
                if row.role != role:
                    raise ConfigError(f"reader {name!r} is already registered as {row.role}")
                return Reader(row.name, row.role, row.token)
            token = secrets.token_urlsafe(24)
            conn.execute(readers.insert().values(name=name, role=role, token=token))
            self._audit(
                conn,
                who="system",
                action="add-reader",
                item=name,
                before=None,
                after={"role": role},
            )
        return Reader(name, role, token)

    def readers(self) -> list[Reader]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(readers).order_by(readers.c.name)).all()
        return [Reader(r.name, r.role, r.token) for r in rows]

    def reader(self, name: str) -> Reader | None:
        return next((r for r in self.readers() if r.name == name), None)

    def reader_by_token(self, token: str) -> Reader | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(readers).where(readers.c.token == token)).first()
        return None if row is None else Reader(row.name, row.role, row.token)

    # -- items and assignments -----------------------------------------------------------

    def items(self, kind: str | None = None) -> list[Item]:
        query = sa.select(items).order_by(items.c.id)
        if kind is not None:
            query = query.where(items.c.kind == kind)
        with self.engine.connect() as conn:
            return [Item(r.id, r.kind, r.item_id, r.stratum) for r in conn.execute(query)]

    def item(self, item: int) -> Item | None:
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(items).where(items.c.id == item)).first()
        return None if r is None else Item(r.id, r.kind, r.item_id, r.stratum)

    def assign(self, reader: str, ordered: Iterable[int]) -> int:
        """Append ``ordered`` items to ``reader``'s queue (items already there are kept)."""
        with self.engine.begin() as conn:
            have = {
                r.item: r.position
                for r in conn.execute(sa.select(assignments).where(assignments.c.reader == reader))
            }
            start = max(have.values(), default=-1) + 1
            new = [i for i in ordered if i not in have]
            if new:
                conn.execute(
                    assignments.insert(),
                    [
                        {"item": i, "reader": reader, "position": start + k}
                        for k, i in enumerate(new)
                    ],
                )
                self._audit(
                    conn,
                    who="system",
                    action="assign",
                    item=reader,
                    before=None,
                    after={"items": len(new)},
                )
        return len(new)

    def queue(self, reader: str) -> list[int]:
        """``reader``'s items in their order."""
        query = (
            sa.select(assignments.c.item)
            .where(assignments.c.reader == reader)
            .order_by(assignments.c.position)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def queue_status(self, reader: str) -> list[tuple[int, str, bool]]:
        """``reader``'s items in order: (item, kind, decided by ``reader``), in one query."""
        done = sa.union(
            sa.select(decisions.c.item).where(decisions.c.reader == reader),
            sa.select(label_decisions.c.item).where(label_decisions.c.reader == reader),
        ).subquery()
        query = (
            sa.select(assignments.c.item, items.c.kind, done.c.item.is_not(None))
            .join(items, items.c.id == assignments.c.item)
            .outerjoin(done, done.c.item == assignments.c.item)
            .where(assignments.c.reader == reader)
            .order_by(assignments.c.position)
        )
        with self.engine.connect() as conn:
            return [(r[0], r[1], bool(r[2])) for r in conn.execute(query)]

    def assignment_map(self) -> dict[int, list[str]]:
        """Every item's readers (sorted by name)."""
        out: dict[int, list[str]] = {}
        query = sa.select(assignments.c.item, assignments.c.reader).order_by(assignments.c.reader)
        with self.engine.connect() as conn:
            for item, reader in conn.execute(query):
                out.setdefault(item, []).append(reader)
        return out

    def assigned(self, item: int) -> list[str]:
        """The readers ``item`` is assigned to."""
        query = sa.select(assignments.c.reader).where(assignments.c.item == item)
        with self.engine.connect() as conn:
            return sorted(conn.execute(query).scalars())

    # -- decisions -----------------------------------------------------------------------

    def decide(self, d: Decision) -> None:
        """Record (or replace) ``d.reader``'s decision on ``d.item``."""
        with self.engine.begin() as conn:
            if not conn.execute(
                sa.select(assignments.c.item).where(
                    assignments.c.item == d.item, assignments.c.reader == d.reader
                )
            ).first():
                raise ConfigError(f"item {d.item} is not assigned to {d.reader}")
            table, row = self._decision_row(d)
            before = self._row(conn, table, d.item, d.reader)
            where = (table.c.item == d.item) & (table.c.reader == d.reader)
            conn.execute(table.delete().where(where))
            conn.execute(table.insert().values(**row))
            self._audit(
                conn, who=d.reader, action="decide", item=str(d.item), before=before, after=row
            )

    @staticmethod
    def _decision_row(d: Decision) -> tuple[sa.Table, dict[str, Any]]:
        base = {"item": d.item, "reader": d.reader, "comment": d.comment, "at": _now()}
        if d.labels is not None:
            bad = [v for v in d.labels.values() if v not in LABEL_VALUES]
            if bad:
                raise ConfigError(f"label value {bad[0]!r}: use 1, 0, -1 or blank")
            return label_decisions, {**base, "labels": _json(dict(d.labels))}
        if d.decision not in DECISIONS:
            raise ConfigError(f"decision {d.decision!r}: use {', '.join(DECISIONS)}")
        row = {
            **base,
            "decision": d.decision,
            "phi_kinds": _json(sorted(d.phi_kinds)),
            "box": _json(list(d.box) if d.box else None),
            "span": _json(list(d.span) if d.span else None),
        }
        return decisions, row

    def undo(self, reader: str) -> int | None:
        """Withdraw ``reader``'s latest decision; the item withdrawn, or None."""
        with self.engine.begin() as conn:
            latest: tuple[str, int, sa.Table] | None = None
            for table in (decisions, label_decisions):
                row = conn.execute(
                    sa.select(table.c.at, table.c.item)
                    .where(table.c.reader == reader)
                    .order_by(table.c.at.desc())
                    .limit(1)
                ).first()
                if row is not None and (latest is None or row.at > latest[0]):
                    latest = (row.at, row.item, table)
            if latest is None:
                return None
            _, item, table = latest
            before = self._row(conn, table, item, reader)
            conn.execute(table.delete().where((table.c.item == item) & (table.c.reader == reader)))
            self._audit(conn, who=reader, action="undo", item=str(item), before=before, after=None)
        return item

    def decision(self, item: int, reader: str) -> Decision | None:
        """``reader``'s decision on ``item``. Callers check who may see it (see app)."""
        with self.engine.connect() as conn:
            row = self._row(conn, decisions, item, reader)
            if row is not None:
                return _decision(row)
            row = self._row(conn, label_decisions, item, reader)
        if row is None:
            return None
        return Decision(
            item, reader, "", comment=row["comment"], labels=json.loads(row["labels"]), at=row["at"]
        )

    def all_decisions(self) -> list[Decision]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(decisions).order_by(decisions.c.item, decisions.c.reader))
            out = [_decision(dict(r._mapping)) for r in rows]
            for r in conn.execute(sa.select(label_decisions).order_by(label_decisions.c.item)):
                out.append(
                    Decision(
                        r.item,
                        r.reader,
                        "",
                        comment=r.comment,
                        labels=json.loads(r.labels),
                        at=r.at,
                    )
                )
        return out

    # -- consensus -----------------------------------------------------------------------

    def verdict(self, item: int) -> Verdict | None:
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(verdicts).where(verdicts.c.item == item)).first()
        return None if r is None else Verdict(r.item, r.reader, r.verdict, r.reason, r.at)

    def verdicts(self) -> dict[int, Verdict]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(verdicts)).all()
        return {r.item: Verdict(r.item, r.reader, r.verdict, r.reason, r.at) for r in rows}

    def record_verdict(self, item: int, reader: str, verdict: str, reason: str) -> None:
        if not reason.strip():
            raise ConfigError("a consensus verdict needs a reason")
        row = {"item": item, "reader": reader, "verdict": verdict, "reason": reason, "at": _now()}
        with self.engine.begin() as conn:
            before = conn.execute(sa.select(verdicts).where(verdicts.c.item == item)).first()
            conn.execute(verdicts.delete().where(verdicts.c.item == item))
            conn.execute(verdicts.insert().values(**row))
            old = None if before is None else dict(before._mapping)
            self._audit(conn, who=reader, action="verdict", item=str(item), before=old, after=row)

    # -- audit ---------------------------------------------------------------------------

    def audit_log(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(audit).order_by(audit.c.seq)).all()
        return [dict(r._mapping) for r in rows]

    @staticmethod
    def _row(conn: Connection, table: sa.Table, item: int, reader: str) -> dict[str, Any] | None:
        r = conn.execute(
            sa.select(table).where((table.c.item == item) & (table.c.reader == reader))
        ).first()
        return None if r is None else dict(r._mapping)

    @staticmethod
    def _audit(
        conn: Connection,
        *,
        who: str,
        action: str,
        item: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> None:
        conn.execute(
            audit.insert().values(
                at=_now(),
                who=who,
                action=action,
                item=item,
                before=_json(before),
                after=_json(after),
            )
        )


def _label_decision(row: Mapping[str, Any]) -> Decision:
    labels = json.loads(row["labels"])
    return Decision(
        row["item"], row["reader"], "", comment=row["comment"], labels=labels, at=row["at"]
    )


def _decision(row: Mapping[str, Any]) -> Decision:
    box = json.loads(row["box"]) if row["box"] else None
    span = json.loads(row["span"]) if row["span"] else None
    return Decision(
        item=row["item"],
        reader=row["reader"],
        decision=row["decision"],
        phi_kinds=tuple(json.loads(row["phi_kinds"])),
        box=tuple(box) if box else None,
        span=(int(span[0]), int(span[1])) if span else None,
        comment=row["comment"],
        at=row["at"],
    )


def open_store(private: Path, url: str | None = None) -> ReviewStore:
    """The review store of a private workspace (created or migrated on first use)."""
    return ReviewStore(engine_for(private, url))
