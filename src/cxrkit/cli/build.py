"""``cxrkit build`` and ``cxrkit verify``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cxrkit.cli.progress import progress_bar
from cxrkit.pacs.log import COMPLETE, FAILED, LOG_NAME, NO_CHEST, NO_STUDY
from cxrkit.pipeline.build import BuildOptions, BuildSummary, build
from cxrkit.pipeline.quarantine import summary_lines
from cxrkit.release.census import CensusSummary, write_census
from cxrkit.release.verify import VerifyReport, verify


def pull_line(c: dict[str, int]) -> str:
    """The counts of ``SRC/pull-log.csv`` in one line (``cxrkit pull`` and ``cxrkit build``)."""
    return (
        f"pulled from the PACS ({LOG_NAME}): {c[COMPLETE]} studies complete, "
        f"{c[NO_STUDY]} accessions with no study, {c[NO_CHEST]} studies with no chest "
        f"(CR/DX) images, {c[FAILED]} failed; instances received "
        f"{c['instances received']} of {c['instances expected']}"
    )


def print_build(summary: BuildSummary, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(summary.__dict__, indent=2, sort_keys=True))
        return
    s = summary
    click.echo(f"Release written to {s.release}")
    click.echo(
        f"  {s.patients} patients, {s.studies} studies, {s.images} images, "
        f"{s.reports} reports ({s.files_seen} source files)"
    )
    click.echo(
        f"  {s.non_chest} not chest, {s.withdrawn} withdrawn, {s.quarantined} quarantined; "
        f"{s.elapsed_seconds} s, {s.images_per_second} images/s"
    )
    if s.removed_files:
        click.echo(
            f"  removed from the release: {s.removed_files} files of {s.removed_studies} "
            "studies no longer built (source gone or patient withdrawn)"
        )
    files = ", ".join(f"{n} {kind}" for kind, n in s.report_files.items())
    click.echo(f"  report files read: {files or 'none'}")
    for line in summary_lines(s.reasons):
        click.echo(f"  {line}")
    if s.pull:
        click.echo(f"  {pull_line(s.pull)}")
    if s.test_set:
        t = s.test_set
        click.echo(
            f"  manual test set: {t['labeled studies']} labeled studies of {t['patients']} "
            f"patients in test ({t['moved']} moved there by this build), {t['released']} "
            "studies' labels in the release"
        )
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in s.stage_seconds.items())
    click.echo(f"  time by stage (image stages summed over workers): {stages}")


def print_verify(report: VerifyReport, as_json: bool, census: CensusSummary | None = None) -> None:
    if as_json:
        data: dict[str, object] = {
            "files": report.files,
            "ok": report.ok,
            "leaks": report.leaks,
            "problems": report.problems,
        }
        if census is not None:
            data["census"] = census.__dict__
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    if census is not None:
        click.echo(
            f"census: {census.header_values} header values, "
            f"{census.report_words} unknown report words"
        )
    click.echo(f"{report.files} files checked")
    for check, where in sorted(report.problems.items()):
        if where:
            click.echo(f"  {len(where):6d}  {check} (first: {where[0]})")
    if report.leaks is not None:
        click.echo(f"leaks found: {report.leaks}")
    click.echo("release OK" if report.ok else "release NOT OK")


@click.command("build")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--private",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Private workspace (key, keystore, quarantine list); never inside OUT.",
)
@click.option(
    "--keystore",
    default=None,
    metavar="URL",
    help="PostgreSQL URL for the keystore [default: SQLite in --private].",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Local worker processes [default: number of CPUs].",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDR",
    help="Run the image work on a Dask cluster (tcp://host:port).",
)
@click.option(
    "--jpg/--no-jpg",
    default=True,
    show_default=True,
    help="Also write the MIMIC-CXR-JPG tree under OUT/jpg.",
)
@click.option("--gzip", "gzip_", is_flag=True, help="Write .dcm.gz instead of .dcm.")
@click.option(
    "--test-patients",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with a patient_id column: these patients' studies go to test.",
)
@click.option(
    "--test-set",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Manual labels of released studies (mimic-cxr-2.1.0-test-set-labeled.csv: study_id "
    "and the 14 observations): every study of their patients goes to test, every id kept; "
    "the file is kept in PRIVATE and written to the release root. Merged with "
    "--test-patients.",
)
@click.option(
    "--validate-patients",
    type=click.IntRange(min=0),
    default=0,
    help="Number of patients drawn at random for the validate split.",
)
@click.option(
    "--withdraw",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with a patient_id column (and optionally issuer_of_patient_id): patients who "
    "opted out, removed from the release (now and in every later build); every other "
    "identifier and split is kept.",
)
@click.option("--allow-quarantine", is_flag=True, help="Exit 0 even when inputs were quarantined.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def build_command(
    source: Path,
    out: Path,
    private: Path,
    keystore: str | None,
    workers: int | None,
    scheduler: str | None,
    jpg: bool,
    gzip_: bool,
    test_patients: Path | None,
    test_set: Path | None,
    validate_patients: int,
    withdraw: Path | None,
    allow_quarantine: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Build a de-identified MIMIC-CXR-style release in OUT from the export in SOURCE.

    SOURCE holds dicom/ (any layout, found by content) and reports/ (RIS CSV and HL7 v2).
    Running again resumes a killed build; running with more sources adds them and keeps
    every identifier, date shift and split. Inputs that cannot be used are quarantined with
    a reason in PRIVATE/quarantine.csv; the exit status is then 3 unless --allow-quarantine.
    Faults of the machine stop the build with one line and exit 4 (disk full), 5 (read-only
    or not permitted), 6 (key or keystore damaged) or 7 (OUT holds files this workspace did
    not write); fix them and run the same command again.

    \b
    Example:
      cxrkit build ./export ./release --private ./private --validate-patients 500
      cxrkit build ./export ./release --private ./private \
          --test-set review-export/mimic-cxr-2.1.0-test-set-labeled.csv
    """
    options = BuildOptions(
        workers=workers,
        scheduler=scheduler,
        keystore_url=keystore,
        jpg=jpg,
        gzip=gzip_,
        test_patients=test_patients,
        validate_patients=validate_patients,
        withdraw=withdraw,
        test_set=test_set,
    )
    with progress_bar("building", enabled=not quiet) as update:
        summary = build(
            source,
            out,
            private,
            options=options,
            progress=lambda stage, done, total: update(done, total, stage),
        )
    print_build(summary, as_json)
    if summary.quarantined and not allow_quarantine:
        sys.exit(3)


@click.command("verify")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--private",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Private workspace: also audit the release for leaks.",
)
@click.option(
    "--keystore",
    default=None,
    metavar="URL",
    help="The PostgreSQL keystore the build used [default: SQLite in --private].",
)
@click.option("--no-ocr", is_flag=True, help="Skip the OCR part of the leak audit.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes for the OCR audit [default: number of CPUs].",
)
@click.option(
    "--census",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="CSV",
    help="Also write every distinct header value and unknown capitalised report word, with "
    "counts, to CSV (outside the release) for a reviewer to read before publishing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify_command(
    out: Path,
    private: Path | None,
    keystore: str | None,
    no_ocr: bool,
    workers: int | None,
    census: Path | None,
    as_json: bool,
) -> None:
    """Check a release: checksums, layout, tables; with --private, audit it for leaks.

    Exit status 0 when every check passes and no leak is found, 1 otherwise.

    \b
    Example:
      cxrkit verify ./release --private ./private
      cxrkit verify ./release --census review/census.csv
    """
    summary = write_census(out, census) if census is not None else None
    report = verify(out, private, ocr=not no_ocr, workers=workers, keystore_url=keystore)
    print_verify(report, as_json, summary)
    if not report.ok:
        sys.exit(1)
