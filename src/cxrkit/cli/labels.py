"""``cxrkit label`` and ``cxrkit evaluate-labels``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cxrkit.cli.progress import progress_bar
from cxrkit.errors import OutputError
from cxrkit.labels import (
    evaluate,
    format_labeled_csv,
    format_scores,
    label_reports,
    read_label_csv,
)
from cxrkit.sources.textfile import read_column

_BATCH = 2000


@click.command()
@click.argument("reports", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Labeled CSV to write (Reports + 14 columns, CheXpert labeler order).",
)
@click.option(
    "--labeler",
    type=click.Choice(["chexpert", "negbio"]),
    default="chexpert",
    show_default=True,
    help="chexpert: CheXpert-style rules; negbio: NegBio-style scopes of cue phrases.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def label(reports: Path, output: Path, labeler: str, quiet: bool) -> None:
    """Label radiology reports: a drop-in for the CheXpert labeler.

    REPORTS is a headerless one-column CSV, one report per row (quote multi-line reports),
    UTF-8 or Windows-1252 / Latin-1 (the closing line says which).
    The output has the column Reports, then No Finding, Enlarged Cardiomediastinum, …,
    Support Devices with values 1.0 (positive), 0.0 (negative), -1.0 (uncertain) or blank
    (not mentioned).

    \b
    Example:
      cxrkit label sample_reports.csv -o labeled_reports.csv
      cxrkit label impressions.csv -o negbio.csv --labeler negbio
    """
    texts, decoded = read_column(reports)
    labels = []
    with progress_bar("labeling reports", enabled=not quiet) as update:
        for i in range(0, len(texts), _BATCH):
            labels.extend(label_reports(texts[i : i + _BATCH], labeler=labeler))
            update(len(labels), len(texts))
    try:
        output.write_text(format_labeled_csv(texts, labels), encoding="utf-8", newline="")
    except OSError as exc:
        raise OutputError(f"cannot write {output.name!r}: {exc}; choose a writable path") from exc
    click.echo(
        f"Labeled {len(texts)} reports with the {labeler} labeler: {output}{decoded.read_as}"
    )


@click.command("evaluate-labels")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("pred", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--positive-only",
    is_flag=True,
    help="Gold holds only 0/1: score positive detection (uncertain as positive, and as negative).",
)
@click.option(
    "--map",
    "label_map",
    type=click.Choice(["chestxray14"]),
    default=None,
    help="Rename the gold columns from another label set (Effusion → Pleural Effusion, …).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
def evaluate_labels(
    gold: Path, pred: Path, positive_only: bool, label_map: str | None, as_json: bool
) -> None:
    """Score predicted labels against gold labels: F1 per label, macro and micro.

    GOLD and PRED are label CSVs keyed by study_id (or filename, or Reports), with label
    columns as in mimic-cxr-2.1.0-test-set-labeled.csv. Tasks: mention (any value vs blank),
    negation (0.0 vs rest), uncertainty (-1.0 vs rest); with --positive-only: positive
    detection with uncertain counted as positive (positive_u1) and as negative (positive_u0).

    \b
    Example:
      cxrkit evaluate-labels mimic-cxr-2.1.0-test-set-labeled.csv predicted.csv
      cxrkit evaluate-labels openi_gold_dev.csv pred.csv --positive-only --map chestxray14
    """
    scores = evaluate(
        read_label_csv(gold, label_map=label_map), read_label_csv(pred), positive_only=positive_only
    )
    if as_json:
        data = {
            task: {
                "per_label": {lab: scores.f1(task, lab) for lab in scores.labels},
                "macro": scores.macro(task),
                "micro": scores.micro(task),
            }
            for task in scores.tasks
        }
        click.echo(json.dumps({"reports": scores.reports, "f1": data}, indent=2))
        return
    click.echo(f"{scores.reports} reports")
    click.echo(format_scores(scores))
