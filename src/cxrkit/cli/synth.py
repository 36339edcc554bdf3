"""``cxrkit synth`` and ``cxrkit demo``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cxrkit.cli.build import print_build, print_verify
from cxrkit.cli.progress import progress_bar
from cxrkit.pipeline.build import build
from cxrkit.release.verify import verify
from cxrkit.sources.synth import SynthSummary, synthesize
from cxrkit.sources.synth.dicomfiles import DIFFICULTIES

DEMO_PATIENTS = 20
DEMO_SEED = 1
#: ``cxrkit synth --difficulty`` (and ``cxrkit demo``) when not given: a third of the images
#: carry text drawn the hard way (the library's ``synthesize`` keeps ``classic``).
DEFAULT_DIFFICULTY = "mixed"


def _print_summary(summary: SynthSummary, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2, sort_keys=True))
        return
    s = summary
    click.echo(f"Synthetic hospital export written to {s.root}")
    click.echo(
        f"  patients {s.patients}, studies {s.studies}, images {s.images} "
        f"(+{s.broken_files} broken files, {s.non_chest_images} non-chest)"
    )
    click.echo(
        f"  reports {s.reports} ({s.csv_reports} CSV, {s.hl7_reports} HL7, "
        f"{s.corrupt_reports} corrupt)"
    )
    click.echo(f"  planted PHI items {s.phi_items}, kept burned-in markers {s.kept_markers}")
    click.echo(f"  truth: {s.root / 'truth'}")


@click.command()
@click.argument("src", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--patients",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Number of source patients.",
)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="Random seed; the same seed gives byte-identical files.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes rendering images [default: number of CPUs].",
)
@click.option(
    "--difficulty",
    type=click.Choice(DIFFICULTIES),
    default=DEFAULT_DIFFICULTY,
    show_default=True,
    help="How burned-in text is drawn: classic (upright corner text), hard (rotated, "
    "anti-aliased, many fonts, sizes and date formats) or mixed (a third of images hard).",
)
@click.option("--overwrite", is_flag=True, help="Replace dicom/, reports/ and truth/ in SRC.")
@click.option(
    "--report-style",
    type=click.Choice(["classic", "faker", "mixed"]),
    default="classic",
    show_default=True,
    help="Report PHI from the own lists, from Faker (split across lines too), or mixed.",
)
@click.option(
    "--full-size",
    is_flag=True,
    help="Images 2,000-3,000 pixels on their longer side (default 640-1,024), their text "
    "larger in proportion but for the small hard text.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def synth(
    src: Path,
    patients: int,
    seed: int,
    workers: int | None,
    difficulty: str,
    overwrite: bool,
    report_style: str,
    full_size: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Write a synthetic hospital export to SRC: DICOM tree, RIS reports and truth/.

    SRC/dicom/ holds a PACS-export-like tree of chest CR/DX radiographs (plus a few non-chest
    images and broken files), SRC/reports/ the RIS export (CSV and HL7 v2 ORU^R01) in the
    source contract of `cxrkit build`, and SRC/truth/ every planted (fake) PHI value and
    where it is, the intended labels and sections of every report.

    \b
    Example:
      cxrkit synth ./export --patients 50 --seed 1
      cxrkit synth ./hard --patients 20 --seed 101 --difficulty hard
      cxrkit synth ./big --patients 20 --seed 101 --difficulty hard --full-size
    """
    with progress_bar("rendering images", enabled=not quiet) as update:
        summary = synthesize(
            src,
            patients=patients,
            seed=seed,
            workers=workers,
            overwrite=overwrite,
            progress=update,
            difficulty=difficulty,
            report_style=report_style,
            full_size=full_size,
        )
    _print_summary(summary, as_json)


@click.command()
@click.argument(
    "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("cxrkit-demo")
)
@click.option(
    "--patients",
    type=click.IntRange(min=1),
    default=DEMO_PATIENTS,
    show_default=True,
    help="Number of synthetic patients.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def demo(folder: Path, patients: int, quiet: bool) -> None:
    """Run the main job on the embedded default: synth → build → verify.

    Writes a synthetic hospital export to FOLDER/export (seed 1, rewritten on every run),
    builds a release from it in FOLDER/release with the private workspace FOLDER/private,
    and verifies the release with a leak audit. Exit status 1 if verification fails.

    \b
    Example:
      cxrkit demo ./cxrkit-demo
    """
    with progress_bar("rendering images", enabled=not quiet) as update:
        summary = synthesize(
            folder / "export",
            patients=patients,
            seed=DEMO_SEED,
            overwrite=True,
            progress=update,
            difficulty=DEFAULT_DIFFICULTY,
        )
    _print_summary(summary, as_json=False)
    with progress_bar("building", enabled=not quiet) as update:
        built = build(
            folder / "export",
            folder / "release",
            folder / "private",
            progress=lambda stage, done, total: update(done, total, stage),
        )
    print_build(built, as_json=False)
    report = verify(folder / "release", folder / "private")
    print_verify(report, as_json=False)
    click.echo(f"Release: {(folder / 'release').resolve()}")
    if not report.ok:
        sys.exit(1)
