"""The three database back ends of ``cxrkit db``: DuckDB, PostgreSQL and SQLite.

Each one loads a table file its fastest way — DuckDB reads the ``.csv.gz`` itself, PostgreSQL
is fed by ``COPY … FROM STDIN``, SQLite gets batched inserts — and runs the whole load in one
transaction, so an interrupted load leaves the previous content (or nothing) and the next run
starts again cleanly.
"""

from __future__ import annotations

import csv
import gzip
import sqlite3
from collections.abc import Sequence
from itertools import islice
from pathlib import Path
from typing import IO, Any, Protocol

from cxrkit.db.schema import Column, TableSpec, study_datetime
from cxrkit.errors import ConfigError, DataFileError, OutputError

TYPES = {
    "duckdb": {
        "int": "INTEGER",
        "float": "DOUBLE",
        "text": "VARCHAR",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
    },
    "postgresql": {
        "int": "INTEGER",
        "float": "DOUBLE PRECISION",
        "text": "TEXT",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
    },
    "sqlite": {
        "int": "INTEGER",
        "float": "REAL",
        "text": "TEXT",
        "date": "TEXT",
        "timestamp": "TEXT",
    },
}


def quote(name: str) -> str:
    """A double-quoted SQL identifier (all three back ends accept this form)."""
    return '"' + name.replace('"', '""') + '"'


def open_text(path: Path) -> IO[str]:
    """A table file as text: gzip when it ends in ``.gz``."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def header_of(path: Path) -> list[str]:
    with open_text(path) as fh:
        return next(csv.reader(fh), [])


def count_rows(path: Path) -> int:
    """Data rows of a CSV table file (quoted line ends counted as the CSV reader sees them)."""
    with open_text(path) as fh:
        return max(0, sum(1 for _ in csv.reader(fh)) - 1)


def _time_seconds_sql(column: str) -> str:
    """SQL for the seconds of day of a ``StudyTime`` text (DuckDB and PostgreSQL)."""
    base = f"lpad(split_part({column}, '.', 1), 6, '0')"
    whole = " + ".join(
        f"CAST(substr({base}, {start}, 2) AS INTEGER) * {factor}"
        for start, factor in ((1, 3600), (3, 60), (5, 1))
    )
    fraction = (
        f"CASE WHEN strpos({column}, '.') > 0 "
        f"THEN CAST('0.' || split_part({column}, '.', 2) AS DOUBLE PRECISION) ELSE 0 END"
    )
    return f"({whole} + {fraction})"


class Backend(Protocol):
    """What the loader needs of a database."""

    dialect: str
    location: str
    errors: tuple[type[Exception], ...]

    def table(self, schema: str, name: str) -> str: ...
    def execute(self, sql: str) -> None: ...
    def query(self, sql: str) -> list[tuple[Any, ...]]: ...
    def begin(self) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...
    def reset_schema(self, schema: str) -> None: ...
    def create_table(self, schema: str, spec: TableSpec) -> None: ...
    def load_table(self, schema: str, spec: TableSpec, path: Path) -> None: ...
    def add_keys(self, schema: str, spec: TableSpec) -> None: ...
    def load_csv(self, schema: str, name: str, path: Path, columns: Sequence[Column]) -> None: ...


def column_sql(dialect: str, columns: Sequence[Column]) -> list[str]:
    return [f"{quote(c.name)} {TYPES[dialect][c.type]}" for c in columns]


def create_sql(target: str, dialect: str, columns: Sequence[Column]) -> str:
    return f"CREATE TABLE {target} ({', '.join(column_sql(dialect, columns))})"


def constraint_sql(schema_table: Any, spec: TableSpec) -> list[str]:
    """PRIMARY KEY and FOREIGN KEY clauses of ``spec`` (``schema_table`` names a target)."""
    out = []
    if spec.primary_key:
        out.append(f"PRIMARY KEY ({', '.join(quote(c) for c in spec.primary_key)})")
    for fk in spec.foreign_keys:
        out.append(
            f"FOREIGN KEY ({quote(fk.column)}) REFERENCES {schema_table(fk.table)}"
            f" ({quote(fk.target)})"
        )
    return out


def index_sql(backend: Backend, schema: str, spec: TableSpec) -> list[str]:
    """Indexes are made in the schema of their table."""
    return [
        f"CREATE INDEX {quote(f'{spec.name}_{column}_idx')} "
        f"ON {backend.table(schema, spec.name)} ({quote(column)})"
        for column in spec.indexes
    ]


def _check_header(spec_name: str, path: Path, expected: Sequence[str]) -> None:
    found = header_of(path)
    if list(found) != list(expected):
        missing = sorted(set(expected) - set(found))
        extra = sorted(set(found) - set(expected))
        raise DataFileError(
            f"{path.name} does not have the columns of {spec_name}"
            f" (missing {missing or 'none'}, unexpected {extra or 'none'}, or another order)"
        )


class _Connection:
    """What the back ends share: a DB-API connection, SQL transactions, schemas."""

    dialect = ""
    location = ""
    conn: Any
    #: The driver's own error classes (a table the database refuses).
    errors: tuple[type[Exception], ...] = ()

    def table(self, schema: str, name: str) -> str:
        return f"{quote(schema)}.{quote(name)}"

    def execute(self, sql: str) -> None:
        self.conn.execute(sql)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(sql).fetchall())

    def begin(self) -> None:
        self.conn.execute("BEGIN TRANSACTION")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.conn.close()

    def reset_schema(self, schema: str) -> None:
        self.execute(f"DROP SCHEMA IF EXISTS {quote(schema)} CASCADE")
        self.execute(f"CREATE SCHEMA {quote(schema)}")


class DuckDBBackend(_Connection):
    """An embedded DuckDB file; the table files are read by DuckDB's own CSV reader."""

    dialect = "duckdb"

    def __init__(self, path: Path) -> None:
        try:
            import duckdb  # noqa: PLC0415 - optional dependency
        except ImportError as exc:  # pragma: no cover - an install without the extra
            raise ConfigError("DuckDB is not installed: pip install 'cxrkit[db]'") from exc
        path.parent.mkdir(parents=True, exist_ok=True)
        self.location = str(path)
        try:
            self.conn = duckdb.connect(str(path))
            self.errors = (duckdb.Error,)
            self.conn.execute("SET enable_progress_bar = false")  # cxrkit prints its own
        except duckdb.Error as exc:
            raise OutputError(f"{path} cannot be opened as a DuckDB database") from exc

    def create_table(self, schema: str, spec: TableSpec) -> None:
        parts = column_sql(self.dialect, (*spec.columns, *spec.derived))
        self.execute(f"CREATE TABLE {self.table(schema, spec.name)} ({', '.join(parts)})")

    def load_table(self, schema: str, spec: TableSpec, path: Path) -> None:
        _check_header(spec.name, path, spec.file_columns)
        selects = [self._cast(c) for c in spec.columns]
        if any(c.name == "study_datetime" for c in spec.derived):
            seconds = _time_seconds_sql('"StudyTime"').replace("DOUBLE PRECISION", "DOUBLE")
            selects.append(
                "CAST(strptime(\"StudyDate\", '%Y%m%d') AS TIMESTAMP)"
                f" + to_microseconds(CAST(round({seconds} * 1e6) AS BIGINT))"
            )
        self.execute(
            f"INSERT INTO {self.table(schema, spec.name)} SELECT {', '.join(selects)} "
            f"FROM read_csv({_literal(str(path))}, header = true, all_varchar = true, "
            "quote = '\"', escape = '\"', delim = ',')"
        )

    def load_csv(self, schema: str, name: str, path: Path, columns: Sequence[Column]) -> None:
        self.execute(create_sql(self.table(schema, name), self.dialect, columns))
        self.execute(
            f"INSERT INTO {self.table(schema, name)} SELECT "
            f"{', '.join(self._cast(c) for c in columns)} FROM read_csv({_literal(str(path))}, "
            "header = true, all_varchar = true)"
        )

    @staticmethod
    def _cast(column: Column) -> str:
        name = quote(column.name)
        if column.type == "date":
            return f"CAST(strptime({name}, ['%Y%m%d', '%Y-%m-%d']) AS DATE)"
        if column.type == "text":
            return name
        return f"CAST({name} AS {TYPES['duckdb'][column.type]})"

    def add_keys(self, schema: str, spec: TableSpec) -> None:
        """The primary key and indexes, after the load. DuckDB cannot add a foreign key to a
        filled table (and declared ones make the load about twice as slow): each is checked
        with an anti-join instead, and a broken one refuses the load."""
        table = self.table(schema, spec.name)
        if spec.primary_key:
            key = ", ".join(quote(c) for c in spec.primary_key)
            self.execute(f"ALTER TABLE {table} ADD PRIMARY KEY ({key})")
        for fk in spec.foreign_keys:
            broken = self.query(
                f"SELECT count(*) FROM {table} a ANTI JOIN {self.table(schema, fk.table)} b "
                f"ON a.{quote(fk.column)} = b.{quote(fk.target)}"
            )[0][0]
            if broken:
                raise DataFileError(
                    f"{spec.name}: {broken} rows whose {fk.column} is not in {fk.table}"
                )
        for sql in index_sql(self, schema, spec):
            self.execute(sql)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class PostgresBackend(_Connection):
    """A PostgreSQL database reached by URL; tables are filled with ``COPY … FROM STDIN``."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        try:
            import psycopg  # noqa: PLC0415 - optional dependency
        except ImportError as exc:  # pragma: no cover - an install without the extra
            raise ConfigError("psycopg is not installed: pip install 'cxrkit[postgres]'") from exc
        self.location = "the PostgreSQL database of --url"
        url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        try:
            self.conn = psycopg.connect(url)
            self.errors = (psycopg.Error,)
        except psycopg.Error as exc:
            raise OutputError(
                f"cannot connect to PostgreSQL at --url ({type(exc).__name__})"
            ) from None

    def execute(self, sql: str) -> None:
        self.conn.execute(sql.encode())

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(sql.encode()).fetchall())

    def begin(self) -> None:
        """psycopg opens a transaction at the first statement."""

    def commit(self) -> None:
        self.conn.commit()

    def rollback(self) -> None:
        self.conn.rollback()

    def create_table(self, schema: str, spec: TableSpec) -> None:
        parts = column_sql(self.dialect, spec.columns)
        if any(c.name == "study_datetime" for c in spec.derived):
            seconds = _time_seconds_sql('"StudyTime"')
            parts.append(
                f'"study_datetime" TIMESTAMP GENERATED ALWAYS AS '
                f'("StudyDate" + make_interval(secs => {seconds})) STORED'
            )
        self.execute(f"CREATE TABLE {self.table(schema, spec.name)} ({', '.join(parts)})")

    def load_table(self, schema: str, spec: TableSpec, path: Path) -> None:
        _check_header(spec.name, path, spec.file_columns)
        self._copy(self.table(schema, spec.name), spec.file_columns, path)

    def load_csv(self, schema: str, name: str, path: Path, columns: Sequence[Column]) -> None:
        self.execute(create_sql(self.table(schema, name), self.dialect, columns))
        self._copy(self.table(schema, name), [c.name for c in columns], path)

    def _copy(self, target: str, columns: Sequence[str], path: Path) -> None:
        names = ", ".join(quote(c) for c in columns)
        sql = f"COPY {target} ({names}) FROM STDIN (FORMAT csv, HEADER true)"
        with self.conn.cursor() as cur, cur.copy(sql.encode()) as copy, open_text(path) as fh:
            while block := fh.read(1 << 20):
                copy.write(block)

    def add_keys(self, schema: str, spec: TableSpec) -> None:
        for clause in constraint_sql(lambda t: self.table(schema, t), spec):
            self.execute(f"ALTER TABLE {self.table(schema, spec.name)} ADD {clause}")
        for sql in index_sql(self, schema, spec):
            self.execute(sql)


class SQLiteBackend(_Connection):
    """A SQLite file: no schemas (the schema name is ignored), dates as ISO text."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.location = str(path)
        try:
            self.conn = sqlite3.connect(str(path), isolation_level=None)
            self.errors = (sqlite3.Error,)
            self.conn.create_function(
                "cxr_study_datetime", 2, _sqlite_study_datetime, deterministic=True
            )
        except sqlite3.Error as exc:
            raise OutputError(f"{path} cannot be opened as a SQLite database") from exc
        self.conn.execute("PRAGMA foreign_keys = ON")

    def table(self, schema: str, name: str) -> str:
        return quote(name)

    def reset_schema(self, schema: str) -> None:
        self.conn.execute("PRAGMA defer_foreign_keys = ON")
        objects = self.query(
            "SELECT type, name FROM sqlite_master WHERE type IN ('view', 'table') "
            "AND name NOT LIKE 'sqlite_%'"
        )
        for kind, name in sorted(objects, key=lambda o: o[0] != "view"):
            self.execute(f"DROP {kind.upper()} IF EXISTS {quote(name)}")

    def create_table(self, schema: str, spec: TableSpec) -> None:
        # SQLite cannot add keys to an existing table: they are declared here.
        parts = column_sql(self.dialect, (*spec.columns, *spec.derived))
        parts += constraint_sql(quote, spec)
        self.execute(f"CREATE TABLE {quote(spec.name)} ({', '.join(parts)})")

    def load_table(self, schema: str, spec: TableSpec, path: Path) -> None:
        _check_header(spec.name, path, spec.file_columns)
        names = list(spec.file_columns)
        values = [_sqlite_value_sql(c, k) for k, c in enumerate(spec.columns, start=1)]
        if any(c.name == "study_datetime" for c in spec.derived):
            date, time = names.index("StudyDate") + 1, names.index("StudyTime") + 1
            names.append("study_datetime")
            values.append(f"cxr_study_datetime(?{date}, ?{time})")
        self._insert(quote(spec.name), names, values, path)

    def load_csv(self, schema: str, name: str, path: Path, columns: Sequence[Column]) -> None:
        self.execute(create_sql(quote(name), self.dialect, columns))
        values = [_sqlite_value_sql(c, k) for k, c in enumerate(columns, start=1)]
        self._insert(quote(name), [c.name for c in columns], values, path)

    def _insert(self, target: str, names: list[str], values: list[str], path: Path) -> None:
        """Rows of the file as they are; SQLite converts them (typed, empty → NULL)."""
        sql = (
            f"INSERT INTO {target} ({', '.join(quote(n) for n in names)}) "
            f"VALUES ({', '.join(values)})"
        )
        with open_text(path) as fh:
            reader = csv.reader(fh)
            next(reader)
            for batch in iter(lambda: list(islice(reader, 20_000)), []):
                self.conn.executemany(sql, batch)

    def add_keys(self, schema: str, spec: TableSpec) -> None:
        for sql in index_sql(self, schema, spec):
            self.execute(sql)


def _sqlite_value_sql(column: Column, k: int) -> str:
    """SQLite's conversion of the ``k``-th text value of a row to the column's type."""
    if column.type == "int":
        return f"CAST(NULLIF(?{k}, '') AS INTEGER)"
    if column.type == "float":
        return f"CAST(NULLIF(?{k}, '') AS REAL)"
    if column.type == "date":  # YYYYMMDD → YYYY-MM-DD; ISO kept
        return (
            f"CASE WHEN length(?{k}) = 8 THEN substr(?{k}, 1, 4) || '-' || substr(?{k}, 5, 2) "
            f"|| '-' || substr(?{k}, 7, 2) ELSE NULLIF(?{k}, '') END"
        )
    if column.type == "timestamp":
        return f"NULLIF(replace(?{k}, 'T', ' '), '')"
    return f"NULLIF(?{k}, '')"


def _sqlite_study_datetime(date: str | None, time: str | None) -> str | None:
    when = study_datetime(date, time)
    return when.isoformat(sep=" ") if when else None
