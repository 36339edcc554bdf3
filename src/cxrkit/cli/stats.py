"""``cxrkit stats``."""

from __future__ import annotations

from pathlib import Path

import click

from cxrkit.release.stats import markdown, summarise, write_summary


@click.command("stats")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("cxrkit-stats"),
    show_default=True,
    help="Where to write the tables (CSV, markdown) and labels.png.",
)
def stats(out: Path, folder: Path) -> None:
    """Summary tables of a release: images per examination, label frequencies, splits.

    Reproduced from the release files alone; printed, and written to the output folder as
    CSV and markdown with a PNG figure of label frequencies and views.

    \b
    Example:
      cxrkit stats ./release -o ./release-stats
    """
    summary = summarise(out)
    for name, table in summary.tables.items():
        click.echo(f"## {name}\n")
        click.echo(markdown(table))
    write_summary(summary, folder)
    click.echo(f"written to {folder}")
