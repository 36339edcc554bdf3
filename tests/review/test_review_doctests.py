"""The examples in the review core's docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["stats", "sample", "export"])
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"cxrkit.review.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
