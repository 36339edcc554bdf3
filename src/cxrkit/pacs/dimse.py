"""DIMSE client (C-FIND at study, series and image level, then C-GET, or C-MOVE to a storage
SCP that the pull runs itself) and the storage SCP of ``cxrkit receive``, over pynetdicom.

Instances are stored as they arrive (the bytes of the C-STORE, with a file meta header), in
the transfer syntax the PACS holds them in: one presentation context is proposed for each
chest storage class and transfer syntax, so the PACS never has to transcode.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from pydicom.dataset import Dataset
from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, StoragePresentationContexts, build_role, evt
from pynetdicom.association import Association
from pynetdicom.pdu import A_ASSOCIATE_RJ
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    ComputedRadiographyImageStorage,
    DigitalXRayImageStorageForPresentation,
    DigitalXRayImageStorageForProcessing,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
)

from cxrkit.errors import PacsError
from cxrkit.pacs.base import (
    CHEST_MODALITIES,
    Options,
    Part,
    RateLimit,
    Sink,
    TransientError,
    retrying,
)
from cxrkit.pacs.store import checked_uid, write_instance

CHEST_STORAGE = (
    ComputedRadiographyImageStorage,
    DigitalXRayImageStorageForPresentation,
    DigitalXRayImageStorageForProcessing,
)
#: The transfer syntaxes radiographs are stored in (uncompressed, JPEG, JPEG-LS, JPEG 2000,
#: RLE): one context each per storage class keeps the request under 128 contexts.
RETRIEVE_SYNTAXES = tuple(
    f"1.2.840.10008.1.2{tail}"
    for tail in (
        *("", ".1", ".1.99", ".2"),  # implicit, explicit, deflated, big endian
        *(".4.50", ".4.51", ".4.57", ".4.70", ".4.80", ".4.81"),  # JPEG, JPEG-LS
        *(".4.90", ".4.91", ".5"),  # JPEG 2000, RLE
    )
)
#: The largest PDU we accept (bytes; pynetdicom's default is 16 KB). The PACS sends each image
#: in PDUs of up to this size (DCMTK: up to 128 KB), and pynetdicom's per-PDU work, in pure
#: Python, is most of a transfer's CPU time. A receive limit: what we send is bounded by the PACS's.
MAX_PDU = 1 << 20
_PENDING = (0xFF00, 0xFF01)
_SUCCESS, _WARNING = 0x0000, 0xB000
logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)  # its log quotes identifiers


def _status(status: Dataset) -> int:
    if "Status" not in status:  # an empty status: the association broke or timed out
        raise TransientError("association lost or timed out")
    return int(status.Status)


def _why(rejections: list[A_ASSOCIATE_RJ]) -> str:
    """The reason an A-ASSOCIATE-RJ gives, e.g. " (called AE title not recognised)" (a code
    of the standard, never an identifier)."""
    try:
        return f" ({rejections[0].reason_str.lower()})" if rejections else ""
    except ValueError:  # a reason code outside the standard
        return ""


def _sop(event: evt.Event) -> str:
    """The SOP Instance UID a C-STORE request names."""
    return str(getattr(event.request, "AffectedSOPInstanceUID", ""))


def _no_delay(event: evt.Event) -> None:
    """Send each PDU at once (TCP_NODELAY). pynetdicom writes a DIMSE message's command and
    data set as separate PDUs; with Nagle's algorithm on, the second waits for the peer's
    delayed acknowledgement (about 40 ms on Linux), so each C-FIND, C-GET and C-STORE
    exchange would cost that wait."""
    transport = event.assoc.dul.socket
    if transport is not None and transport.socket is not None:
        transport.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


#: For every association, both as requestor and acceptor.
NO_DELAY = (evt.EVT_CONN_OPEN, _no_delay)


def _answers_to_the_caller(assoc: Association) -> None:
    """Keep the answers of the association we requested for the thread that waits for them.

    pynetdicom's reactor thread polls the association's message queue between our requests
    (to serve requests from the peer), and pauses only loosely while we send one: when the
    first answer comes at once, the reactor can take it and drop it ("unexpected C-FIND
    service message", pynetdicom issue #875). A C-FIND then misses a match without an error,
    and the pull takes a study for smaller than it is (measured against Orthanc once both
    sides sent without delay: about 1 query in 2,000 lost a match). Our associations serve
    no request of the peer's (the C-STOREs of a C-GET are taken by the C-GET's own loop), so
    the reactor's poll, the only one that does not block, is made to find nothing."""
    dimse = assoc.dimse
    get_msg = dimse.get_msg

    def callers_only(block: bool = False) -> Any:
        if not block and threading.current_thread() is assoc:
            return None, None
        return get_msg(block)

    dimse.get_msg = callers_only  # type: ignore[method-assign]


def _query(level: str, **keys: str | list[str]) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = level
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    return ds


@dataclass
class _Retriever:
    """A thread's retrieve association, and where the C-GET's C-STOREs go (the study being
    retrieved, and its sink)."""

    model: str
    assoc: Association = field(init=False)
    target: tuple[str, Sink] = ("", lambda study, sop, data: None)


class Dimse:
    """A PACS at ``host:port`` with AE title ``called``, spoken to as ``options.calling_ae``."""

    split_partial_studies = False  # a study is one request, or part of one
    studies_per_fetch = 50

    def __init__(self, called: str, host: str, port: int, options: Options | None = None) -> None:
        self.called, self.host, self.port = called, host, port
        self.opts = options or Options()
        self.rate = RateLimit(self.opts.rate)
        self._local = threading.local()  # one query and one retrieve association per thread
        self._opened: list[Association] = []  # every association kept open, to release
        self._lock = threading.Lock()
        self._sink: Sink | None = None
        self._arrived: set[str] = set()  # C-MOVE: every instance the SCP has stored
        self._only_chest: set[str] = set()  # studies whose series are all CR or DX
        self._owner: dict[str, str] = {}  # SOP Instance UID → study UID, of what is fetched
        self._scp: Any = None
        if self.opts.move_port is not None:
            self._scp = _storage_scp(
                self.opts.calling_ae,
                self.opts.move_port,
                self._moved,
                CHEST_STORAGE,
                study_of=self._owner.get,
            )

    def _ae(self) -> AE:
        ae = AE(ae_title=self.opts.calling_ae)
        for name in ("acse_timeout", "dimse_timeout", "network_timeout", "connection_timeout"):
            setattr(ae, name, self.opts.timeout)
        return ae

    def _associate(self, ae: AE, **kwargs: Any) -> Association:
        """An established association, else :class:`PacsError` saying why.

        A rejection is told by the A-ASSOCIATE-RJ PDU itself, as it arrives, not by
        pynetdicom's ``is_rejected``: pynetdicom (3.0) checks that the connection is open
        after sending the request, and when its reactor thread has already read the
        rejection and closed the connection (as it must) by then, it aborts and reports no
        rejection. The requesting thread comes late under load: about 1 refused association
        in 100 on a quiet machine, 1 in 10 with both cores busy, said "did not answer"."""
        self.rate.wait()
        rejections: list[A_ASSOCIATE_RJ] = []

        def on_pdu(event: evt.Event) -> None:
            if isinstance(event.pdu, A_ASSOCIATE_RJ):
                rejections.append(event.pdu)

        handlers = [*kwargs.get("evt_handlers", []), NO_DELAY, (evt.EVT_PDU_RECV, on_pdu)]
        kwargs["evt_handlers"] = handlers
        assoc = ae.associate(self.host, self.port, ae_title=self.called, max_pdu=MAX_PDU, **kwargs)
        if assoc.is_established:
            _answers_to_the_caller(assoc)
            return assoc
        where = f"{self.called}@{self.host}:{self.port}"
        if assoc.is_rejected or rejections:
            raise PacsError(
                f"the PACS {where} refused the association from AE {self.opts.calling_ae!r}"
                f"{_why(rejections)}: check the PACS's AE title and ask its administrator to "
                "allow this AE title from this host (query and retrieve)"
            )
        raise PacsError(
            f"the PACS {where} did not answer within {self.opts.timeout:g} s, or aborted the "
            "association (wrong host or port, a firewall, or a PACS that is down)"
        )

    def _find(self, query: Dataset) -> Iterator[Dataset]:
        finder: Association | None = getattr(self._local, "finder", None)
        if finder is None or not finder.is_established:
            ae = self._ae()
            ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
            finder = self._local.finder = self._associate(ae)
            with self._lock:
                self._opened.append(finder)
        for status, identifier in finder.send_c_find(
            query, StudyRootQueryRetrieveInformationModelFind
        ):
            code = _status(status)
            if code in _PENDING and identifier is not None:
                yield identifier
            elif code != _SUCCESS:
                raise TransientError(f"C-FIND status 0x{code:04X}")

    def _found(self, query: Dataset, keyword: str) -> list[Dataset]:
        def once() -> list[Dataset]:
            return list(self._find(query))

        found = retrying(once, self.opts.retries, self.opts.backoff)
        return [ds for ds in found if str(ds.get(keyword, ""))]

    def studies(self, accession: str, modalities: tuple[str, ...]) -> list[str]:
        query = _query(
            "STUDY",
            AccessionNumber=accession,
            StudyInstanceUID="",
            ModalitiesInStudy="\\".join(modalities),
        )
        found = self._found(query, "StudyInstanceUID")
        return sorted({checked_uid(str(ds.StudyInstanceUID)) for ds in found})

    def chest_instances(self, study_uid: str) -> dict[str, list[str]]:
        query = _query("SERIES", StudyInstanceUID=study_uid, SeriesInstanceUID="", Modality="")
        out = {}
        found = self._found(query, "SeriesInstanceUID")
        if found and all(str(s.get("Modality", "")) in CHEST_MODALITIES for s in found):
            self._only_chest.add(study_uid)
        for series in found:
            if str(series.get("Modality", "")) in CHEST_MODALITIES:
                uid = checked_uid(str(series.SeriesInstanceUID))
                query = _query(
                    "IMAGE", StudyInstanceUID=study_uid, SeriesInstanceUID=uid, SOPInstanceUID=""
                )
                found = self._found(query, "SOPInstanceUID")
                out[uid] = sorted(checked_uid(str(ds.SOPInstanceUID)) for ds in found)
        return dict(sorted(out.items()))

    def fetch(
        self, study_uid: str, instances: dict[str, list[str]], sink: Sink, whole: bool
    ) -> None:
        """Retrieve ``instances`` (series UID → SOP UIDs) of a study: :meth:`fetch_many` of
        one study; :class:`TransientError` if some did not come."""
        failed = self.fetch_many([(study_uid, instances, whole)], sink)
        if failed:
            raise TransientError(failed[study_uid])

    def fetch_many(self, parts: list[Part], sink: Sink) -> dict[str, str]:
        """Retrieve the instances of each part, first in as few requests as the standard allows
        (a list of UIDs, PS3.4 C.4.2.2.1), over this thread's association: one study-level
        C-GET (or C-MOVE) naming every whole study whose series are all CR or DX (each
        C-MOVE makes the PACS open an association to us, which costs more than a small
        study's transfer), then for each other study one series-level request naming its
        chest series if it is whole, else one image-level request per series naming its
        instances. Whatever did not come (a fault, or a PACS that honours only the first UID
        of a list) is then asked for one instance per request, again after a back-off on a
        fault. Returns the studies that failed, with the last fault."""
        arrived: set[str] = set()
        lock = threading.Lock()

        def store(study: str, sop: str, data: bytes) -> None:
            sink(study, sop, data)
            with lock:
                arrived.add(sop)

        if self._scp is not None:
            self._sink = sink  # the C-MOVE results come to the SCP, whoever asked for them
            arrived = self._arrived
        owner = {sop: s for s, inst, _ in parts for sops in inst.values() for sop in sops}
        self._owner.update(owner)
        together = [s for s, _, whole in parts if whole and s in self._only_chest]
        if len(together) > 1:

            def to_owner(study: str, sop: str, data: bytes) -> None:
                if sop in owner:  # not one that came into the PACS after the query
                    store(owner[sop], sop, data)

            with contextlib.suppress(TransientError):  # what did not come is asked for below
                self._retrieve("", [_query("STUDY", StudyInstanceUID=together)], to_owner)
        else:
            together = []
        failed = {}
        for study_uid, instances, whole in parts:
            first = study_uid not in together
            try:
                self._fetch_study(
                    study_uid, instances, whole, first=first, store=store, arrived=arrived
                )
            except TransientError as exc:
                failed[study_uid] = str(exc)
        return failed

    def _fetch_study(
        self,
        study_uid: str,
        instances: dict[str, list[str]],
        whole: bool,
        *,
        first: bool,
        store: Sink,
        arrived: set[str],
    ) -> None:
        """One study's instances. If ``first``: one series-level request naming all its
        series if ``whole``, else one image-level request per series. Then each instance
        that has not ``arrived`` in a request of its own (with retries)."""
        study = {"StudyInstanceUID": study_uid}
        if first and whole:
            queries = [_query("SERIES", **study, SeriesInstanceUID=list(instances))]
        else:
            queries = [
                _query("IMAGE", **study, SeriesInstanceUID=series, SOPInstanceUID=sops)
                for series, sops in instances.items()
                if sops and first
            ]
        if queries:
            with contextlib.suppress(TransientError):  # what did not come is asked for below
                self._retrieve(study_uid, queries, store)

        def one_by_one() -> None:
            queries = [
                _query("IMAGE", **study, SeriesInstanceUID=series, SOPInstanceUID=sop)
                for series, sops in instances.items()
                for sop in sops
                if sop not in arrived
            ]
            if queries:
                self._retrieve(study_uid, queries, store)

        retrying(one_by_one, self.opts.retries, self.opts.backoff)

    def _retrieve(self, study: str, queries: list[Dataset], store: Sink) -> None:
        """Send each C-GET (or C-MOVE) of ``queries`` over this thread's retrieve association.

        The association stays open for the thread's next study: opening and releasing one
        cost about as much as retrieving a study of two images (C-GET of 58 studies in two
        threads: 1.9 s with one association per study, 0.8–1.0 s with one per thread).
        After any fault it is closed, and the next try opens a new one."""
        retriever = self._retriever()
        retriever.target = (study, store)
        assoc = retriever.assoc
        moving = self._scp is not None
        model = retriever.model
        try:
            for query in queries:
                self.rate.wait()
                if moving:
                    answers = assoc.send_c_move(query, self.opts.calling_ae, model)
                else:
                    answers = assoc.send_c_get(query, model)
                codes = [_status(status) for status, _ in answers]
                if codes[-1] not in (_SUCCESS,):
                    raise TransientError(
                        f"C-{'MOVE' if moving else 'GET'} status 0x{codes[-1]:04X}"
                    )
        except BaseException:
            self._local.retriever = None
            if assoc.is_established:
                assoc.abort()
            raise

    def _retriever(self) -> _Retriever:
        """This thread's retrieve association, opened if it has none (or it was closed)."""
        retriever: _Retriever | None = getattr(self._local, "retriever", None)
        if retriever is not None and retriever.assoc.is_established:
            return retriever
        ae = self._ae()
        moving = self._scp is not None
        model = (
            StudyRootQueryRetrieveInformationModelMove
            if moving
            else StudyRootQueryRetrieveInformationModelGet
        )
        ae.add_requested_context(model)
        holder = _Retriever(model)
        handlers = []
        roles = []
        if not moving:
            for sop_class in CHEST_STORAGE:
                for syntax in RETRIEVE_SYNTAXES:
                    ae.add_requested_context(sop_class, syntax)
                roles.append(build_role(sop_class, scp_role=True))

            def on_store(event: evt.Event) -> int:
                study, store = holder.target
                store(study, _sop(event), event.encoded_dataset())
                return _SUCCESS

            handlers.append((evt.EVT_C_STORE, on_store))
        holder.assoc = self._associate(ae, ext_neg=roles, evt_handlers=handlers)
        self._local.retriever = holder
        with self._lock:
            self._opened.append(holder.assoc)
        return holder

    def _moved(self, study_uid: str, sop_uid: str, data: bytes) -> None:
        if self._sink is not None:
            self._sink(study_uid, sop_uid, data)
        self._arrived.add(sop_uid)  # set.add is atomic

    def close(self) -> None:
        for assoc in self._opened:
            if assoc.is_established:
                assoc.release()
        if self._scp is not None:
            _stop(self._scp)


def _stop(server: Any) -> None:
    """Stop a storage SCP at once. Its accept loop (socketserver's) looks for the stop request
    between waits of 0.5 s for a connection: one more connection wakes it, where a pull spent
    that half second idle at its end."""
    stopper = threading.Thread(target=server.shutdown)
    stopper.start()
    port = server.server_address[1]
    while stopper.is_alive():
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        stopper.join(0.01)


StoreTo = Any  # Callable[[str, str, bytes], None]


def _storage_scp(
    ae_title: str,
    port: int,
    sink: StoreTo,
    classes: tuple[str, ...] = (),
    *,
    seen: Callable[[Dataset], None] | None = None,
    study_of: Callable[[str], str | None] = lambda sop: None,
) -> Any:
    """A C-STORE SCP on ``port`` answering as ``ae_title``, for the storage SOP ``classes``
    (default: every storage class), in any transfer syntax; each instance goes to
    ``sink(study_uid, sop_uid, part10_bytes)``, then its data set to ``seen``. Returns the
    running server.

    The study is ``study_of(sop_uid)`` where it knows it, else read from the data set: decoding
    a radiograph's data set took about 4 ms, a quarter of the C-MOVE pull's own work per image.

    pynetdicom copies the accepted contexts for every association, and a PACS opens one
    association per C-MOVE: the pull's SCP accepts the chest classes only (3 contexts instead
    of about 150; a C-MOVE pull of 19 studies took 0.9 s of CPU instead of 2.2 s)."""
    ae = AE(ae_title=ae_title)
    ae.maximum_pdu_size = MAX_PDU
    ae.add_supported_context(Verification)  # so that the PACS administrator can C-ECHO us
    storage = classes or [str(c.abstract_syntax) for c in StoragePresentationContexts]
    for sop_class in storage:
        ae.add_supported_context(sop_class, ALL_TRANSFER_SYNTAXES)

    def on_store(event: evt.Event) -> int:
        try:
            sop = _sop(event)
            study = study_of(sop) or str(event.dataset.StudyInstanceUID)
            sink(study, sop, event.encoded_dataset())
        except (PacsError, AttributeError, OSError):
            return 0xA700  # out of resources / cannot store: the sender reports it
        if seen is not None:
            seen(event.dataset)
        return _SUCCESS

    try:
        return ae.start_server(
            ("", port), block=False, evt_handlers=[(evt.EVT_C_STORE, on_store), NO_DELAY]
        )
    except OSError as exc:
        raise PacsError(f"cannot listen on port {port} ({exc.strerror or exc})") from None


@dataclass
class Stored:
    """What ``receive`` stored: instances written and ignored, the SOP Instance UIDs it
    wrote, and the accessions of the CR and DX images that came."""

    written: int = 0
    duplicates: int = 0
    new: set[str] = field(default_factory=set)
    chest_accessions: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def serve_until_stopped(
    dicom: Path,
    ae_title: str,
    port: int,
    *,
    stop: threading.Event | None = None,
    until: frozenset[str] = frozenset(),
    have: frozenset[str] = frozenset(),
) -> Stored:
    """``cxrkit receive``: store what is pushed under ``dicom`` until SIGINT or SIGTERM (or
    ``stop`` is set), or, if ``until`` names accessions, until a CR or DX image of each has come
    (``have``: those that came before); returns the counts."""
    stored = Stored(chest_accessions=set(have))
    stop = stop or threading.Event()

    def sink(study: str, sop: str, data: bytes) -> None:
        new = write_instance(dicom, study, sop, data)
        with stored.lock:
            stored.written += new
            stored.duplicates += not new
            if new:
                stored.new.add(sop)

    def seen(ds: Dataset) -> None:
        if str(ds.get("Modality", "")) not in CHEST_MODALITIES:
            return
        with stored.lock:
            stored.chest_accessions.add(str(ds.get("AccessionNumber", "") or "").strip())
            if until and until <= stored.chest_accessions:
                stop.set()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if until and until <= stored.chest_accessions:
        return stored
    server = _storage_scp(ae_title, port, sink, seen=seen)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, on_signal)
    try:
        while not stop.wait(0.2):
            pass
    finally:
        _stop(server)
    return stored
