"""The build reads ``SRC/pull-log.csv`` and reports the counts that ``pull`` printed."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner
from pacs_server import Orthanc

from cxrkit.cli import main


def test_the_build_reports_the_pull_counts(
    orthanc: Orthanc, blank_export: Path, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    shutil.copytree(blank_export / "reports", src / "reports")
    pulled = CliRunner().invoke(main, ["pull", str(src), "-q", "--dicomweb", orthanc.dicomweb])
    assert pulled.exit_code == 0, pulled.output
    line = pulled.output.splitlines()[0]
    assert line.startswith("pulled from the PACS (pull-log.csv): 1 studies complete, 0 acc")
    args = ["build", str(src), str(tmp_path / "out"), "--private", str(tmp_path / "private")]
    built = CliRunner().invoke(main, [*args, "-q", "--workers", "1"])
    assert built.exit_code == 0, built.output
    assert f"  {line}\n" in built.output
    assert "1 images" in built.output
