"""The three folders of a run: checked before anything is read, named by their labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxrkit.errors import ConfigError
from cxrkit.pipeline.workspace import check_trees, folders


@pytest.fixture
def source(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    return tmp_path / "src"


def test_separate_folders_are_accepted(tmp_path: Path, source: Path) -> None:
    check_trees(source, tmp_path / "out", tmp_path / "private")


@pytest.mark.parametrize(
    ("out", "private", "what"),
    [
        ("out", "out/private", "the private workspace inside the release"),
        ("out", "out", "the private workspace inside the release"),
        ("private/out", "private", "the release inside the private workspace"),
        ("src/out", "private", "the release inside the source"),
        ("src", "private", "the release inside the source"),
    ],
)
def test_nested_folders_are_refused(
    tmp_path: Path, source: Path, out: str, private: str, what: str
) -> None:
    with pytest.raises(ConfigError, match=f"refusing to put {what}"):
        check_trees(source, tmp_path / out, tmp_path / private)


def test_a_missing_source_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a folder"):
        check_trees(tmp_path / "nowhere", tmp_path / "out", tmp_path / "private")


def test_a_source_inside_the_release_is_allowed(tmp_path: Path) -> None:
    """Only the release may not sit in the source; the source may be anywhere else."""
    (tmp_path / "out" / "src").mkdir(parents=True)
    check_trees(tmp_path / "out" / "src", tmp_path / "out", tmp_path / "private")


def test_folders_are_named_by_their_command_line_labels(tmp_path: Path) -> None:
    s, o, p = tmp_path / "s", tmp_path / "o", tmp_path / "p"
    assert folders(s, o, p) == {"OUT": o, "the private workspace": p, "the source": s}
