"""``cxrkit jpg``."""

from __future__ import annotations

from pathlib import Path

import click

from cxrkit.cli.progress import progress_bar
from cxrkit.pipeline.jpg_tree import convert_tree


@click.command("jpg")
@click.argument("dicom_tree", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("out_tree", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes [default: number of CPUs].",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def jpg(dicom_tree: Path, out_tree: Path, workers: int | None, quiet: bool) -> None:
    """Convert a DICOM tree to JPGs exactly as MIMIC-CXR-JPG did (same layout, .jpg).

    Min-max scaling to 8 bits, MONOCHROME1 inverted, OpenCV histogram equalisation, JPEG
    quality 95. Files that are not decodable DICOM images are counted and skipped.

    \b
    Example:
      cxrkit jpg ./mimic-cxr/files ./mimic-cxr-jpg/files
    """
    with progress_bar("writing JPGs", enabled=not quiet) as update:
        summary = convert_tree(dicom_tree, out_tree, workers=workers, progress=update)
    click.echo(
        f"files {summary.files_seen}: {summary.written} JPGs written, "
        f"{summary.skipped} skipped (not decodable DICOM images)"
    )
