"""``cxrkit pull --dimse`` (C-FIND, C-GET, C-MOVE) against a real Orthanc, and its faults."""

from __future__ import annotations

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
from helpers import TcpLink, expected_instances, pulled_instances, tree
from pacs_server import ORTHANC_AE, PULL_AE, Orthanc, free_port
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pynetdicom import AE
from pynetdicom.acse import ACSE
from pynetdicom.association import Association
from pynetdicom.dimse_primitives import C_FIND
from pynetdicom.events import Event
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    ComputedRadiographyImageStorage,
    CTImageStorage,
    Verification,
)

from cxrkit.cli import main
from cxrkit.pacs import pull as pull_module
from cxrkit.pacs.base import CHEST_MODALITIES, Options, Sink
from cxrkit.pacs.dimse import MAX_PDU, Dimse
from cxrkit.pacs.log import COMPLETE, FAILED, read_log
from cxrkit.pacs.store import write_instance
from cxrkit.sources.synth import SynthSummary


def _pull(src: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["pull", str(src), "-q", "--calling-ae", PULL_AE, *args])
    return result.exit_code, result.output


@pytest.mark.parametrize("how", ["c-get", "c-move"])
def test_dimse_pull_brings_every_chest_instance(
    how: str, orthanc: Orthanc, pacs_export: SynthSummary, src: Path
) -> None:
    move = ["--move-port", str(orthanc.move_port)] if how == "c-move" else []
    code, out = _pull(src, "--dimse", orthanc.dimse, *move)
    assert code == 0, out
    assert pulled_instances(src) == expected_instances(pacs_export.root, src)
    assert not [r for r in read_log(src) if r.status == FAILED]
    code, out = _pull(src, "--dimse", orthanc.dimse, *move)
    assert code == 0, out
    assert "instances fetched by this run: 0\n" in out
    # a study partly present: only its missing instance is asked for, one C-GET / C-MOVE
    whole = tree(src)
    studies = [s for s in (src / "dicom").iterdir() if len(list(s.iterdir())) > 1]
    next(studies[0].iterdir()).unlink()
    code, out = _pull(src, "--dimse", orthanc.dimse, *move)
    assert code == 0, out
    assert "instances fetched by this run: 1\n" in out
    assert tree(src) == whole


def test_a_refused_association_stops_the_pull_with_a_clear_error(
    orthanc: Orthanc, src: Path
) -> None:
    code, out = _pull(src, "--dimse", f"NOTTHEPACS@127.0.0.1:{orthanc.dicom_port}")
    assert code == 8
    assert "refused the association from AE 'CXRKIT'" in out
    assert not (src / "dicom").exists()


def test_a_rejection_read_before_the_requestor_looks_is_still_a_refusal(
    orthanc: Orthanc, src: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pynetdicom's requesting thread checks that the connection is open after sending the
    A-ASSOCIATE-RQ; when its reactor thread has read the PACS's A-ASSOCIATE-RJ and closed the
    connection first (a loaded machine), it aborts and reports no rejection, and the pull
    said "did not answer within 60 s". Here the requesting thread always comes late."""
    send_request = ACSE.send_request

    def late(self: ACSE) -> None:
        send_request(self)
        sock = self.socket
        assert sock is not None and sock._ready.wait(10)  # connected (or failed to)
        deadline = time.monotonic() + 10
        while sock._is_connected and time.monotonic() < deadline:
            time.sleep(0.005)  # until the reactor has read the rejection and hung up

    monkeypatch.setattr(ACSE, "send_request", late)
    code, out = _pull(src, "--dimse", f"NOTTHEPACS@127.0.0.1:{orthanc.dicom_port}")
    assert code == 8
    assert "refused the association from AE 'CXRKIT' (called ae title not recognised)" in out
    assert "did not answer" not in out


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield int(server.getsockname()[1])


def test_a_pacs_that_does_not_answer_times_out(silent_server: int, src: Path) -> None:
    code, out = _pull(src, "--dimse", f"PACS@127.0.0.1:{silent_server}", "--timeout", "0.5")
    assert code == 8
    assert "did not answer within 0.5 s" in out


def _no_delay(assoc: Association) -> bool:
    sock = assoc.dul.socket.socket  # type: ignore[union-attr]
    return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))  # type: ignore[union-attr]


def test_associations_send_without_delay_and_the_move_scp_takes_chest_classes_only(
    orthanc: Orthanc,
) -> None:
    """Nagle's algorithm held back the second PDU of each DIMSE message until the peer's
    delayed acknowledgement (~40 ms a query, a C-GET, a C-STORE); the C-MOVE SCP accepted
    every storage class, which pynetdicom copies for every association the PACS opens."""
    options = Options(calling_ae=PULL_AE, move_port=free_port())
    pacs = Dimse(ORTHANC_AE, "127.0.0.1", orthanc.dicom_port, options)
    try:
        ae = AE(ae_title=PULL_AE)
        ae.add_requested_context(Verification)
        assoc = pacs._associate(ae)  # as the queries and each C-GET associate
        assert _no_delay(assoc)
        assoc.release()
        peer = AE(ae_title="ORTHANC")
        peer.add_requested_context(Verification)
        peer.add_requested_context(CTImageStorage)
        peer.add_requested_context(ComputedRadiographyImageStorage)
        assoc = peer.associate("127.0.0.1", options.move_port or 0, ae_title=PULL_AE)
        assert assoc.is_established
        accepted = {str(c.abstract_syntax) for c in assoc.accepted_contexts}
        assert accepted == {Verification, ComputedRadiographyImageStorage}
        assert all(_no_delay(a) for a in pacs._scp.active_associations)
        assoc.release()
    finally:
        pacs.close()


def test_a_killed_dimse_pull_resumes_without_fetching_an_instance_twice(
    orthanc: Orthanc, src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(src / "reports", reference / "reports")
    assert _pull(reference, "--dimse", orthanc.dimse)[0] == 0
    want = tree(reference)
    with TcpLink(orthanc.dicom_port, delay=0.02) as link:  # about 0.5 s an image
        command = [sys.executable, "-m", "cxrkit.cli", "pull", str(src), "-q", "--parallel", "1"]
        command += ["--calling-ae", PULL_AE, "--dimse", f"{ORTHANC_AE}@127.0.0.1:{link.port}"]
        process = subprocess.Popen(command)
        deadline = time.monotonic() + 60
        while len(list((src / "dicom").rglob("*.dcm"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
    kept = {p.stem for p in (src / "dicom").rglob("*.dcm")}
    assert 3 <= len(kept) < len(want)
    arrived: list[str] = []  # every instance the PACS sends in the rerun, new or not

    def counting(dicom: Path, study: str, sop: str, data: bytes) -> bool:
        arrived.append(sop)
        return write_instance(dicom, study, sop, data)

    monkeypatch.setattr(pull_module, "write_instance", counting)
    code, out = _pull(src, "--dimse", orthanc.dimse)
    assert code == 0, out
    assert tree(src) == want  # file for file, byte for byte; no partial file left
    assert f"instances fetched by this run: {len(want) - len(kept)}\n" in out
    assert sorted(arrived) == sorted({Path(name).stem for name in want} - kept)


def test_the_reactor_thread_leaves_the_answers_to_the_caller(orthanc: Orthanc) -> None:
    """pynetdicom's reactor thread polls the message queue between our requests and dropped
    an answer that came at once (a C-FIND lost a match, about 1 query in 2,000 against
    Orthanc, without an error). An answer waiting in the queue must stay there for the
    thread that sent the request."""
    pacs = Dimse(ORTHANC_AE, "127.0.0.1", orthanc.dicom_port, Options(calling_ae=PULL_AE))
    ae = AE(ae_title=PULL_AE)
    ae.add_requested_context(Verification)
    assoc = pacs._associate(ae)
    try:
        answer = C_FIND()
        answer.MessageIDBeingRespondedTo, answer.Status = 1, 0xFF00
        assoc.dimse.msg_queue.put((1, answer))
        time.sleep(0.2)  # the reactor polls every millisecond
        assert assoc.dimse.get_msg(block=False) == (1, answer)
    finally:
        assoc.release()
        pacs.close()


def _retrieve_requests(how: str, monkeypatch: pytest.MonkeyPatch) -> list[Dataset]:
    """The identifiers of every C-GET (``how``: c-get) or C-MOVE sent, as they are sent."""
    requests: list[Dataset] = []
    send = "send_c_move" if how == "c-move" else "send_c_get"
    original = getattr(Association, send)

    def counting(self: Association, query: Dataset, *args: object) -> object:
        requests.append(query)
        return original(self, query, *args)

    monkeypatch.setattr(Association, send, counting)
    return requests


@pytest.mark.parametrize("how", ["c-get", "c-move"])
def test_one_retrieve_request_per_study(
    how: str, orthanc: Orthanc, src: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A study of several chest series comes in one C-GET / C-MOVE naming them all (the PACS
    opens an association to us for every C-MOVE); it was one request per series. (Studies
    one to a job here: several whole studies go in one study-level request, tested below.)"""
    monkeypatch.setattr(Dimse, "studies_per_fetch", 1)
    requests = _retrieve_requests(how, monkeypatch)
    move = ["--move-port", str(orthanc.move_port)] if how == "c-move" else []
    code, out = _pull(src, "--dimse", orthanc.dimse, *move)
    assert code == 0, out
    complete = [r for r in read_log(src) if r.status == COMPLETE]
    assert sum(r.series for r in complete) > len(complete)  # a study has two chest series
    assert len(requests) == len(complete)
    assert {q.QueryRetrieveLevel for q in requests} == {"SERIES"}


def _first(value: object) -> str:
    return str(value[0]) if isinstance(value, MultiValue) else str(value)


def test_what_a_list_request_did_not_bring_is_asked_for_one_by_one() -> None:
    """A PACS that honours only the first UID of a list: the rest is asked for one by one."""
    pacs = Dimse(ORTHANC_AE, "127.0.0.1", 1, Options(calling_ae=PULL_AE))
    instances = {"1.2.1": ["1.2.1.1", "1.2.1.2"], "1.2.2": ["1.2.2.1"]}
    asked: list[list[tuple[str, str]]] = []

    def first_uid_only(study: str, queries: list[Dataset], store: Sink) -> None:
        asked.append([(q.QueryRetrieveLevel, str(q.get("SOPInstanceUID", ""))) for q in queries])
        for query in queries:
            if query.QueryRetrieveLevel == "SERIES":
                for sop in instances[_first(query.SeriesInstanceUID)]:
                    store(study, sop, b"")
            else:
                store(study, _first(query.SOPInstanceUID), b"")

    pacs._retrieve = first_uid_only  # type: ignore[method-assign]
    got: list[str] = []
    pacs.fetch("1.2", instances, lambda study, sop, data: got.append(sop), whole=True)
    assert sorted(got) == ["1.2.1.1", "1.2.1.2", "1.2.2.1"]
    assert asked == [[("SERIES", "")], [("IMAGE", "1.2.2.1")]]


@pytest.mark.parametrize("how", ["c-get", "c-move"])
def test_each_thread_keeps_one_retrieve_association_for_its_studies(
    how: str, orthanc: Orthanc, src: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening and releasing an association per study cost about as much as the study's
    transfer; each thread now keeps one (and one for its queries), and receives in PDUs
    of up to MAX_PDU bytes (pynetdicom's default was 16 KB)."""
    opened: list[Association] = []
    associate = Dimse._associate

    def counting(self: Dimse, ae: AE, **kwargs: object) -> Association:
        opened.append(associate(self, ae, **kwargs))
        return opened[-1]

    monkeypatch.setattr(Dimse, "_associate", counting)
    move = ["--move-port", str(orthanc.move_port)] if how == "c-move" else []
    code, out = _pull(src, "--dimse", orthanc.dimse, "--parallel", "1", *move)
    assert code == 0, out
    assert len([r for r in read_log(src) if r.status == COMPLETE]) > 2
    assert len(opened) == 2  # the queries', then the retrievals'
    assert {a.requestor.maximum_length for a in opened} == {MAX_PDU}


def test_a_retrieve_association_the_pacs_closed_is_opened_again(orthanc: Orthanc) -> None:
    pacs = Dimse(ORTHANC_AE, "127.0.0.1", orthanc.dicom_port, Options(calling_ae=PULL_AE))
    try:
        study = sorted(pacs.studies("", CHEST_MODALITIES))[0]
        instances = pacs.chest_instances(study)
        got: list[str] = []
        pacs.fetch(study, instances, lambda study, sop, data: got.append(sop), whole=True)
        first = pacs._local.retriever.assoc
        first.abort()  # as a PACS does to an association idle for too long
        got.clear()
        pacs.fetch(study, instances, lambda study, sop, data: got.append(sop), whole=True)
        assert sorted(got) == sorted(s for sops in instances.values() for s in sops)
        assert pacs._local.retriever.assoc is not first
    finally:
        pacs.close()


def test_the_move_scp_stops_at_once() -> None:
    """socketserver's accept loop looks for a stop request every 0.5 s: closing a pull
    waited for it."""
    pacs = Dimse(ORTHANC_AE, "127.0.0.1", 1, Options(calling_ae=PULL_AE, move_port=free_port()))
    time.sleep(0.05)  # the accept loop is waiting
    start = time.monotonic()
    pacs.close()
    assert time.monotonic() - start < 0.3
    assert pacs._scp.socket.fileno() == -1  # closed


def _honouring(first_only: bool, instances: dict[str, dict[str, list[str]]]) -> object:
    """A stand-in for ``Dimse._retrieve`` over ``instances`` (study → series → SOPs), which
    honours only the first UID of a list if ``first_only``; it lists the requests."""
    asked: list[tuple[str, list[str]]] = []

    def retrieve(study: str, queries: list[Dataset], store: Sink) -> None:
        for query in queries:
            level = query.QueryRetrieveLevel
            key = {"STUDY": "StudyInstanceUID", "SERIES": "SeriesInstanceUID"}.get(
                level, "SOPInstanceUID"
            )
            value = query[key].value
            uids = list(value) if isinstance(value, MultiValue) else [str(value)]
            asked.append((level, uids))
            for uid in uids[:1] if first_only else uids:
                for st, series in instances.items():
                    for se, sops in series.items():
                        for sop in sops:
                            if uid in (st, se, sop):
                                store(st, sop, b"")

    retrieve.asked = asked  # type: ignore[attr-defined]
    return retrieve


@pytest.mark.parametrize("first_only", [False, True])
def test_whole_studies_of_chest_series_only_come_in_one_study_level_request(
    first_only: bool,
) -> None:
    """The PACS opens an association to us for every C-MOVE, which costs more than a small
    study's transfer: whole studies whose series are all CR or DX come in one request naming
    them all. A study with another series (1.3) is asked for by its chest series, a partly
    present one (1.4) by its missing instances; a PACS that honours only the first UID of a
    list still gives every instance, the rest asked for one at a time."""
    instances = {
        "1.1": {"1.1.1": ["1.1.1.1"]},
        "1.2": {"1.2.1": ["1.2.1.1", "1.2.1.2"]},
        "1.3": {"1.3.1": ["1.3.1.1"]},
        "1.4": {"1.4.1": ["1.4.1.2"]},
    }
    pacs = Dimse(ORTHANC_AE, "127.0.0.1", 1, Options(calling_ae=PULL_AE))
    pacs._only_chest.update({"1.1", "1.2", "1.4"})
    retrieve = _honouring(first_only, instances)
    pacs._retrieve = retrieve  # type: ignore[assignment]
    got: dict[str, str] = {}
    parts = [(s, series, s != "1.4") for s, series in instances.items()]
    failed = pacs.fetch_many(parts, lambda study, sop, data: got.setdefault(sop, study))
    assert failed == {}
    assert got == {sop: s for s, series in instances.items() for v in series.values() for sop in v}
    asked = retrieve.asked  # type: ignore[attr-defined]
    rest = [("IMAGE", ["1.2.1.1"]), ("IMAGE", ["1.2.1.2"])] if first_only else []
    assert asked == [
        ("STUDY", ["1.1", "1.2"]),
        *rest,
        ("SERIES", ["1.3.1"]),
        ("IMAGE", ["1.4.1.2"]),
    ]


@pytest.mark.parametrize("how", ["c-get", "c-move"])
def test_one_thread_pulls_whole_studies_several_at_a_time(
    how: str,
    orthanc: Orthanc,
    pacs_export: SynthSummary,
    src: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With one thread, the export's whole chest studies come in one request."""
    requests = _retrieve_requests(how, monkeypatch)
    move = ["--move-port", str(orthanc.move_port)] if how == "c-move" else []
    code, out = _pull(src, "--dimse", orthanc.dimse, "--parallel", "1", *move)
    assert code == 0, out
    assert pulled_instances(src) == expected_instances(pacs_export.root, src)
    complete = [r for r in read_log(src) if r.status == COMPLETE]
    assert not [r for r in read_log(src) if r.status == FAILED]
    studies = [q for q in requests if q.QueryRetrieveLevel == "STUDY"]
    assert len(studies) == 1 and len(studies[0].StudyInstanceUID) > 1
    assert len(requests) < len(complete)


def test_the_move_scp_does_not_decode_the_instances_it_asked_for(
    orthanc: Orthanc, pacs_export: SynthSummary, src: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decoding a radiograph's data set only to read its study took about 4 ms an image: the
    study of an instance the pull asked for is known."""
    decoded: list[str] = []
    dataset = Event.dataset

    def counting(event: Event) -> Dataset:
        decoded.append(str(event.request.AffectedSOPInstanceUID))
        return dataset.fget(event)  # type: ignore[attr-defined, no-any-return]

    monkeypatch.setattr(Event, "dataset", property(counting))
    code, out = _pull(src, "--dimse", orthanc.dimse, "--move-port", str(orthanc.move_port))
    assert code == 0, out
    assert pulled_instances(src) == expected_instances(pacs_export.root, src)
    assert decoded == []
