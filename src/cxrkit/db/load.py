"""``cxrkit db``: load every table of a release into DuckDB, PostgreSQL or SQLite.

The load runs in one transaction: the schema is dropped and made again, every table filled
(by the back end's fast path), the row counts checked against the files, keys and indexes
added, the derived views made, and a marker table written with a fingerprint of the files and
options. A second run with the same fingerprint does nothing; an interrupted run leaves the
previous content (or nothing), and the next run loads again from the start.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cxrkit.db.backends import (
    Backend,
    DuckDBBackend,
    PostgresBackend,
    SQLiteBackend,
    count_rows,
    header_of,
    quote,
)
from cxrkit.db.schema import DEFAULT_SCHEMA, TABLES, Column, table_files
from cxrkit.db.views import bigquery_view_sql, derived_views, study_admission_sql
from cxrkit.errors import ConfigError, DataFileError
from cxrkit.release.tables import sha256_file

#: Bumped whenever the database shape changes, so that old loads are redone.
FORMAT_VERSION = "1"
MARKER = "_cxrkit_load"
DUCKDB_FILE = "cxr.duckdb"


@dataclass(frozen=True)
class LoadOptions:
    schema: str = DEFAULT_SCHEMA
    bigquery_names: bool = False
    attach: tuple[tuple[str, Path], ...] = ()
    tolerance_hours: float = 0.0


@dataclass
class LoadSummary:
    dialect: str
    location: str
    schema: str
    rows: dict[str, int] = field(default_factory=dict)
    unchanged: bool = False
    seconds: float = 0.0


def open_backend(out: Path, url: str | None) -> Backend:
    """DuckDB at ``OUT/cxr.duckdb`` by default; a ``postgresql://`` URL; a ``sqlite:///`` URL
    or a ``.sqlite``/``.db`` path; a ``duckdb:///`` URL or any other path (DuckDB)."""
    if url is None:
        return DuckDBBackend(out / DUCKDB_FILE)
    if url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        return PostgresBackend(url)
    if url.startswith("sqlite:///"):
        return SQLiteBackend(Path(url[len("sqlite:///") :]))
    if url.startswith("duckdb:///"):
        return DuckDBBackend(Path(url[len("duckdb:///") :]))
    if "://" in url:
        raise ConfigError(
            f"--url scheme {url.split('://', 1)[0]!r} is not supported: use postgresql://…, "
            "sqlite:///PATH, duckdb:///PATH or a file path"
        )
    path = Path(url)
    if path.suffix in (".sqlite", ".sqlite3", ".db"):
        return SQLiteBackend(path)
    return DuckDBBackend(path)


def _check_schema_name(schema: str) -> None:
    if not schema.replace("_", "").isalnum() or schema[0].isdigit():
        raise ConfigError(f"--schema must be letters, digits and underscores, not {schema!r}")


def fingerprint(files: dict[str, Path], options: LoadOptions) -> str:
    digest = hashlib.sha256(f"cxrkit-db {FORMAT_VERSION}\n".encode())
    for name, path in sorted(files.items()):
        digest.update(f"{name} {sha256_file(path)}\n".encode())
    for name, path in options.attach:
        digest.update(f"attach {name} {sha256_file(path)}\n".encode())
    digest.update(f"bq {options.bigquery_names} tol {options.tolerance_hours}\n".encode())
    return digest.hexdigest()


def _loaded_fingerprint(db: Backend, schema: str) -> str | None:
    if db.dialect == "sqlite":
        found = db.query(f"SELECT 1 FROM sqlite_master WHERE name = '{MARKER}'")
    else:
        found = db.query(
            "SELECT 1 FROM information_schema.tables "
            f"WHERE table_schema = '{schema}' AND table_name = '{MARKER}'"
        )
    if not found:
        return None
    rows = db.query(f"SELECT value FROM {db.table(schema, MARKER)} WHERE item = 'fingerprint'")
    return str(rows[0][0]) if rows else None


def _holds_tables(db: Backend, schema: str) -> bool:
    """Whether the schema (SQLite: the file) has any table or view."""
    if db.dialect == "sqlite":
        found = db.query("SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') LIMIT 1")
    else:
        found = db.query(
            f"SELECT 1 FROM information_schema.tables WHERE table_schema = '{schema}' LIMIT 1"
        )
    return bool(found)


def attached_columns(path: Path) -> list[Column]:
    """Column types of an attached EHR table: ``subject_id`` integer, names ending in ``time``
    or ``date`` timestamps, everything else text."""
    columns = []
    for name in header_of(path):
        if name == "subject_id":
            columns.append(Column(name, "int"))
        elif name.lower().endswith(("time", "date")):
            columns.append(Column(name, "timestamp"))
        else:
            columns.append(Column(name, "text"))
    return columns


def _fill(db: Backend, schema: str, files: dict[str, Path], summary: LoadSummary) -> None:
    specs = [s for s in TABLES if s.name in files]
    for spec in specs:
        db.create_table(schema, spec)
        db.load_table(schema, spec, files[spec.name])
    for spec in specs:
        expected = count_rows(files[spec.name])
        found = int(db.query(f"SELECT count(*) FROM {db.table(schema, spec.name)}")[0][0])
        if found != expected:
            raise DataFileError(
                f"{files[spec.name].name}: {expected} rows in the file, {found} loaded"
            )
        summary.rows[spec.name] = found
    for spec in specs:
        db.add_keys(schema, spec)


def _views(db: Backend, schema: str, options: LoadOptions, summary: LoadSummary) -> None:
    def t(name: str) -> str:
        return db.table(schema, name)

    for name, select in derived_views(t, db.dialect):
        db.execute(f"CREATE VIEW {t(name)} AS {select}")
    for name, path in options.attach:
        db.load_csv(schema, name, path, attached_columns(path))
        summary.rows[name] = int(db.query(f"SELECT count(*) FROM {t(name)}")[0][0])
    if any(name == "admissions" for name, _ in options.attach):
        seconds = round(options.tolerance_hours * 3600)
        select = study_admission_sql(t, db.dialect, t("admissions"), seconds)
        db.execute(f"CREATE TABLE {t('study_admission')} AS {select}")
        summary.rows["study_admission"] = int(
            db.query(f"SELECT count(*) FROM {t('study_admission')}")[0][0]
        )
    if options.bigquery_names:
        _bigquery_views(db, schema, [*summary.rows, "frontal"])


def _bigquery_views(db: Backend, schema: str, names: Sequence[str]) -> None:
    """The same tables and views under PhysioNet BigQuery's column names: in the schema
    ``<schema>_bq`` (SQLite, which has no schemas: views named ``<name>_bq``)."""
    bq = f"{schema}_bq"
    if db.dialect != "sqlite":
        db.execute(f"DROP SCHEMA IF EXISTS {quote(bq)} CASCADE")
        db.execute(f"CREATE SCHEMA {quote(bq)}")
    for name in names:
        target = quote(f"{name}_bq") if db.dialect == "sqlite" else db.table(bq, name)
        select = bigquery_view_sql(
            db.table(schema, name), column_names(db, schema, name), db.dialect
        )
        db.execute(f"CREATE VIEW {target} AS {select}")


def column_names(db: Backend, schema: str, name: str) -> list[str]:
    """The columns of a table or view, in order."""
    if db.dialect == "sqlite":
        return [str(r[1]) for r in db.query(f"PRAGMA table_info({quote(name)})")]
    rows = db.query(
        "SELECT column_name FROM information_schema.columns "
        f"WHERE table_schema = '{schema}' AND table_name = '{name}' ORDER BY ordinal_position"
    )
    return [str(r[0]) for r in rows]


def _write_marker(db: Backend, schema: str, print_: str, summary: LoadSummary) -> None:
    db.execute(f"CREATE TABLE {db.table(schema, MARKER)} (item TEXT, value TEXT)")
    items = [("fingerprint", print_), ("format", FORMAT_VERSION)]
    items += [(f"rows:{name}", str(n)) for name, n in sorted(summary.rows.items())]
    values = ", ".join(f"('{item}', '{value}')" for item, value in items)
    db.execute(f"INSERT INTO {db.table(schema, MARKER)} VALUES {values}")


def load_release(
    release: Path, url: str | None = None, options: LoadOptions = LoadOptions()
) -> LoadSummary:
    """Load the release at ``release`` into the database of ``url`` (DuckDB in the release
    folder by default); nothing is done when the same files were loaded the same way before."""
    started = time.perf_counter()
    _check_schema_name(options.schema)
    for name, path in options.attach:
        _check_schema_name(name)
        if not path.is_file():
            raise ConfigError(f"--attach {name}: {path} is not a file")
    files = table_files(release)
    print_ = fingerprint(files, options)
    db = open_backend(release, url)
    summary = LoadSummary(db.dialect, db.location, options.schema)
    try:
        loaded = _loaded_fingerprint(db, options.schema)
        if loaded is None and _holds_tables(db, options.schema):
            raise ConfigError(
                f"schema {options.schema} of {db.location} holds tables that cxrkit db did not "
                "load; choose another --schema (or an empty database)"
            )
        if loaded == print_:
            summary.unchanged = True
            marker = db.table(options.schema, MARKER)
            for item, value in db.query(f"SELECT item, value FROM {marker} ORDER BY item"):
                if str(item).startswith("rows:"):
                    summary.rows[str(item)[len("rows:") :]] = int(value)
            return summary
        db.begin()
        try:
            db.reset_schema(options.schema)
            _fill(db, options.schema, files, summary)
            _views(db, options.schema, options, summary)
            _write_marker(db, options.schema, print_, summary)
            db.commit()
        except db.errors as exc:
            db.rollback()
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise DataFileError(
                f"the database refused the release's tables ({type(exc).__name__}: {reason})"
            ) from None
        except BaseException:
            db.rollback()
            raise
    finally:
        db.close()
    summary.seconds = time.perf_counter() - started
    return summary
