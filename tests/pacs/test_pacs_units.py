"""The pieces of ``cxrkit.pacs`` that need no PACS."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest

from cxrkit.errors import PacsError
from cxrkit.pacs.base import Part, RateLimit, Sink, TransientError, retrying
from cxrkit.pacs.dicomweb import auth_from_env, iter_parts, split_multipart
from cxrkit.pacs.log import (
    COMPLETE,
    FAILED,
    NO_CHEST,
    NO_STUDY,
    PullRecord,
    counts,
    read_log,
    write_log,
)
from cxrkit.pacs.pull import pull
from cxrkit.pacs.received import NOT_RECEIVED, Arrival, arrived, receive_records, scan_arrivals
from cxrkit.pacs.store import checked_uid, present_instances, write_instance


def test_write_instance_is_atomic_and_never_overwrites(tmp_path: Path) -> None:
    assert write_instance(tmp_path, "1.2.3", "1.2.3.4", b"first")
    assert not write_instance(tmp_path, "1.2.3", "1.2.3.4", b"second")
    assert (tmp_path / "1.2.3" / "1.2.3.4.dcm").read_bytes() == b"first"
    assert [p.name for p in (tmp_path / "1.2.3").iterdir()] == ["1.2.3.4.dcm"]


@pytest.mark.parametrize("bad", ["../etc", "1.2/3", "", "1..2", "1.2.a", "1." + "2" * 70])
def test_a_uid_that_could_not_name_a_file_is_refused(bad: str) -> None:
    with pytest.raises(PacsError, match="malformed UID"):
        checked_uid(bad)


def test_present_instances_by_name_or_header_and_partial_files_removed(tmp_path: Path) -> None:
    import pydicom
    from pydicom.data import get_testdata_file

    write_instance(tmp_path, "1.2.3", "1.2.3.4", b"x")
    part = tmp_path / "1.2.3" / ".cxrkit-1.2.3.5.dcm.77.1.part"
    part.write_bytes(b"half")
    foreign = tmp_path / "cd-export" / "IM00001"
    foreign.parent.mkdir()
    foreign.write_bytes(Path(str(get_testdata_file("CT_small.dcm"))).read_bytes())
    (tmp_path / "notes.txt").write_text("not DICOM")
    sop = str(pydicom.dcmread(foreign).SOPInstanceUID)
    assert present_instances(tmp_path) == {"1.2.3.4", sop}
    assert not part.exists()


def test_split_multipart_returns_the_bodies() -> None:
    body = (
        b"--b1\r\nContent-Type: application/dicom\r\n\r\nONE\r\n"
        b"--b1\r\nContent-Type: application/dicom\r\n\r\nTWO\r\n--b1--\r\n"
    )
    assert split_multipart('multipart/related; type="application/dicom"; boundary=b1', body) == [
        b"ONE",
        b"TWO",
    ]
    with pytest.raises(TransientError):
        split_multipart("application/dicom", body)


def test_credentials_come_from_the_environment() -> None:
    assert auth_from_env({}) == {}
    assert auth_from_env({"CXRKIT_PACS_TOKEN": "t0k"}) == {"Authorization": "Bearer t0k"}
    basic = auth_from_env({"CXRKIT_PACS_USER": "u", "CXRKIT_PACS_PASSWORD": "p:w"})
    assert basic == {"Authorization": "Basic " + base64.b64encode(b"u:p:w").decode()}


def test_the_log_round_trips_and_counts(tmp_path: Path) -> None:
    rows = [
        PullRecord("A1", True, "1.2", 1, 2, 2, 2),
        PullRecord("A2", status=NO_STUDY, reason="no study with this accession"),
        PullRecord("A3", True, "1.3", 1, 3, 1, 1, FAILED, "HTTP 500"),
    ]
    write_log(tmp_path, rows)
    assert read_log(tmp_path) == rows
    c = counts(rows)
    assert (c[COMPLETE], c[NO_STUDY], c[FAILED]) == (1, 1, 1)
    assert (c["instances expected"], c["instances received"]) == (5, 3)


def test_rate_limit_spaces_requests_and_retrying_backs_off() -> None:
    limit = RateLimit(20)
    start = time.monotonic()
    for _ in range(5):
        limit.wait()
    assert time.monotonic() - start >= 0.19
    calls = []

    def flaky() -> str:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise TransientError("HTTP 503")
        return "ok"

    assert retrying(flaky, retries=2, backoff=0.05) == "ok"
    assert calls[2] - calls[1] >= 0.09  # doubled
    calls.clear()
    with pytest.raises(TransientError):
        retrying(flaky, retries=0, backoff=0)


class _IndexSaysChest:
    """A PACS whose study index lists DX for a study whose series hold none."""

    split_partial_studies = True

    def studies(self, accession: str, modalities: tuple[str, ...]) -> list[str]:
        return ["1.2.3"]

    def chest_instances(self, study_uid: str) -> dict[str, list[str]]:
        return {}

    def fetch(self, *args: object) -> None:
        raise AssertionError("nothing to fetch")

    def close(self) -> None:
        pass


def test_a_study_listed_as_chest_without_chest_series_is_not_complete(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "ris.csv").write_text(
        "accession_number,patient_id,report_text\nA1,P1,FINDINGS: clear.\n"
    )
    rows = pull(tmp_path, _IndexSaysChest())
    assert [(r.status, r.reason) for r in rows] == [(NO_CHEST, "no CR or DX series")]
    assert read_log(tmp_path) == rows


def test_parts_are_found_whatever_the_chunking() -> None:
    body = b"pre\r\n--b1\r\nA: 1\r\n\r\nONE\r\n--b1\r\n\r\nTWO\r\nx\r\n--b1--\r\n"
    for size in (1, 2, 3, 7, len(body)):
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        assert list(iter_parts(b"b1", chunks)) == [b"ONE", b"TWO\r\nx"]


def _arrival(accession: str, study: str, sop: str, chest: bool = True) -> Arrival:
    return Arrival(accession, study, f"{study}.1", sop, chest)


def test_receive_records_say_which_wanted_accessions_came() -> None:
    arrivals = [
        _arrival("A1", "1.1", "1.1.1.1"),
        _arrival("A1", "1.1", "1.1.1.2"),
        _arrival("A1", "1.1", "1.1.1.3", chest=False),  # a CT image in a chest study
        _arrival("A2", "1.2", "1.2.1.1", chest=False),  # only a CT came
        _arrival("A3", "1.3", "1.3.1.1"),  # a pull listed 2 instances
        _arrival("ZZ", "1.9", "1.9.1.1"),  # not wanted
    ]
    previous = [
        PullRecord("A3", True, "1.3", series=1, expected=2, received=1, status=FAILED),
        PullRecord("A4", status=NO_STUDY, reason="no study with this accession"),
    ]
    rows = receive_records(
        ["A1", "A2", "A3", "A4", "A5"], arrivals, previous, written={"1.1.1.2", "1.1.1.3"}
    )
    got = [(r.accession, r.study_uid, r.expected, r.received, r.fetched, r.status) for r in rows]
    assert got == [
        ("A1", "1.1", 2, 2, 1, COMPLETE),
        ("A2", "1.2", 0, 0, 0, NO_CHEST),
        ("A3", "1.3", 2, 1, 0, FAILED),
        ("A4", "", 0, 0, 0, NO_STUDY),  # the PACS had none: kept from the pull
        ("A5", "", 0, 0, 0, FAILED),
    ]
    assert rows[-1].reason == NOT_RECEIVED
    assert arrived(rows) == (1, 5)


def test_scan_arrivals_reads_headers_and_skips_other_files(tmp_path: Path) -> None:
    from pydicom.data import get_testdata_file

    ct = Path(str(get_testdata_file("CT_small.dcm")))
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "x.dcm").write_bytes(ct.read_bytes())
    (tmp_path / "s" / ".cxrkit-x.dcm.1.2.part").write_bytes(ct.read_bytes()[:100])
    (tmp_path / "notes.txt").write_text("not DICOM")
    [found] = scan_arrivals(tmp_path)
    assert not found.chest
    assert found.sop_uid and found.study_uid
    assert scan_arrivals(tmp_path / "missing") == []


class _FetchesMany:
    """A PACS that brings several whole studies per call; study 1.2 always fails."""

    split_partial_studies = False
    studies_per_fetch = 3

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def studies(self, accession: str, modalities: tuple[str, ...]) -> list[str]:
        return [f"1.{accession[1:]}"]

    def chest_instances(self, study_uid: str) -> dict[str, list[str]]:
        return {f"{study_uid}.1": [f"{study_uid}.1.1", f"{study_uid}.1.2"]}

    def fetch(self, *args: object) -> None:
        raise AssertionError("whole studies come through fetch_many")

    def fetch_many(self, parts: list[Part], sink: Sink) -> dict[str, str]:
        self.calls.append([study for study, _, _ in parts])
        for study, instances, _ in parts:
            for sop in (s for sops in instances.values() for s in sops if study != "1.2"):
                sink(study, sop, b"DICM")
        return {"1.2": "C-MOVE status 0xA702"} if "1.2" in self.calls[-1] else {}

    def close(self) -> None:
        pass


def test_whole_studies_go_several_to_a_call_and_failures_stay_with_their_study(
    tmp_path: Path,
) -> None:
    (tmp_path / "reports").mkdir()
    rows = [f"A{i},P{i},FINDINGS: clear." for i in range(1, 10)]
    (tmp_path / "reports" / "ris.csv").write_text(
        "accession_number,patient_id,report_text\n" + "\n".join(rows) + "\n"
    )
    pacs = _FetchesMany()
    done: list[tuple[int, int, str]] = []
    log = pull(tmp_path, pacs, parallel=1, progress=lambda d, t, stage: done.append((d, t, stage)))
    assert sorted(len(call) for call in pacs.calls) == [3, 3, 3]  # 9 studies, 3 at most a call
    assert sorted(s for call in pacs.calls for s in call) == [f"1.{i}" for i in range(1, 10)]
    assert [(r.study_uid, r.reason) for r in log if r.status == FAILED] == [
        ("1.2", "C-MOVE status 0xA702")
    ]
    assert [r.received for r in log] == [2, 0, 2, 2, 2, 2, 2, 2, 2]
    assert done[-1] == (9, 9, "studies")
