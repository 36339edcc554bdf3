"""``cxrkit evaluate-model``: per-label ROC-AUC and AUPRC of a model's predictions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click
import pandas as pd

from cxrkit.errors import DataFileError
from cxrkit.loaders import Evaluation, evaluate, load
from cxrkit.loaders.metrics import Interval
from cxrkit.loaders.schema import DATASETS


def _cell(interval: Interval) -> str:
    if not math.isfinite(interval.value):
        return "n/a"
    if not math.isfinite(interval.low):
        return f"{interval.value:.3f}"
    return f"{interval.value:.3f} [{interval.low:.3f}, {interval.high:.3f}]"


def _render(result: Evaluation) -> str:
    header = ("label", "level", "n", "positives", "ROC-AUC [CI]", "AUPRC [CI]")
    rows = [
        (s.label, s.level, str(s.n), str(s.positives), _cell(s.auc), _cell(s.auprc))
        for s in result.scores
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    title = "  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True))
    level = round(result.confidence * 100)
    note = (
        f"{result.dataset}: {result.matched_images} images with predictions; "
        f"{level}% percentile bootstrap intervals, {result.n_bootstrap} resamples, "
        f"seed {result.seed}; study level = maximum over a study's views"
    )
    return "\n".join([note, title.rstrip(), *(line.rstrip() for line in lines)])


def _read_predictions(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (ValueError, OSError) as exc:
        raise DataFileError(f"{path.name} cannot be read as CSV: {exc}") from exc


@click.command("evaluate-model")
@click.argument("predictions", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--dataset",
    "dataset_name",
    required=True,
    type=click.Choice(DATASETS, case_sensitive=False),
    help="The dataset the predictions are for.",
)
@click.option(
    "--root",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The dataset's root folder (with its metadata files; images are not read).",
)
@click.option("--split", default=None, help="Official split to evaluate on (e.g. test).")
@click.option("--views", default=None, help="Comma-separated views or groups, e.g. frontal.")
@click.option(
    "--uncertainty",
    type=click.Choice(["keep", "ones", "zeros", "ignore"]),
    default="keep",
    show_default=True,
    help="What uncertain (-1) truth becomes; kept or ignored, it is left out of the metrics.",
)
@click.option(
    "--label-source",
    type=click.Choice(["chexpert", "negbio", "manual"]),
    default=None,
    help="MIMIC-CXR-JPG label file [default: chexpert].",
)
@click.option(
    "--level",
    type=click.Choice(["image", "study", "both"]),
    default="both",
    show_default=True,
    help="Evaluate per image, per study (max over views) or both.",
)
@click.option(
    "--bootstrap",
    "n_bootstrap",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Bootstrap resamples (0: no intervals).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def evaluate_model(
    predictions: Path,
    dataset_name: str,
    root: Path,
    split: str | None,
    views: str | None,
    uncertainty: str,
    label_source: str | None,
    level: str,
    n_bootstrap: int,
    seed: int,
    as_json: bool,
) -> None:
    """Per-label ROC-AUC and AUPRC of PREDICTIONS (CSV) on a dataset, with bootstrap CIs.

    PREDICTIONS has one row per image: a key column (image_id — MIMIC dicom_id, CheXpert
    relative path, NIH Image Index — or path) and one score column per label (harmonised or
    dataset names, e.g. "Pleural Effusion" or "Effusion").

    \b
    Example:
      cxrkit evaluate-model preds.csv --dataset nih-cxr14 --root ~/data/nih --split test
      cxrkit evaluate-model preds.csv --dataset chexpert --root ./CheXpert-v1.0-small --json
    """
    click.echo(f"reading {dataset_name} metadata", err=True)
    dataset = load(
        dataset_name,
        root,
        split=split,
        views=[v for v in views.split(",") if v] if views else None,
        uncertainty=uncertainty,  # type: ignore[arg-type]
        label_source=label_source,  # type: ignore[arg-type]
    )
    levels = ("image", "study") if level == "both" else (level,)
    result = evaluate(
        dataset,
        _read_predictions(predictions),
        levels=levels,  # type: ignore[arg-type]
        n_bootstrap=n_bootstrap,
        seed=seed,
    )
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        click.echo(_render(result))
