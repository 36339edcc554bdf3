"""Fixtures of the labeler tests: the public test data under tests/data/labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxrkit.labels.openi import OpenIReport, read_openi_reports

DATA = Path(__file__).resolve().parents[1] / "data" / "labels"


@pytest.fixture(scope="session")
def labels_data() -> Path:
    return DATA


@pytest.fixture(scope="session")
def openi_reports() -> dict[str, OpenIReport]:
    """The Open-I reports, read in memory from the unmodified NLM archive."""
    return read_openi_reports(DATA.parent / "openi" / "NLMCXR_reports.tgz")
