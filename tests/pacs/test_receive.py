"""``cxrkit receive``: Orthanc pushes (C-STORE) to it."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
from click.testing import CliRunner
from helpers import CT_ACCESSION, expected_instances, pulled_instances
from pacs_server import RECEIVE_AE, Orthanc

from cxrkit.cli import main
from cxrkit.pacs.log import COMPLETE, FAILED, NO_CHEST, read_log
from cxrkit.pacs.pull import accessions
from cxrkit.pacs.received import NOT_RECEIVED
from cxrkit.sources.synth import SynthSummary


def _wait_listening(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("cxrkit receive did not listen")


def _push(orthanc: Orthanc, instances: list[str]) -> None:
    answer = httpx.post(
        f"{orthanc.url}/modalities/receiver/store", json={"Resources": instances}, timeout=60
    )
    assert answer.status_code == 200, answer.text


def test_receive_stores_a_push_by_sop_uid_ignores_duplicates_and_stops_on_sigterm(
    orthanc: Orthanc, pacs_export: SynthSummary, src: Path
) -> None:
    """SRC holds the export's reports: on SIGTERM, receive logs which accessions came."""
    command = [sys.executable, "-m", "cxrkit.cli", "receive", str(src)]
    command += ["--port", str(orthanc.receive_port), "--ae", RECEIVE_AE]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_listening(orthanc.receive_port, process)
        instances = httpx.get(f"{orthanc.url}/instances").json()
        _push(orthanc, instances)
        _push(orthanc, instances[:3])  # pushed again: ignored
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert f"instances stored {len(instances)}, duplicates ignored 3" in out
    sops = {
        httpx.get(f"{orthanc.url}/instances/{i}").json()["MainDicomTags"]["SOPInstanceUID"]
        for i in instances
    }
    assert set(pulled_instances(src)) == sops
    assert not [p for p in (src / "dicom").rglob("*") if p.is_file() and p.suffix != ".dcm"]
    # the log: as a pull's, except that the accession without a study is "not received"
    rows = read_log(src)
    assert {r.accession for r in rows} == set(accessions(src))
    by_status = Counter(r.status for r in rows)
    assert by_status == {COMPLETE: by_status[COMPLETE], NO_CHEST: 1, FAILED: 1}
    assert [r.accession for r in rows if r.status == NO_CHEST] == [CT_ACCESSION]
    assert [r.reason for r in rows if r.status == FAILED] == [NOT_RECEIVED]
    chest = sum(r.received for r in rows)
    assert chest == sum(r.expected for r in rows) == sum(r.fetched for r in rows)
    assert chest == len(expected_instances(pacs_export.root, src))  # what a pull brings
    assert f"complete {len(accessions(src)) - 2}, not 2" in out
    for r in rows:  # the console names no accession or UID
        assert r.accession not in out + err
        assert not r.study_uid or r.study_uid not in out + err


def test_receive_until_complete_stops_when_every_accession_came_and_the_build_counts_it(
    orthanc: Orthanc, blank_export: Path, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    shutil.copytree(blank_export / "reports", src / "reports")
    command = [sys.executable, "-m", "cxrkit.cli", "receive", str(src), "--until-complete"]
    command += ["--port", str(orthanc.receive_port), "--ae", RECEIVE_AE]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_listening(orthanc.receive_port, process)
        found = httpx.post(
            f"{orthanc.url}/tools/find",
            json={"Level": "Instance", "Query": {"AccessionNumber": "ACC00"}},
        ).json()
        _push(orthanc, found)
        out, err = process.communicate(timeout=30)  # it stops by itself
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    line = out.splitlines()[1]
    assert line.startswith("pulled from the PACS (pull-log.csv): 1 studies complete, 0 acc")
    assert line.endswith("0 failed; instances received 1 of 1")
    args = ["build", str(src), str(tmp_path / "out"), "--private", str(tmp_path / "private")]
    built = CliRunner().invoke(main, [*args, "-q", "--workers", "1"])
    assert built.exit_code == 0, built.output
    assert f"  {line}\n" in built.output
    # already complete: a second receive stops at once, without listening
    again = CliRunner().invoke(main, ["receive", str(src), "--until-complete", "--port", "1"])
    assert again.exit_code == 0, again.output
    assert "wanted accessions (SRC/reports): 1, complete 1, not 0" in again.output


def test_until_complete_needs_reports(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["receive", str(tmp_path), "--until-complete"])
    assert result.exit_code != 0
    assert "--until-complete needs the accessions of SRC/reports/" in result.output


def test_receive_on_a_port_in_use_says_so(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["receive", str(tmp_path), "--port", str(port)])
    assert result.exit_code == 8
    assert f"cannot listen on port {port}" in result.output
