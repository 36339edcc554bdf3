"""``cxrkit pull --dicomweb`` against a real Orthanc."""

from __future__ import annotations

import csv
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import CT_ACCESSION, Proxy, expected_instances, pulled_instances, tree
from pacs_server import Orthanc

from cxrkit.cli import main
from cxrkit.pacs.log import COMPLETE, FAILED, NO_CHEST, NO_STUDY, read_log
from cxrkit.pacs.pull import accessions
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
    assert "1 accessions with no study, 1 studies with no chest (CR/DX) images, 0 failed" in out
    for r in rows:  # the console names no accession or UID
        assert r.accession not in out
        assert not r.study_uid or r.study_uid not in out
    # a rerun fetches nothing and changes nothing
    before = tree(src)
    code, out = _pull(src, "--dicomweb", orthanc.dicomweb)
    assert code == 0, out
    assert "instances fetched by this run: 0\n" in out
    assert tree(src) == before


def _chest_study(export: Path) -> str:
    """The StudyInstanceUID of a reported chest study with images."""
    with (export / "truth" / "studies.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["chest"] == "True" and row["report_status"] == "ok" and row["images"] != "0":
                return row["study_instance_uid"]
    raise AssertionError("no chest study in the export")


def test_a_500_on_one_study_fails_that_study_only_and_a_rerun_completes_it(
    orthanc: Orthanc, pacs_export: SynthSummary, src: Path
) -> None:
    bad = _chest_study(pacs_export.root)
    with Proxy(orthanc.url, fail=bad) as proxy:
        args = ["--dicomweb", f"{proxy.url}/dicom-web", "--retries", "2", "--backoff", "0.01"]
        code, out = _pull(src, *args)
        tries = [p for p in proxy.retrievals() if bad in p]
    assert code == 8, out
    assert "failed: 1 × HTTP 500" in out
    assert ", 1 failed;" in out
    rows = read_log(src)
    failed = [r for r in rows if r.status == FAILED]
    assert [(r.study_uid, r.reason, r.received) for r in failed] == [(bad, "HTTP 500", 0)]
    # the study once, then each instance once and retried twice
    assert len(tries) == 1 + 3 * failed[0].expected
    assert not (src / "dicom" / bad).exists()
    assert all(r.received == r.expected for r in rows if r.status == COMPLETE)
    code, out = _pull(src, "--dicomweb", orthanc.dicomweb)  # the PACS is well again
    assert code == 0, out
    assert f"instances fetched by this run: {failed[0].expected}\n" in out
    assert pulled_instances(src) == expected_instances(pacs_export.root, src)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """An HTTP address that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"http://127.0.0.1:{server.getsockname()[1]}/dicom-web"


def test_a_pacs_that_times_out_fails_every_accession_and_lists_them(
    silent_server: str, src: Path
) -> None:
    code, out = _pull(src, "--dicomweb", silent_server, "--timeout", "0.2", "--retries", "0")
    assert code == 8, out
    rows = read_log(src)
    assert {(r.status, r.reason) for r in rows} == {(FAILED, "query: timeout")}
    assert len(rows) == len(accessions(src))


def test_a_killed_pull_resumes_without_fetching_an_instance_twice(
    orthanc: Orthanc, pacs_export: SynthSummary, src: Path, tmp_path: Path
) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(src / "reports", reference / "reports")
    assert _pull(reference, "--dicomweb", orthanc.dicomweb)[0] == 0
    want = tree(reference)
    with Proxy(orthanc.url, delay=0.3) as proxy:
        command = [sys.executable, "-m", "cxrkit.cli", "pull", str(src), "-q", "--parallel", "1"]
        process = subprocess.Popen([*command, "--dicomweb", f"{proxy.url}/dicom-web"])
        deadline = time.monotonic() + 60
        while len(list((src / "dicom").rglob("*.dcm"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        first = list(proxy.retrievals())
        kept = {p.stem for p in (src / "dicom").rglob("*.dcm")}
        kept_studies = {p.parent.name for p in (src / "dicom").rglob("*.dcm")}
        assert 3 <= len(kept) < len(want)
        proxy.delay = 0
        code, out = _pull(src, "--dicomweb", f"{proxy.url}/dicom-web")
        second = proxy.retrievals()[len(first) :]
    assert code == 0, out
    assert tree(src) == want  # file for file, byte for byte; no partial file left
    assert f"instances fetched by this run: {len(want) - len(kept)}\n" in out
    # neither a kept instance nor a study with a kept instance is asked for again
    assert not [p for p in second if p.rsplit("/", 1)[1] in kept | kept_studies]
