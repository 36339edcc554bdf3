"""What a pull should bring: the source's chest instances of the reported accessions."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import re
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from cxrkit.pacs.pull import accessions
from cxrkit.sources.discover import iter_files, read_source

#: WADO-RS retrieval of a study or of an instance (not a QIDO query)
RETRIEVAL = re.compile(r"/studies/[0-9.]+(/series/[0-9.]+/instances/[0-9.]+)?$")
#: A study that the PACS holds under a reported accession but with no CR or DX image.
CT_ACCESSION = "CT20990001"


def pixel_hash(path: Path) -> str:
    ds = read_source(path)
    return hashlib.sha256(bytes(ds.get("PixelData", b""))).hexdigest()


def expected_instances(export: Path, src: Path) -> dict[str, str]:
    """SOP Instance UID → pixel hash of every source CR/DX instance whose accession is in
    ``src``'s reports, as the export's truth lists them (the PACS refused the truncated and
    not-DICOM files; it holds the one without pixel data)."""
    wanted = set(accessions(src))
    out = {}
    with (export / "truth" / "images.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            refused = row["broken"] in ("truncated", "not-dicom")
            if row["accession"] in wanted and row["modality"] in ("CR", "DX") and not refused:
                out[row["sop_instance_uid"]] = pixel_hash(export / row["file"])
    return out


def pulled_instances(src: Path) -> dict[str, str]:
    """SOP Instance UID → pixel hash of what ``SRC/dicom/`` holds, checking each file's name."""
    out = {}
    for path in iter_files(src / "dicom"):
        ds = read_source(path, pixels=False)
        assert path.name == f"{ds.SOPInstanceUID}.dcm"
        assert path.parent.name == str(ds.StudyInstanceUID)
        out[str(ds.SOPInstanceUID)] = pixel_hash(path)
    return out


def tree(src: Path) -> dict[str, bytes]:
    """Every file of ``SRC/dicom/`` by relative path, with its bytes."""
    root = src / "dicom"
    return {str(p.relative_to(root)): p.read_bytes() for p in iter_files(root)}


class Proxy:
    """A tiny HTTP proxy in front of the PACS's DICOMweb: counts the instance requests and
    answers HTTP 500 to every retrieval whose path holds ``fail`` (a study UID), and waits
    ``delay`` seconds before each retrieval (a slow PACS)."""

    def __init__(self, upstream: str, fail: str = "", delay: float = 0.0) -> None:
        self.upstream, self.fail, self.delay = upstream.rstrip("/"), fail, delay
        self.requests: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy.requests.append(self.path)
                retrieval = bool(RETRIEVAL.search(self.path))
                if retrieval:
                    time.sleep(proxy.delay)
                if retrieval and proxy.fail and proxy.fail in self.path:
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                accept = self.headers.get("Accept", "")
                answer = httpx.get(proxy.upstream + self.path, headers={"Accept": accept})
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("content-type", ""))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def retrievals(self) -> list[str]:
        """The retrieval requests (a study or an instance), in order."""
        return [p for p in self.requests if RETRIEVAL.search(p)]

    def __enter__(self) -> Proxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class TcpLink:
    """A TCP forwarder to ``127.0.0.1:upstream``: waits ``delay`` seconds before passing on
    each chunk the server sends (a slow network link, whatever the protocol); with ``tls``,
    it speaks TLS to its clients with that server context (a TLS terminator in front of the
    PACS)."""

    def __init__(
        self, upstream: int, delay: float = 0.0, tls: ssl.SSLContext | None = None
    ) -> None:
        self.upstream, self.delay, self.tls = upstream, delay, tls
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        if self.tls is not None:
            try:
                client = self.tls.wrap_socket(client, server_side=True)
            except (ssl.SSLError, OSError):  # the client did not trust us: it hung up
                client.close()
                return
        server = socket.create_connection(("127.0.0.1", self.upstream))
        for src, dst, delay in ((client, server, 0.0), (server, client, self.delay)):
            threading.Thread(target=self._pipe, args=(src, dst, delay), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket, delay: float) -> None:
        try:
            while data := src.recv(65536):
                time.sleep(delay)
                dst.sendall(data)
        except OSError:
            pass
        finally:  # shutdown, not only close: it wakes the other direction's recv
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def __enter__(self) -> TcpLink:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.close()
