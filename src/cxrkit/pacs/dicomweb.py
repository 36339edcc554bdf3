"""DICOMweb client: QIDO-RS to find, WADO-RS to retrieve (PS3.18), over httpx.

Authentication comes from the environment, never from the command line (it would show in
``ps``): ``CXRKIT_PACS_TOKEN`` (a bearer token) or ``CXRKIT_PACS_USER`` and
``CXRKIT_PACS_PASSWORD`` (HTTP basic). TLS certificates are verified, against the system's
authorities or a CA bundle.
"""

from __future__ import annotations

import base64
import logging
import os
import ssl
from collections.abc import Mapping
from typing import Any

import httpx

from cxrkit.errors import PacsError
from cxrkit.pacs.base import CHEST_MODALITIES, Options, RateLimit, Sink, TransientError, retrying
from cxrkit.pacs.store import checked_uid

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


def split_multipart(content_type: str, body: bytes) -> list[bytes]:
    """The bodies of a ``multipart/related`` response (RFC 2046), headers dropped."""
    params = dict(p.strip().split("=", 1) for p in content_type.split(";")[1:] if "=" in p)
    boundary = params.get("boundary", "").strip('"')
    if not boundary:
        raise TransientError("WADO-RS answer without a multipart boundary")
    parts = []
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        _head, sep, data = chunk.partition(b"\r\n\r\n")
        if sep:
            parts.append(data[:-2] if data.endswith(b"\r\n") else data)
    return parts


def _value(item: dict[str, Any], tag: str) -> str:
    values = item.get(tag, {}).get("Value") or [""]
    return str(values[0])


class DicomWeb:
    """A DICOMweb service at ``url`` (its root, e.g. ``https://pacs/dicom-web``)."""

    batch = 1

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
            except httpx.TimeoutException:
                raise TransientError("timeout") from None
            except httpx.TransportError as exc:
                raise TransientError(f"connection: {type(exc).__name__}") from None
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
        self, study_uid: str, series_uid: str, sops: list[str], sink: Sink, whole: bool
    ) -> None:
        for sop in sops:
            path = f"/studies/{study_uid}/series/{series_uid}/instances/{sop}"
            response = self._get(path, accept=INSTANCE_ACCEPT)
            if response.status_code != 200:
                raise TransientError(f"WADO-RS HTTP {response.status_code}")
            parts = split_multipart(response.headers.get("content-type", ""), response.content)
            if len(parts) != 1:
                raise TransientError(f"WADO-RS sent {len(parts)} parts for one instance")
            sink(study_uid, sop, parts[0])
