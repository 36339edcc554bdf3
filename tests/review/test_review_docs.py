"""The tables of docs/review.md are what the code computes."""

from __future__ import annotations

import re
from pathlib import Path

from cxrkit.review.export import format_percent
from cxrkit.review.stats import clopper_pearson_upper, zero_finding_sample_size

DOC = Path(__file__).resolve().parents[2] / "docs" / "review.md"


def _rows(first_cell: str) -> list[list[str]]:
    """The table rows of docs/review.md whose first cell matches ``first_cell``."""
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and re.fullmatch(first_cell, cells[0]):
            rows.append(cells)
    return rows


def test_the_sample_size_table_is_computed() -> None:
    rows = _rows(r"[0-9.]+ %")
    assert len(rows) == 5
    for rate, *sizes in rows:
        share = float(rate.removesuffix(" %")) / 100
        expected = [f"{zero_finding_sample_size(share, c):,}" for c in (0.90, 0.95, 0.99)]
        assert sizes == expected, rate


def test_the_upper_bound_table_is_computed() -> None:
    rows = _rows(r"[0-9,]+")
    assert len(rows) == 4
    for n_text, *bounds in rows:
        n = int(n_text.replace(",", ""))
        expected = [
            f"{format_percent(clopper_pearson_upper(k, n, 0.95))} / "
            f"{format_percent(clopper_pearson_upper(k, n, 0.99))}"
            for k in (0, 1, 2, 5)
        ]
        assert bounds == expected, n_text
