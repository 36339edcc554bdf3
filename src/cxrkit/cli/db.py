"""``cxrkit db`` and ``cxrkit link-ehr``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cxrkit.db.load import LoadOptions, LoadSummary, load_release
from cxrkit.db.schema import DEFAULT_SCHEMA
from cxrkit.errors import ConfigError


def _attachments(values: tuple[str, ...]) -> tuple[tuple[str, Path], ...]:
    out = []
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise ConfigError(f"--attach takes NAME=FILE.csv, not {value!r}")
        out.append((name, Path(path)))
    return tuple(out)


def print_load(summary: LoadSummary, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(summary.__dict__, indent=2, sort_keys=True))
        return
    if summary.unchanged:
        click.echo(f"{summary.location}: already loaded from these files; nothing to do")
    else:
        click.echo(
            f"loaded into {summary.location} ({summary.dialect}, schema {summary.schema}) "
            f"in {summary.seconds:.1f} s"
        )
    for name, rows in summary.rows.items():
        click.echo(f"  {name:18s} {rows:>10,d} rows")


@click.command("db")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--url",
    default=None,
    help="postgresql://…, sqlite:///PATH, duckdb:///PATH or a file path "
    "(default: DuckDB at OUT/cxr.duckdb).",
)
@click.option("--schema", default=DEFAULT_SCHEMA, show_default=True, help="Schema to load into.")
@click.option(
    "--bigquery-names",
    is_flag=True,
    help="Also make views under PhysioNet BigQuery's column names (schema <schema>_bq).",
)
@click.option(
    "--attach",
    multiple=True,
    metavar="NAME=FILE.csv",
    help="Load a pseudonymised EHR table (from `cxrkit link-ehr`) beside the release; "
    "admissions=… also builds study_admission.",
)
@click.option(
    "--tolerance-hours",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Widen each admission by this much on both ends when assigning studies.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def db_command(
    out: Path,
    url: str | None,
    schema: str,
    bigquery_names: bool,
    attach: tuple[str, ...],
    tolerance_hours: float,
    as_json: bool,
) -> None:
    """Load every table of the release OUT into a database, with typed columns, keys,
    indexes and derived views (studies, study_order, labels_long, frontal, paths).

    \b
    Examples:
      cxrkit db ./release                                   # DuckDB: ./release/cxr.duckdb
      cxrkit db ./release --url postgresql://user@host/db   # PostgreSQL, loaded with COPY
      cxrkit db ./release --attach admissions=adm.csv       # + study_admission
    """
    options = LoadOptions(schema, bigquery_names, _attachments(attach), tolerance_hours)
    print_load(load_release(out, url, options), as_json)
