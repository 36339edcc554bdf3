"""``cxrkit build``: the whole publisher pipeline, from a hospital export to a release.

Plan (driver: headers only, reports read, studies linked by accession, pseudonyms and shifts
assigned in the keystore) → per-image work on the executor (decode once → header → pixels →
DICOM → JPG → metadata row) → per-report work (segments → de-identified text → sections →
labels) → release assembly (record lists, split, metadata and label tables, checksums).

Every output file is written under a temporary name and renamed; every file's bytes are a
function of the input and the key only. A killed build therefore resumes by running again
(images already written are kept, everything else is rewritten identically), and a build
with more sources keeps every existing identifier, shift and split.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cxrkit.errors import ConfigError, SourceError
from cxrkit.identity.keystore import Keystore
from cxrkit.identity.source_keys import PatientKey
from cxrkit.labels.reports import label_study
from cxrkit.labels.schema import TEST_SET_FILE
from cxrkit.pacs.log import LOG_NAME, counts, read_log
from cxrkit.pipeline.environment import environment_faults, probe_writable
from cxrkit.pipeline.image_work import ImageResult, OutputOptions, Progress, run_images
from cxrkit.pipeline.link import LinkedStudy, PatientList, link, withdraw
from cxrkit.pipeline.plan import WorkItem, assign, non_chest, scan
from cxrkit.pipeline.quarantine import Quarantined, count_kinds, write_quarantine
from cxrkit.pipeline.workspace import check_trees, folders
from cxrkit.release.assemble import ReleaseContent, StudyReport, assemble
from cxrkit.release.layout import write_report
from cxrkit.release.ownership import REPORT, produced, prune, refuse_foreign
from cxrkit.release.test_set import (
    TestLabels,
    labeled_subjects,
    read_test_set,
    save_labels,
    saved_labels,
)
from cxrkit.reports import Intake, process_report, read_export_reports
from cxrkit.sources.textfile import read_text


@dataclass(frozen=True)
class BuildOptions:
    """Options of :func:`build`; see ``cxrkit build --help``."""

    workers: int | None = None
    scheduler: str | None = None
    keystore_url: str | None = None
    jpg: bool = True
    gzip: bool = False
    test_patients: Path | None = None
    validate_patients: int = 0
    withdraw: Path | None = None  # CSV of patients who opted out (patient_id [, issuer] columns)
    test_set: Path | None = None  # manual labels of released studies: their patients go to test


@dataclass(frozen=True)
class BuildSummary:
    """What a build did; safe to print (counts and reasons only)."""

    release: str
    files_seen: int
    patients: int
    studies: int
    images: int
    reports: int
    non_chest: int
    quarantined: int  # neither non-chest nor withdrawn: what sets exit status 3
    elapsed_seconds: float
    images_per_second: float
    withdrawn: int = 0  # source files and report rows of withdrawn patients
    removed_files: int = 0  # release files of an earlier build no longer produced
    removed_studies: int = 0  # of which studies (source gone, patient withdrawn)
    reasons: dict[str, int] = field(default_factory=dict)  # quarantine kind → count
    report_files: dict[str, int] = field(default_factory=dict)  # "CSV utf-8" → files read
    stage_seconds: dict[str, float] = field(default_factory=dict)  # summed over workers
    pull: dict[str, int] = field(default_factory=dict)  # SRC/pull-log.csv counts, if any
    test_set: dict[str, int] = field(default_factory=dict)  # manual labels kept, if any


@dataclass(frozen=True)
class _Inputs:
    """What is read before any image work: the reports, the ``--test-patients`` MRNs and the
    manual labels the workspace keeps (with ``--test-set``'s)."""

    intake: Intake
    tests: PatientList  # --test-patients
    labels: TestLabels = field(default_factory=dict)
    labeled: dict[str, int] = field(default_factory=dict)  # counts for the summary


ISSUER_COLUMNS = ("issuer_of_patient_id", "issuer")


def _patient_list(path: Path | None) -> PatientList:
    """The patients of a CSV with a ``patient_id`` column (``--test-patients``, ``--withdraw``;
    any text encoding), read before any image work. With an ``issuer_of_patient_id`` (or
    ``issuer``) column each row names one patient by issuer and id (an empty issuer: the
    images without one); without it, an id names the patients with that id under any issuer.
    """
    if path is None:
        return PatientList()
    try:
        text = read_text(path).text
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        fields = [f.strip() for f in reader.fieldnames or ()]
        if "patient_id" not in fields:
            raise ConfigError(f"{path} needs a header row with a patient_id column")
        reader.fieldnames = fields
        issuer = next((c for c in ISSUER_COLUMNS if c in fields), None)
        rows = [
            ((row["patient_id"] or "").strip(), (row[issuer] or "").strip() if issuer else None)
            for row in reader
        ]
    except (SourceError, csv.Error) as exc:
        raise ConfigError(f"{path} is not a CSV of patient ids ({exc})") from None
    ids = frozenset(p for p, i in rows if p and i is None)
    keys = frozenset(PatientKey(i, p) for p, i in rows if p and i is not None)
    return PatientList(ids, keys)


def _plan(
    src: Path, intake: Intake, keystore: Keystore, progress: Progress | None
) -> tuple[list[WorkItem], list[LinkedStudy], list[Quarantined], int]:
    infos, bad, seen = scan(
        src / "dicom",
        None if progress is None else (lambda d, t: progress("reading headers", d, t)),
    )
    bad += intake.quarantined
    ids, keys = keystore.withdrawn()
    infos, records, withdrawn = withdraw(
        infos, intake.reports, PatientList(frozenset(ids), frozenset(keys))
    )
    bad += withdrawn + non_chest(infos)
    linked, unlinked = link([i for i in infos if i.chest.is_chest], records)
    pixel_deny = {i.rel: s.pixel_deny() for s in linked for i in s.images}
    work, duplicates = assign([i for s in linked for i in s.images], keystore)
    work = [
        WorkItem(w.source, w.rel, w.ids, w.dicom_id, w.out_rel, pixel_deny[w.rel]) for w in work
    ]
    return work, linked, bad + unlinked + duplicates, seen


def _remember(keystore: Keystore, linked: list[LinkedStudy], work: list[WorkItem]) -> None:
    subject_of = {w.rel: w.ids.subject_id for w in work}
    known: dict[int, set[tuple[str, str]]] = {}
    for study in linked:
        r = study.report
        values = {
            ("name", r.patient_name),
            ("name", r.ordering_provider),
            ("name", r.radiologist),
            ("id", r.patient_id),
            ("id", r.accession),
            ("date", r.patient_birth_date),
        }
        for info in study.images:
            if info.rel in subject_of:
                known.setdefault(subject_of[info.rel], set()).update(values | set(info.phi))
    for subject_id, values in sorted(known.items()):
        keystore.remember_phi(subject_id, {v for v in values if v[1]})


def _reports(
    out: Path, linked: list[LinkedStudy], work: list[WorkItem], written: set[str]
) -> tuple[list[StudyReport], list[Quarantined]]:
    """Write the report of every study with an image in the release; list the others."""
    ids = {w.rel: w.ids for w in work}
    reports, left_out = [], []
    for study in linked:
        kept = [ids[i.rel] for i in study.images if i.rel in written]
        if not kept:
            r = study.report
            left_out.append(Quarantined(r.source, "report", "report-without-images", str(r.item)))
            continue
        processed = process_report(study.report.text, study.deny_list())
        write_report(out, kept[0].subject_id, kept[0].study_id, processed.text)
        labels = label_study(processed.sections.label_text)
        reports.append(StudyReport(kept[0].subject_id, kept[0].study_id, labels))
    return reports, left_out


def build(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    private: str | os.PathLike[str],
    *,
    options: BuildOptions | None = None,
    progress: Progress | None = None,
) -> BuildSummary:
    """Build (or resume, or extend) a release in ``out`` from the export in ``source``.

    ``source`` follows the source contract (``source/dicom``, ``source/reports``); ``private``
    holds the key, the keystore and the quarantine list and is never inside ``out``.
    """
    opts = options or BuildOptions()
    src, dst, ws = Path(source), Path(out), Path(private)
    check_trees(src, dst, ws)
    if not (src / "dicom").is_dir():
        raise SourceError(f"{src} has no dicom/ folder; see docs/source-contract.md")
    tests, withdrawn = _patient_list(opts.test_patients), _patient_list(opts.withdraw)
    given = read_test_set(opts.test_set) if opts.test_set is not None else {}
    named = folders(src, dst, ws)
    with environment_faults(named):
        intake = read_export_reports(src)
        keystore = Keystore.open(ws, opts.keystore_url)
        refuse_foreign(dst, ws, *keystore.released_ids())
        keystore.withdraw(withdrawn.ids, withdrawn.keys)
        probe_writable(ws, named)
        probe_writable(dst, named)
        labels, labeled = _test_set(keystore, ws, given, opts.test_set)
        inputs = _Inputs(intake, tests, labels, labeled)
        return _run(src, dst, ws, keystore, opts=opts, inputs=inputs, progress=progress)


def _test_set(
    keystore: Keystore, ws: Path, given: TestLabels, path: Path | None
) -> tuple[TestLabels, dict[str, int]]:
    """Check ``--test-set``'s studies against the keystore, keep its labels with the
    workspace's, and put every labeled patient in test; the labels and their counts."""
    if path is not None:
        labeled_subjects(keystore, given, path)  # refused before anything changes
        save_labels(ws, given)
    labels = saved_labels(ws)
    if not labels:
        return labels, {}
    subjects = labeled_subjects(keystore, labels, path or ws / TEST_SET_FILE)
    moved = keystore.move_to_test(subjects)
    return labels, {"labeled studies": len(labels), "patients": len(subjects), "moved": moved}


def _run(
    src: Path,
    dst: Path,
    ws: Path,
    keystore: Keystore,
    *,
    opts: BuildOptions,
    inputs: _Inputs,
    progress: Progress | None,
) -> BuildSummary:
    started = time.perf_counter()
    intake = inputs.intake
    timings: dict[str, float] = {}
    lap = time.perf_counter()
    work, linked, left_out, seen = _plan(src, intake, keystore, progress)
    listed = {i.rel for s in linked for i in s.images if inputs.tests.names(i)}
    _remember(keystore, linked, work)
    timings["plan"], lap = time.perf_counter() - lap, time.perf_counter()
    output = OutputOptions(str(dst), str(dst / "jpg") if opts.jpg else "", opts.gzip, True)
    results = run_images(
        work,
        output,
        workers=opts.workers or os.cpu_count() or 1,
        scheduler=opts.scheduler,
        progress=progress,
    )
    failed = [r.left_out for r in results if r.left_out is not None]
    written = {r.rel for r in results if r.out_rel}
    timings["images (wall)"], lap = time.perf_counter() - lap, time.perf_counter()
    reports, unreported = _reports(dst, linked, work, written)
    released = [r.out_rel for r in results if r.out_rel]
    in_release = {r.study_id for r in reports}
    labels = {k: v for k, v in inputs.labels.items() if k in in_release}
    keep = produced(released, [(r.subject_id, r.study_id) for r in reports], opts.jpg, bool(labels))
    removed = prune(dst, keep)
    timings["reports"], lap = time.perf_counter() - lap, time.perf_counter()
    content = ReleaseContent(
        images=[r for r in results if r.out_rel],
        reports=reports,
        test_subjects={w.ids.subject_id for w in work if w.rel in listed},
        validate_patients=opts.validate_patients,
        jpg=opts.jpg,
        test_labels=labels,
    )
    assemble(dst, keystore, content)
    timings["assemble"] = time.perf_counter() - lap
    everything = left_out + failed + unreported
    write_quarantine(ws, everything)
    elapsed = time.perf_counter() - started
    images = len(content.images)
    kinds = count_kinds(everything)
    return BuildSummary(
        release=str(dst),
        files_seen=seen,
        patients=len({r.subject_id for r in reports}),
        studies=len(reports),
        images=images,
        reports=len(reports),
        non_chest=kinds.get("not-chest", 0),
        withdrawn=kinds.get("withdrawn", 0),
        quarantined=sum(n for k, n in kinds.items() if k not in ("not-chest", "withdrawn")),
        elapsed_seconds=round(elapsed, 1),
        images_per_second=round(images / elapsed, 2),
        removed_files=len(removed),
        removed_studies=sum(1 for rel in removed if REPORT.fullmatch(rel)),
        reasons=kinds,
        report_files=dict(sorted(Counter(intake.encodings).items())),
        stage_seconds=_stage_seconds(results, timings),
        pull=counts(read_log(src)) if (src / LOG_NAME).is_file() else {},
        test_set={**inputs.labeled, "released": len(labels)} if inputs.labeled else {},
    )


def _stage_seconds(results: list[ImageResult], driver: dict[str, float]) -> dict[str, float]:
    total = dict(driver)
    for r in results:
        for stage, seconds in r.seconds.items():
            total[stage] = total.get(stage, 0.0) + seconds
    return {k: round(v, 2) for k, v in total.items()}
