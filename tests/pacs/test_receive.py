"""``cxrkit receive``: Orthanc pushes (C-STORE) to it."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner
from helpers import pulled_instances
from pacs_server import RECEIVE_AE, Orthanc

from cxrkit.cli import main


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
    orthanc: Orthanc, tmp_path: Path
) -> None:
    src = tmp_path / "src"
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


def test_receive_on_a_port_in_use_says_so(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["receive", str(tmp_path), "--port", str(port)])
    assert result.exit_code == 8
    assert f"cannot listen on port {port}" in result.output
