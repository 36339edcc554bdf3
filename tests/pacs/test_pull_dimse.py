"""``cxrkit pull --dimse`` (C-FIND, C-GET, C-MOVE) against a real Orthanc, and its faults."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import expected_instances, pulled_instances, tree
from pacs_server import PULL_AE, Orthanc

from cxrkit.cli import main
from cxrkit.pacs.log import FAILED, read_log
from cxrkit.sources.synth import SynthSummary


def _pull(src: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["pull", str(src), "-q", "--calling-ae", PULL_AE, *args])
    return result.exit_code, result.output


@pytest.mark.parametrize("how", ["c-get", "c-move"])
def test_dimse_pull_brings_every_chest_instance(
    how: str, orthanc: Orthanc, pacs_export: SynthSummary, src: Path
) -> None:
    move = ["--move-port", str(orthanc.move_port)] if how == "c-move" else []
    code, out = _pull(src, "--dimse", orthanc.dimse, *move)
    assert code == 0, out
    assert pulled_instances(src) == expected_instances(pacs_export.root, src)
    assert not [r for r in read_log(src) if r.status == FAILED]
    code, out = _pull(src, "--dimse", orthanc.dimse, *move)
    assert code == 0, out
    assert "instances fetched by this run: 0\n" in out
    # a study partly present: only its missing instance is asked for, one C-GET / C-MOVE
    whole = tree(src)
    studies = [s for s in (src / "dicom").iterdir() if len(list(s.iterdir())) > 1]
    next(studies[0].iterdir()).unlink()
    code, out = _pull(src, "--dimse", orthanc.dimse, *move)
    assert code == 0, out
    assert "instances fetched by this run: 1\n" in out
    assert tree(src) == whole


def test_a_refused_association_stops_the_pull_with_a_clear_error(
    orthanc: Orthanc, src: Path
) -> None:
    code, out = _pull(src, "--dimse", f"NOTTHEPACS@127.0.0.1:{orthanc.dicom_port}")
    assert code == 8
    assert "refused the association from AE 'CXRKIT'" in out
    assert not (src / "dicom").exists()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield int(server.getsockname()[1])


def test_a_pacs_that_does_not_answer_times_out(silent_server: int, src: Path) -> None:
    code, out = _pull(src, "--dimse", f"PACS@127.0.0.1:{silent_server}", "--timeout", "0.5")
    assert code == 8
    assert "did not answer within 0.5 s" in out
