"""The examples in the loaders' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "catalog",
    "chexpert",
    "dataset",
    "evaluation",
    "files",
    "metrics",
    "mimic",
    "nih",
    "schema",
    "splits",
    "torchdata",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    if name == "torchdata":
        pytest.importorskip("torch", reason="PyTorch is not installed (extra 'torch')")
    module = importlib.import_module(f"cxrkit.loaders.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
