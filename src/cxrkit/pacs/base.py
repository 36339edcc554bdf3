"""What ``pull`` needs of a PACS, whatever the protocol; retries and the rate limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

#: Chest radiographs: computed and digital radiography (the query-time modality filter).
CHEST_MODALITIES = ("CR", "DX")
T = TypeVar("T")
#: ``sink(study_uid, sop_uid, part10_bytes)``: store one retrieved instance.
Sink = Callable[[str, str, bytes], None]


class TransientError(Exception):
    """A fault worth another try (HTTP 5xx or 429, a timeout, a dropped connection, a failed
    DIMSE sub-operation). The message is PHI-free: a status or an error kind."""


class Pacs(Protocol):
    """A PACS as ``pull`` uses it (:class:`~cxrkit.pacs.dicomweb.DicomWeb`,
    :class:`~cxrkit.pacs.dimse.Dimse`)."""

    #: a study is one fetch task, unless it is partly present and this is True: then each
    #: of its missing instances is one (DICOMweb: one request each, run in parallel)
    split_partial_studies: bool

    def studies(self, accession: str, modalities: tuple[str, ...]) -> list[str]: ...

    def chest_instances(self, study_uid: str) -> dict[str, list[str]]:
        """SOP Instance UIDs of the study's CR and DX series, by series UID."""
        ...

    def fetch(
        self, study_uid: str, instances: dict[str, list[str]], sink: Sink, whole: bool
    ) -> None:
        """Retrieve ``instances`` (series UID → SOP UIDs) into ``sink``; ``whole``: they are
        all the chest instances of the study (none of it is present)."""
        ...

    def close(self) -> None: ...


#: One study to fetch: its UID, the instances wanted (series UID → SOP UIDs), and whether they
#: are the whole study (none of it is present).
Part = tuple[str, dict[str, list[str]], bool]


@runtime_checkable
class FetchesMany(Protocol):
    """A PACS that can bring several whole studies in one request
    (:class:`~cxrkit.pacs.dimse.Dimse`: one C-GET or C-MOVE naming them all)."""

    #: at most this many studies in one call
    studies_per_fetch: int

    def fetch_many(self, parts: list[Part], sink: Sink) -> dict[str, str]:
        """Retrieve every part into ``sink``; the studies that failed, with a PHI-free
        reason."""
        ...


@dataclass(frozen=True)
class Options:
    """How to talk to the PACS, whatever the protocol."""

    parallel: int = 2  # transfers at once
    rate: float = 0.0  # at most this many requests per second (0: no limit)
    timeout: float = 60.0  # seconds without an answer before a try fails
    retries: int = 3  # further tries after a transient fault
    backoff: float = 1.0  # seconds before the first retry, doubled before each next one
    ca_bundle: Path | None = None  # DICOMweb: CA certificates to verify the server against
    calling_ae: str = "CXRKIT"  # DIMSE: our AE title
    move_port: int | None = None  # DIMSE: C-MOVE to our own storage SCP on this port


class RateLimit:
    """At most ``per_second`` starts per second across threads (0: no limit)."""

    def __init__(self, per_second: float = 0.0) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        time.sleep(max(0.0, start - now))


def retrying(call: Callable[[], T], retries: int, backoff: float) -> T:
    """``call()``, tried again up to ``retries`` times after a :class:`TransientError`, waiting
    ``backoff``, then twice that, … between tries; the last error is raised."""
    for attempt in range(retries + 1):
        try:
            return call()
        except TransientError:
            if attempt == retries:
                raise
            time.sleep(backoff * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover
