"""``cxrkit db`` and ``cxrkit link-ehr``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cxrkit.db.diagram import draw, mermaid, read_schema
from cxrkit.db.ehr import LinkSpec, link_ehr
from cxrkit.db.load import LoadOptions, LoadSummary, load_release, open_backend
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
@click.option(
    "--diagram",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also draw the loaded schema (PNG; DuckDB or PostgreSQL) and write its Mermaid text "
    "beside it (.mmd).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def db_command(
    out: Path,
    url: str | None,
    schema: str,
    bigquery_names: bool,
    attach: tuple[str, ...],
    tolerance_hours: float,
    diagram: Path | None,
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
    if diagram is not None:
        db = open_backend(out, url)
        try:
            graph = read_schema(db, schema)
        finally:
            db.close()
        draw(graph, diagram)
        diagram.with_suffix(".mmd").write_text(mermaid(graph), encoding="utf-8")
        click.echo(f"schema drawn in {diagram}", err=as_json)


def _names(value: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in value.split(",") if n.strip())


@click.command("link-ehr")
@click.argument("table", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--private",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The private workspace of the release (key and keystore).",
)
@click.option("--keystore", "keystore_url", default=None, help="Keystore URL (default: SQLite).")
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The pseudonymised table (.csv, or .parquet).",
)
@click.option("--mrn-column", required=True, help="The column holding the patient's MRN.")
@click.option("--date-columns", default="", help="Comma-separated date/datetime columns to shift.")
@click.option("--drop", default="", help="Comma-separated identifier columns to remove.")
@click.option(
    "--hash", "hash_", default="", help="Comma-separated columns to replace by a keyed pseudonym."
)
@click.option("--keep", default="", help="Comma-separated columns to keep as they are.")
@click.option(
    "--issuer",
    default=None,
    help="Assigning authority of the MRNs (DICOM IssuerOfPatientID); default: the keystore's.",
)
def link_ehr_command(
    table: Path,
    private: Path,
    keystore_url: str | None,
    out: Path,
    mrn_column: str,
    date_columns: str,
    drop: str,
    hash_: str,
    keep: str,
    issuer: str | None,
) -> None:
    """Pseudonymise a hospital EHR table (CSV or Parquet) with the keystore of a release:
    MRN → subject_id, dates shifted by the patient's shift, identifiers dropped or hashed.
    Every column must be named by one option.

    \b
    Example:
      cxrkit link-ehr admissions.csv --private ./private -o adm.csv --mrn-column mrn \\
        --date-columns admittime,dischtime --hash hadm_id --keep admission_type
    """
    spec = LinkSpec(
        mrn_column, _names(date_columns), _names(drop), _names(hash_), _names(keep), issuer
    )
    s = link_ehr(table, private, out, spec, keystore_url)
    click.echo(
        f"{s.written} of {s.rows} rows written to {out}: {s.patients} patients "
        f"({s.new_patients} new in the keystore); left out: {s.withdrawn_rows} rows of "
        f"withdrawn patients, {s.no_mrn_rows} rows without an MRN"
    )
