"""``cxrkit pull --dicomweb`` against a real Orthanc."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from helpers import expected_instances, pulled_instances, tree
from pacs_server import Orthanc

from conftest import CT_ACCESSION
from cxrkit.cli import main
from cxrkit.pacs.log import COMPLETE, NO_CHEST, NO_STUDY, read_log
from cxrkit.sources.synth import SynthSummary


def _pull(src: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["pull", str(src), "-q", *args])
    return result.exit_code, result.output


def test_pull_brings_every_chest_instance_of_the_reports(
    orthanc: Orthanc, pacs_export: SynthSummary, src: Path
) -> None:
    code, out = _pull(src, "--dicomweb", orthanc.dicomweb)
    assert code == 0, out
    want = expected_instances(pacs_export.root, src)
    assert len(want) >= 9
    assert pulled_instances(src) == want  # same SOP Instance UIDs, same pixels
    rows = read_log(src)
    by_status = {r.status for r in rows}
    assert by_status == {COMPLETE, NO_STUDY, NO_CHEST}
    assert [r.accession for r in rows if r.status == NO_CHEST] == [CT_ACCESSION]
    assert sum(r.expected for r in rows) == sum(r.received for r in rows) == len(want)
    assert "accessions with no study: 1" in out
    assert "studies with no chest (CR/DX) images: 1" in out
    for r in rows:  # the console names no accession or UID
        assert r.accession not in out
        assert not r.study_uid or r.study_uid not in out
    # a rerun fetches nothing and changes nothing
    before = tree(src)
    code, out = _pull(src, "--dicomweb", orthanc.dicomweb)
    assert code == 0, out
    assert "(0 fetched by this run)" in out
    assert tree(src) == before
