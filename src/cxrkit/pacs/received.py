"""What ``cxrkit receive`` got of the accessions that ``SRC/reports/`` wants: the rows of
``SRC/pull-log.csv`` for a PACS that pushes, so that the build reports the same counts as after
a pull.

A push says nothing of what the PACS holds, so what arrived is read from ``SRC/dicom/`` itself
(the headers of what is there: this session's instances and any earlier ones), and the counts a
previous pull took from the PACS are kept where they say more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Set
from dataclasses import dataclass, replace
from pathlib import Path

from cxrkit.errors import NotDicomError
from cxrkit.pacs.base import CHEST_MODALITIES
from cxrkit.pacs.log import COMPLETE, FAILED, NO_CHEST, NO_STUDY, PullRecord
from cxrkit.pacs.store import PART_PREFIX
from cxrkit.sources.discover import iter_files, read_header

NOT_RECEIVED = "not received (nothing with this accession was pushed)"
NO_CHEST_RECEIVED = "no CR or DX image received"
MISSING = "instances missing after the transfer"


@dataclass(frozen=True)
class Arrival:
    """One instance in ``SRC/dicom/``, as far as the log needs it."""

    accession: str
    study_uid: str
    series_uid: str
    sop_uid: str
    chest: bool  # a CR or DX image


def scan_arrivals(dicom: Path) -> list[Arrival]:
    """Every DICOM instance under ``dicom`` (headers only; other files are skipped)."""
    found: list[Arrival] = []
    if not dicom.is_dir():
        return found
    for path in iter_files(dicom):
        if path.name.startswith(PART_PREFIX):
            continue
        try:
            ds = read_header(path)
        except NotDicomError:
            continue
        found.append(
            Arrival(
                accession=str(ds.get("AccessionNumber", "") or "").strip(),
                study_uid=str(ds.get("StudyInstanceUID", "")),
                series_uid=str(ds.get("SeriesInstanceUID", "")),
                sop_uid=str(ds.get("SOPInstanceUID", "")),
                chest=str(ds.get("Modality", "")) in CHEST_MODALITIES,
            )
        )
    return found


def _study_row(
    accession: str,
    study: str,
    arrivals: list[Arrival],
    before: PullRecord | None,
    written: Set[str],
) -> PullRecord:
    chest = {a.sop_uid for a in arrivals if a.chest}
    series = {a.series_uid for a in arrivals if a.chest}
    expected = max(len(chest), before.expected if before else 0)
    row = PullRecord(
        accession,
        True,
        study,
        series=max(len(series), before.series if before else 0),
        expected=expected,
        received=len(chest),
        fetched=len(chest & written),
    )
    if not chest:
        return replace(row, status=NO_CHEST, reason=NO_CHEST_RECEIVED)
    if len(chest) < expected:  # a pull listed more than has come
        return replace(row, status=FAILED, reason=MISSING)
    return row


def receive_records(
    wanted: Iterable[str],
    arrivals: Iterable[Arrival],
    previous: Iterable[PullRecord] = (),
    written: Set[str] = frozenset(),
) -> list[PullRecord]:
    """One row per study that arrived for a wanted accession, and one per wanted accession of
    which nothing arrived (``failed``: not received, unless a previous pull found that the PACS
    has no study or no chest images for it). ``written``: the SOP Instance UIDs that this
    session wrote. Instances of accessions that are not wanted are left out."""
    wanted = sorted(set(wanted))
    by_study: dict[tuple[str, str], list[Arrival]] = defaultdict(list)
    for arrival in arrivals:
        by_study[arrival.accession, arrival.study_uid].append(arrival)
    before: dict[str, list[PullRecord]] = defaultdict(list)
    for record in previous:
        before[record.accession].append(record)
    rows: list[PullRecord] = []
    for accession in wanted:
        studies = sorted(study for acc, study in by_study if acc == accession)
        earlier = {r.study_uid: r for r in before[accession]}
        if studies:
            rows += [
                _study_row(accession, s, by_study[accession, s], earlier.get(s), written)
                for s in studies
            ]
        elif before[accession] and all(r.status in (NO_STUDY, NO_CHEST) for r in before[accession]):
            rows += before[accession]  # the PACS has nothing to send for it
        else:
            rows.append(PullRecord(accession, status=FAILED, reason=NOT_RECEIVED))
    return rows


def arrived(records: Iterable[PullRecord]) -> tuple[int, int]:
    """Wanted accessions with a complete chest study, and the number of wanted accessions."""
    by_accession: dict[str, bool] = {}
    for record in records:
        done = record.status == COMPLETE
        by_accession[record.accession] = by_accession.get(record.accession, False) or done
    return sum(by_accession.values()), len(by_accession)
