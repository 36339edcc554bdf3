"""DICOMweb client: QIDO-RS to find, WADO-RS to retrieve (PS3.18), over httpx.

Authentication comes from the environment, never from the command line (it would show in
``ps``): ``CXRKIT_PACS_TOKEN`` (a bearer token) or ``CXRKIT_PACS_USER`` and
``CXRKIT_PACS_PASSWORD`` (HTTP basic). TLS certificates are verified, against the system's
authorities or a CA bundle.
"""

from __future__ import annotations

import base64
import contextlib
import io
import logging
import os
import ssl
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import httpx
import pydicom

from cxrkit.errors import PacsError
from cxrkit.pacs.base import CHEST_MODALITIES, Options, RateLimit, Sink, TransientError, retrying
from cxrkit.pacs.store import checked_uid
from cxrkit.sources.discover import PARSER_ERRORS

TOKEN_ENV, USER_ENV, PASSWORD_ENV = "CXRKIT_PACS_TOKEN", "CXRKIT_PACS_USER", "CXRKIT_PACS_PASSWORD"
#: Original transfer syntax: the PACS must not transcode (pixels arrive as they were stored).
INSTANCE_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*'
# httpx logs each request's URL at INFO, and a QIDO URL holds an accession number.
logging.getLogger("httpx").setLevel(logging.WARNING)
_STUDY_UID, _SERIES_UID, _SOP_UID, _MODALITY = "0020000D", "0020000E", "00080018", "00080060"


def auth_from_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The ``Authorization`` header the environment asks for (none if it asks for none)."""
    env = os.environ if env is None else env
    if env.get(TOKEN_ENV):
        return {"Authorization": f"Bearer {env[TOKEN_ENV]}"}
    if env.get(USER_ENV):
        pair = f"{env[USER_ENV]}:{env.get(PASSWORD_ENV, '')}".encode()
        return {"Authorization": f"Basic {base64.b64encode(pair).decode('ascii')}"}
    return {}


def boundary_of(content_type: str) -> bytes:
    """The boundary of a ``multipart/related`` content type; :class:`TransientError` if none."""
    params = dict(p.strip().split("=", 1) for p in content_type.split(";")[1:] if "=" in p)
    boundary = params.get("boundary", "").strip('"')
    if not boundary:
        raise TransientError("WADO-RS answer without a multipart boundary")
    return boundary.encode()


def iter_parts(boundary: bytes, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The bodies of a ``multipart/related`` stream (RFC 2046), each as soon as it is whole,
    headers dropped; at most one part is held in memory."""
    delimiter, buf, scanned = b"--" + boundary, bytearray(), 0
    for chunk in chunks:
        buf += chunk
        while True:
            start = buf.find(delimiter)
            if start < 0 or buf[start + len(delimiter) : start + len(delimiter) + 2] == b"--":
                break  # not started yet, or the closing delimiter
            body = buf.find(b"\r\n\r\n", start)
            if body < 0:
                break
            end = buf.find(b"\r\n" + delimiter, max(body + 4, scanned))
            if end < 0:
                scanned = max(len(buf) - len(delimiter) - 2, 0)
                break
            yield bytes(buf[body + 4 : end])
            del buf[: end + 2]
            scanned = 0


def split_multipart(content_type: str, body: bytes) -> list[bytes]:
    """The bodies of a whole ``multipart/related`` response."""
    return list(iter_parts(boundary_of(content_type), [body]))


def _sop_of(part: bytes) -> str:
    """The SOP Instance UID of a Part 10 file's bytes (its header only is read)."""
    try:
        ds = pydicom.dcmread(
            io.BytesIO(part), stop_before_pixels=True, specific_tags=["SOPInstanceUID"]
        )
        return str(ds.get("SOPInstanceUID", ""))
    except PARSER_ERRORS:
        return ""


def _untrusted(exc: BaseException) -> PacsError | None:
    """The error to stop on if ``exc`` comes of a server certificate that failed
    verification (retrying would not help), else ``None``."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return PacsError(
                "the DICOMweb service's TLS certificate could not be verified "
                f"({cause.verify_message or 'certificate verify failed'}): give the "
                "certificate authority that signed it with --ca-bundle, or use the host name "
                "the certificate names (verification cannot be turned off)"
            )
        cause = cause.__cause__ or cause.__context__
    return None


def _transient(exc: httpx.TransportError) -> PacsError | TransientError:
    """What a failed connection means: a refused certificate stops the pull, anything else
    is worth another try."""
    if isinstance(exc, httpx.TimeoutException):
        return TransientError("timeout")
    return _untrusted(exc) or TransientError(f"connection: {type(exc).__name__}")


def _value(item: dict[str, Any], tag: str) -> str:
    values = item.get(tag, {}).get("Value") or [""]
    return str(values[0])


class DicomWeb:
    """A DICOMweb service at ``url`` (its root, e.g. ``https://pacs/dicom-web``)."""

    #: a study none of which is present is one (streamed) request, the instances of a study
    #: that is partly present one request each
    split_partial_studies = True

    def __init__(self, url: str, options: Options | None = None) -> None:
        opts = options or Options()
        verify: ssl.SSLContext | bool = True
        if opts.ca_bundle is not None:
            verify = ssl.create_default_context(cafile=str(opts.ca_bundle))
        self.url = url.rstrip("/")
        self.retries, self.backoff, self.rate = opts.retries, opts.backoff, RateLimit(opts.rate)
        self.client = httpx.Client(
            headers=auth_from_env(),
            verify=verify,
            timeout=opts.timeout,
            limits=httpx.Limits(max_connections=max(opts.parallel, 1) + 1),
        )

    def close(self) -> None:
        self.client.close()

    def _get(
        self, path: str, params: dict[str, str] | None = None, accept: str = ""
    ) -> httpx.Response:
        headers = {"Accept": accept or "application/dicom+json"}

        def once() -> httpx.Response:
            self.rate.wait()
            try:
                response = self.client.get(self.url + path, params=params, headers=headers)
            except httpx.TransportError as exc:
                raise _transient(exc) from None
            if response.status_code >= 500 or response.status_code == 429:
                raise TransientError(f"HTTP {response.status_code}")
            if response.status_code in (401, 403):
                raise PacsError(
                    f"the DICOMweb service refused the request (HTTP {response.status_code}): "
                    f"set {TOKEN_ENV}, or {USER_ENV} and {PASSWORD_ENV}, to an account the "
                    "PACS administrator allowed to query and retrieve"
                )
            return response

        return retrying(once, self.retries, self.backoff)

    def _json(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        response = self._get(path, params)
        if response.status_code == 204 or not response.content:
            return []
        if response.status_code != 200:
            raise TransientError(f"QIDO-RS HTTP {response.status_code}")
        data = response.json()
        return data if isinstance(data, list) else []

    def studies(self, accession: str, modalities: tuple[str, ...]) -> list[str]:
        params = {"AccessionNumber": accession, "includefield": "ModalitiesInStudy"}
        if modalities:
            params["ModalitiesInStudy"] = ",".join(modalities)  # a QIDO-RS value list
        found = self._json("/studies", params)
        return sorted({checked_uid(_value(item, _STUDY_UID)) for item in found})

    def chest_instances(self, study_uid: str) -> dict[str, list[str]]:
        """One instance-level query (it returns each instance's series UID and modality)."""
        found = self._json(f"/studies/{study_uid}/instances")
        out: dict[str, list[str]] = {}
        for item in found:
            if _value(item, _MODALITY) in CHEST_MODALITIES:
                series = checked_uid(_value(item, _SERIES_UID))
                out.setdefault(series, []).append(checked_uid(_value(item, _SOP_UID)))
        return {series: sorted(sops) for series, sops in sorted(out.items())}

    def fetch(
        self, study_uid: str, instances: dict[str, list[str]], sink: Sink, whole: bool
    ) -> None:
        """Retrieve ``instances`` (series UID → SOP UIDs): if ``whole`` (none of the study is
        present), the whole study in one streamed request, each instance written as soon as
        it has come; then, one request each, whatever did not come."""
        arrived: set[str] = set()
        wanted = {sop for sops in instances.values() for sop in sops}
        if whole:  # on a fault, what did not come is asked for one by one, with retries
            with contextlib.suppress(TransientError):
                self._stream_study(study_uid, wanted, sink, arrived)
        faults = []
        for series_uid, sops in instances.items():
            for sop in sops:
                if sop not in arrived:
                    try:
                        self._fetch_one(study_uid, series_uid, sop, sink)
                    except TransientError as exc:  # the others are still tried
                        faults.append(exc)
        if faults:
            raise faults[0]

    def _stream_study(self, study: str, wanted: set[str], sink: Sink, arrived: set[str]) -> None:
        self.rate.wait()
        headers = {"Accept": INSTANCE_ACCEPT}
        try:
            with self.client.stream("GET", f"{self.url}/studies/{study}", headers=headers) as r:
                if r.status_code != 200:
                    raise TransientError(f"WADO-RS HTTP {r.status_code}")
                boundary = boundary_of(r.headers.get("content-type", ""))
                for part in iter_parts(boundary, r.iter_bytes()):
                    sop = _sop_of(part)
                    if sop in wanted:  # other series (not CR or DX) are dropped
                        sink(study, sop, part)
                        arrived.add(sop)
        except httpx.TransportError as exc:
            raise _transient(exc) from None

    def _fetch_one(self, study_uid: str, series_uid: str, sop: str, sink: Sink) -> None:
        path = f"/studies/{study_uid}/series/{series_uid}/instances/{sop}"
        response = self._get(path, accept=INSTANCE_ACCEPT)
        if response.status_code != 200:
            raise TransientError(f"WADO-RS HTTP {response.status_code}")
        parts = split_multipart(response.headers.get("content-type", ""), response.content)
        if len(parts) != 1:
            raise TransientError(f"WADO-RS sent {len(parts)} parts for one instance")
        sink(study_uid, sop, parts[0])
