"""``cxrkit deid-dicom``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cxrkit.cli.progress import progress_bar
from cxrkit.pipeline.deid_dicom import DeidSummary, deid_dicom
from cxrkit.pipeline.quarantine import summary_lines


def _print(summary: DeidSummary, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(summary.__dict__, indent=2, sort_keys=True))
        return
    s = summary
    click.echo(
        f"files {s.files_seen}: written {s.written} images of {s.patients} patients and "
        f"{s.studies} studies; {s.non_chest} not chest; {s.quarantined} quarantined; "
        f"{s.burned_in_boxes} burned-in text boxes blacked out"
    )
    for line in summary_lines(s.reasons):
        click.echo(f"  {line}")


@click.command("deid-dicom")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--private",
    "private",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Private workspace (secret key, keystore, quarantine list); never inside OUT.",
)
@click.option(
    "--keystore",
    "keystore",
    default=None,
    metavar="URL",
    help="A PostgreSQL URL for the keystore [default: SQLite in --private].",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes [default: number of CPUs].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def deid_dicom_command(
    source: Path,
    out: Path,
    private: Path,
    keystore: str | None,
    workers: int | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """De-identify the DICOM files under SOURCE into OUT/files/pNN/p<subject>/s<study>/.

    Files are found by content, whatever their names. Headers follow PS3.15 (Basic Profile,
    Clean Descriptors, Retain Longitudinal Temporal Information with Modified Dates, Clean
    Pixel Data, Clean Graphics); burned-in PHI is blacked out and the result re-checked by OCR.
    Pseudonyms come from the keystore in --private, so re-runs and `cxrkit build` agree.
    Non-chest images and unreadable files are left out; their reasons are listed in
    PRIVATE/quarantine.csv.

    \b
    Example:
      cxrkit deid-dicom ./export/dicom ./release --private ./private
    """
    with progress_bar("de-identifying", enabled=not quiet) as update:
        summary = deid_dicom(
            source,
            out,
            private,
            keystore_url=keystore,
            workers=workers,
            progress=lambda stage, done, total: update(done, total, stage),
        )
    _print(summary, as_json)
