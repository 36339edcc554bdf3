"""A real Orthanc for the tests: the Debian ``orthanc`` and ``orthanc-dicomweb`` packages,
started on free loopback ports with a throw-away configuration and storage.

Nothing here skips: a machine without Orthanc fails the tests with the command that installs
it (the README's test command runs that command where Orthanc is missing).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

INSTALL = "apt-get update && apt-get install -y orthanc orthanc-dicomweb"
PLUGIN_DIRS = (Path("/usr/share/orthanc/plugins"), Path("/usr/lib/orthanc"))
ORTHANC_AE = "ORTHANC"
#: The AE titles the PACS knows: cxrkit's own (C-GET, and C-MOVE to ``cxrkit pull``'s own
#: storage SCP on ``move_port``) and a receiver for pushes (``cxrkit receive``).
PULL_AE = "CXRKIT"
RECEIVE_AE = "CXRKITRCV"


@dataclass(frozen=True)
class Orthanc:
    url: str  # REST root, e.g. http://127.0.0.1:8042
    dicom_port: int
    move_port: int  # where Orthanc sends C-MOVE results for PULL_AE
    receive_port: int  # where Orthanc pushes for RECEIVE_AE
    storage: Path

    @property
    def dicomweb(self) -> str:
        return f"{self.url}/dicom-web"

    @property
    def dimse(self) -> str:
        return f"{ORTHANC_AE}@127.0.0.1:{self.dicom_port}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _executable() -> str:
    path = shutil.which("Orthanc") or shutil.which("Orthanc", path="/usr/sbin:/usr/bin")
    if path is None:
        raise RuntimeError(f"Orthanc is not installed; install it with: {INSTALL}")
    return path


def _dicomweb_plugin() -> Path:
    for folder in PLUGIN_DIRS:
        found = sorted(folder.glob("libOrthancDicomWeb.so*"))
        if found:
            return found[0]
    raise RuntimeError(f"the Orthanc DICOMweb plugin is not installed; install it with: {INSTALL}")


def config(
    root: Path, http_port: int, dicom_port: int, move_port: int, rcv: int
) -> dict[str, object]:
    storage = root / "storage"
    return {
        "Name": "cxrkit-test",
        "StorageDirectory": str(storage),
        "IndexDirectory": str(storage),
        "HttpPort": http_port,
        "DicomPort": dicom_port,
        "DicomAet": ORTHANC_AE,
        "DicomCheckCalledAet": True,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "SaveJobs": False,
        "StorageCompression": False,
        "Plugins": [str(_dicomweb_plugin())],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
        "DicomModalities": {
            "cxrkit": [PULL_AE, "127.0.0.1", move_port],
            "receiver": [RECEIVE_AE, "127.0.0.1", rcv],
        },
        "DicomScuTimeout": 10,
    }


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until Orthanc answers HTTP (any status: it may want credentials)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Orthanc exited at start:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/dicom-web/studies", timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"Orthanc did not answer within 30 s:\n{log.read_text()[-3000:]}")


def make_tls(folder: Path) -> tuple[Path, Path]:
    """A throw-away certificate authority and a server certificate it signed for 127.0.0.1
    (``openssl`` command line); returns the CA's PEM and the server's PEM (key, then cert)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (
        folder / n for n in ("ca.key", "ca.pem", "k.pem", "s.csr", "s.pem")
    )
    days = ["-days", "2"]

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        str(ca_key),
        "-out",
        str(ca),
        "-subj",
        "/CN=cxrkit test CA",
        *days,
    )
    openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        str(key),
        "-out",
        str(csr),
        "-subj",
        "/CN=127.0.0.1",
    )
    ext = folder / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(ca),
        "-CAkey",
        str(ca_key),
        "-CAcreateserial",
        "-out",
        str(cert),
        "-extfile",
        str(ext),
        *days,
    )
    server = folder / "server.pem"
    server.write_bytes(key.read_bytes() + cert.read_bytes())
    return ca, server


@contextmanager
def running_orthanc(
    root: Path,
    no_delay: bool = True,
    users: dict[str, str] | None = None,
) -> Iterator[Orthanc]:
    """Start Orthanc with a fresh configuration and storage under ``root``; stop it after.

    ``users``: HTTP basic authentication required, with these user names and passwords.
    (Not HTTPS: Debian 12's Orthanc 1.10.1 with its civetweb 1.15 dies of a segmentation
    fault on the first TLS connection; the tests put a TLS terminator in front of it.)

    ``no_delay``: Orthanc's DICOM toolkit (DCMTK) leaves Nagle's algorithm on unless its
    environment says ``TCP_NODELAY=1``; with it on, each DIMSE answer waits about 40 ms for
    our delayed acknowledgement."""
    exe = _executable()
    http_port, dicom_port, move_port, rcv = (free_port() for _ in range(4))
    root.mkdir(parents=True, exist_ok=True)
    cfg = root / "orthanc.json"
    settings = config(root, http_port, dicom_port, move_port, rcv)
    if users:
        settings.update(AuthenticationEnabled=True, RegisteredUsers=users)
    cfg.write_text(json.dumps(settings, indent=1))
    log = root / "orthanc.log"
    with log.open("wb") as out:
        env = {**os.environ, "TCP_NODELAY": "1" if no_delay else "0"}
        process = subprocess.Popen([exe, str(cfg)], stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{http_port}"
    try:
        _wait_ready(url, process, log)
        yield Orthanc(url, dicom_port, move_port, rcv, root / "storage")
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def upload(url: str, files: list[Path], **client: Any) -> int:
    """POST each file to ``/instances``; the number Orthanc accepted (broken files are not).
    ``client``: more arguments of ``httpx.Client`` (``verify``, ``auth``)."""
    accepted = 0
    with httpx.Client(timeout=60, **client) as session:
        for path in files:
            response = session.post(f"{url}/instances", content=path.read_bytes())
            accepted += response.status_code == 200
    return accepted
