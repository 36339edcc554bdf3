"""``cxrkit evaluate-deid``: report de-identification scored on a hospital's annotated reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from cxrkit.reports.deid_eval import DeidScore, evaluate_deid
from cxrkit.reports.deid_formats import FORMATS, detect_format, read_annotated

_COLUMNS = ("PHI", "removed", "recall", "predicted", "correct", "precision")
_WIDTHS = (6, 8, 7, 10, 8, 9)


def _counts(score: DeidScore, category: str | None) -> dict[str, Any]:
    """One table row as numbers: all categories together when ``category`` is ``None``."""
    tables = (score.gold, score.caught, score.predicted, score.correct)
    gold, caught, predicted, correct = (
        t[category] if category else sum(t.values()) for t in tables
    )
    return {
        "PHI": gold,
        "removed": caught,
        "recall": score.recall(category),
        "predicted": predicted,
        "correct": correct,
        "precision": score.precision(category),
    }


def _cell(value: Any, width: int) -> str:
    if isinstance(value, float) or value is None:
        value = "-" if value is None else f"{value:.3f}"
    return f"{value:>{width}}"


def _line(first: str, values: list[Any]) -> str:
    cells = "".join(_cell(v, w + 1) for v, w in zip(values, _WIDTHS, strict=True))
    return f"{first:<12}{cells}"


def format_score(score: DeidScore, fmt: str, show_text: bool) -> str:
    """The plain-text report: a table per category, then every miss by place."""
    phi = sum(score.gold.values())
    lines = [
        f"{score.documents} document{'' if score.documents == 1 else 's'} ({fmt}), "
        f"{score.tokens} tokens, {phi} PHI tokens",
        f"{'category':<12}"
        + "".join(_cell(c, w + 1) for c, w in zip(_COLUMNS, _WIDTHS, strict=True)),
    ]
    for category in [*score.categories(), None]:
        row = _counts(score, category)
        lines.append(_line(category or "all", [row[c] for c in _COLUMNS]))
    lines.append(f"{len(score.misses)} missed PHI tokens (category, document, start-end):")
    for miss in score.misses:
        text = f"  {miss.text!r}" if show_text else ""
        lines.append(f"  {miss.category:<11} {miss.document}  {miss.start}-{miss.end}{text}")
    return "\n".join(lines)


def score_json(score: DeidScore, fmt: str, show_text: bool) -> dict[str, Any]:
    misses = []
    for miss in score.misses:
        item: dict[str, Any] = {
            "category": miss.category,
            "document": miss.document,
            "start": miss.start,
            "end": miss.end,
        }
        if show_text:
            item["text"] = miss.text
        misses.append(item)
    return {
        "format": fmt,
        "documents": score.documents,
        "tokens": score.tokens,
        "categories": {c: _counts(score, c) for c in score.categories()},
        "all": _counts(score, None),
        "misses": misses,
    }


@click.command("evaluate-deid")
@click.argument("annotated", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Input format (default: detected): brat (.txt + .ann), i2b2 (2014 XML), cxrkit "
    "(a synth export's truth/phi.jsonl and reports).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores and misses as JSON.")
@click.option(
    "--show-text",
    is_flag=True,
    help="Show each missed token's text (PHI: keep the output private).",
)
def evaluate_deid_command(annotated: Path, fmt: str | None, as_json: bool, show_text: bool) -> None:
    """Score report de-identification (what deid-text removes) on annotated reports.

    ANNOTATED is a folder (or file) of reports with PHI annotations. Scores are token-level
    (runs of letters and digits): recall per category (name, date, id, location,
    institution, contact, age, other) = PHI tokens removed / PHI tokens; precision = removed
    tokens that are PHI / removed tokens, by the category of the removing rule. Misses are
    listed by category, document and character offsets; their text only with --show-text.

    \b
    Example:
      cxrkit evaluate-deid annotated/ --format brat
      cxrkit evaluate-deid i2b2-test/ --json > deid-scores.json
      cxrkit evaluate-deid ./export          # a cxrkit synth export
    """
    fmt = fmt or detect_format(annotated)
    score = evaluate_deid(read_annotated(annotated, fmt), keep_text=show_text)
    if as_json:
        click.echo(json.dumps(score_json(score, fmt, show_text), indent=2))
    else:
        click.echo(format_score(score, fmt, show_text))
