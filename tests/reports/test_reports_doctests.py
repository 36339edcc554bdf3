"""The examples in the reports package's docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "",
    "._flat",
    "._scan",
    ".deid",
    ".deny",
    ".dicomphi",
    ".evaluate",
    ".intake",
    ".lexicon",
    ".names",
    ".patterns",
    ".places",
    ".process",
    ".sections",
    ".segments",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"cxrkit.reports{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
