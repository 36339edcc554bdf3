"""``cxrkit deid-text`` and ``cxrkit sections``."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import click

from cxrkit.cli.progress import progress_bar
from cxrkit.errors import OutputError, SourceError
from cxrkit.release.layout import write_atomic
from cxrkit.reports.deid import deidentify_text
from cxrkit.reports.intake import Intake, read_text_tree
from cxrkit.reports.sections import parse_sections, section_counts, write_sectioned
from cxrkit.reports.segments import split_segments
from cxrkit.sources.textfile import read_column


@click.command("deid-text")
@click.argument("in_csv", metavar="IN.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_csv",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the de-identified CSV.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def deid_text(in_csv: Path, out_csv: Path, quiet: bool) -> None:
    """De-identify free text: every PHI span becomes exactly ___.

    IN.csv is a headerless one-column CSV (one text per row, multi-line cells quoted);
    OUT.csv gets the same rows in the same order. Dates in any common format, phone and
    pager numbers, identifiers, e-mail, URLs, ages of 90 and over, years, places,
    hospitals, and names in name contexts ("Dr. Bell", "discussed with Rose Hill") are
    replaced; times of day are kept.

    \b
    Example:
      cxrkit deid-text notes.csv -o notes-deid.csv
    """
    if not in_csv.exists():
        raise SourceError(f"{in_csv} does not exist; give a headerless one-column CSV")
    rows, decoded = read_column(in_csv)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    with progress_bar("De-identifying", enabled=not quiet) as update:
        for done, text in enumerate(rows, start=1):
            writer.writerow([deidentify_text(text)])
            if done % 500 == 0 or done == len(rows):
                update(done, len(rows))
    write_atomic(out_csv, buffer.getvalue().encode("utf-8"))
    click.echo(f"{len(rows)} texts de-identified to {out_csv}{decoded.read_as}")


def _diagnostics(study: str, sections_found: list[str], label: str, dropped: int) -> dict[str, str]:
    flags = [] if label else ["no_usable_text"]
    if "impression" not in sections_found:
        flags.append("no_impression")
    if "findings" not in sections_found:
        flags.append("no_findings")
    return {
        "study": study,
        "sections": ";".join(sections_found),
        "label_section": label,
        "segments_dropped": str(dropped),
        "flags": ";".join(flags),
    }


@click.command("sections")
@click.argument("src", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for mimic_cxr_sectioned.csv and the diagnostics file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def sections(src: Path, out_dir: Path, as_json: bool, quiet: bool) -> None:
    """MIMIC-style section extraction from a tree of s<study_id>.txt reports.

    Writes DIR/mimic_cxr_sectioned.csv (study,impression,findings,last_paragraph,
    comparison), sorted by study, one row per report found (empty cells when a section is
    missing), and DIR/mimic_cxr_sections_diagnostics.csv (sections found, the section a
    labeler reads, flags). Prints how many reports have an impression, findings only, or
    neither.

    \b
    Example:
      cxrkit sections mimic-cxr-reports/files -o sections/
    """
    if not src.is_dir():
        raise SourceError(f"{src} is not a folder; give a files/pNN/p<subject>/s<study>.txt tree")
    intake = read_text_tree(src)
    _say_skipped(intake)
    if not intake.reports:
        raise SourceError(f"{src} holds no s<study_id>.txt reports under p<subject_id>/ folders")
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir} exists and is not a folder; choose another -o")
    out_dir.mkdir(parents=True, exist_ok=True)
    rows, diagnostics, parsed = [], [], []
    with progress_bar("Sectioning", enabled=not quiet) as update:
        for done, record in enumerate(intake.reports, start=1):
            segments = split_segments(record.text)
            kept = "\n \n".join(p for p in (segments.addendum, segments.body) if p.strip())
            found = parse_sections(kept)
            parsed.append(found)
            study = f"s{record.accession}"
            rows.append(found.row(study))
            names = [name for name, text in found.parts if text]
            diagnostics.append(_diagnostics(study, names, found.label_section, segments.dropped))
            update(done, len(intake.reports))
    write_sectioned(rows, out_dir / "mimic_cxr_sectioned.csv")
    _write_diagnostics(diagnostics, out_dir / "mimic_cxr_sections_diagnostics.csv")
    counts = section_counts(parsed)
    if as_json:
        click.echo(json.dumps(counts, sort_keys=True))
        return
    n = max(counts["reports"], 1)
    click.echo(f"{counts['reports']} reports sectioned to {out_dir}")
    for key in ("impression", "findings_only", "neither"):
        click.echo(f"  {key:<14} {counts[key]:>8} ({100 * counts[key] / n:.1f}%)")


def _say_skipped(intake: Intake) -> None:
    """One line on stderr per reason a report file was skipped (counts only, no names; the
    intake's details name the fault, never the file's content)."""
    for reason, n in sorted(Counter(item.detail for item in intake.quarantined).items()):
        click.echo(f"skipped {n} s<study_id>.txt file(s): {reason}", err=True)


def _write_diagnostics(rows: list[dict[str, str]], path: Path) -> None:
    columns = ("study", "sections", "label_section", "segments_dropped", "flags")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(sorted(rows, key=lambda r: r["study"]))
    write_atomic(path, buffer.getvalue().encode("utf-8"))
