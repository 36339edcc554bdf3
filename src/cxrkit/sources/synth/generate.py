"""``cxrkit synth``: write a whole synthetic hospital export with its truth.

The cohort is drawn in the calling process; images are rendered by a process pool, one study
per task, each from a random generator seeded by (seed, patient, study, image), so the bytes
do not depend on the number of workers or the order in which tasks finish. Reports are
written in the calling process. Truth files are written sorted.
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import io
import itertools
import json
import os
import random
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxrkit.errors import ConfigError, OutputError
from cxrkit.labels.schema import LABELS
from cxrkit.sources.synth import ehr, ris
from cxrkit.sources.synth.cohort import Cohort, build_cohort
from cxrkit.sources.synth.dicomfiles import DIFFICULTIES, WrittenImage, write_study
from cxrkit.sources.synth.model import Study
from cxrkit.sources.synth.reports import write_report
from cxrkit.sources.synth.truth import SynthReport

LABEL_NAMES = LABELS  # truth/labels.csv columns, in MIMIC-CXR file order
SUBDIRS = ("dicom", "reports", "truth", "ehr")


@dataclass(frozen=True)
class SynthSummary:
    """Counts of what :func:`synthesize` wrote."""

    root: Path
    patients: int
    studies: int
    images: int
    broken_files: int
    non_chest_images: int
    reports: int
    csv_reports: int
    hl7_reports: int
    corrupt_reports: int
    phi_items: int
    kept_markers: int

    def as_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()}


def _prepare(root: Path, overwrite: bool) -> None:
    if root.exists() and not root.is_dir():
        raise OutputError(f"{root} exists and is not a folder; choose another destination")
    if root.exists() and any(root.iterdir()):
        if not overwrite:
            raise OutputError(
                f"{root} is not empty; choose a new folder or pass --overwrite to replace "
                "its dicom/, reports/ and truth/ folders"
            )
        for sub in SUBDIRS:
            shutil.rmtree(root / sub, ignore_errors=True)
    for sub in SUBDIRS:
        (root / sub).mkdir(parents=True, exist_ok=True)


def _render_images(
    root: Path,
    cohort: Cohort,
    workers: int,
    advance: Callable[[int], None],
    *,
    difficulty: str,
    full_size: bool,
) -> list[WrittenImage]:
    studies = [s for s in cohort.studies if s.images]
    results: dict[tuple[int, int], list[WrittenImage]] = {}
    if workers <= 1:
        for s in studies:
            key = (s.patient.index, s.index)
            results[key] = write_study(root, s, cohort.seed, difficulty, full_size)
            advance(len(s.images))
    else:
        with cf.ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {
                pool.submit(write_study, root, s, cohort.seed, difficulty, full_size): s
                for s in studies
            }
            for fut in cf.as_completed(futures):
                s = futures[fut]
                results[(s.patient.index, s.index)] = fut.result()
                advance(len(s.images))
    return [w for key in sorted(results) for w in results[key]]


def _style(style: str, seed: int, study: Study) -> str:
    """The report style of ``study``: ``mixed`` draws classic or faker per study."""
    if style != "mixed":
        return style
    draw = random.Random(f"cxrkit-report-style-{seed}-{study.patient.index}-{study.index}")
    return "faker" if draw.random() < 0.5 else "classic"


def _reports(cohort: Cohort, style: str = "classic") -> list[tuple[Study, SynthReport]]:
    out = []
    for study in cohort.studies:
        if study.has_report:
            rng = random.Random(f"cxrkit-report-{cohort.seed}-{study.patient.index}-{study.index}")
            report = write_report(study, rng, _style(style, cohort.seed, study))
            out.append((study, report))
    return out


def _ris_files(reports: list[tuple[Study, SynthReport]]) -> list[ris.RisFile]:
    ordered = sorted(reports, key=lambda sr: (sr[0].when, sr[0].accession))
    early = [
        sr for sr in ordered if sr[0].report_form == "csv" and sr[0].when.year < ris.SPLIT_YEAR
    ]
    late = [
        sr for sr in ordered if sr[0].report_form == "csv" and sr[0].when.year >= ris.SPLIT_YEAR
    ]
    hl7 = [sr for sr in ordered if sr[0].report_form == "hl7"]
    files = [
        ris.write_csv(f"reports/ris_export_before_{ris.SPLIT_YEAR}.csv", early),
        ris.write_csv(f"reports/ris_export_from_{ris.SPLIT_YEAR}.csv", late),
    ]
    # Files of two, one and three messages in turn; the first file's second message is corrupt.
    batches, start = [], 0
    for size in itertools.cycle((2, 1, 3)):
        if start >= len(hl7):
            break
        batches.append(hl7[start : start + size])
        start += size
    for k, batch in enumerate(batches):
        files.append(
            ris.write_hl7(
                f"reports/hl7/oru_batch_{k + 1:03d}.hl7",
                batch,
                corrupt_last=k == 0 and len(batch) > 1,
            )
        )
    return files


def _jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")
            n += 1
    return n


def _csv(path: Path, columns: list[str], rows: Iterable[dict[str, Any]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")


def _label_value(v: float | None) -> str:
    return "" if v is None else f"{v:.1f}"


def _study_rows(
    cohort: Cohort, report_files: dict[str, str], corrupt: set[str]
) -> Iterable[dict[str, Any]]:
    for s in cohort.studies:
        status = "none" if not s.has_report else ("corrupt" if s.accession in corrupt else "ok")
        yield {
            "patient_index": s.patient.index,
            "mrn": s.patient.mrn,
            "accession": s.accession,
            "study_instance_uid": s.study_instance_uid,
            "study_datetime": s.when.isoformat(timespec="seconds"),
            "exam_code": s.exam.code,
            "exam_name": s.exam.name,
            "body_part": s.exam.body_part,
            "chest": s.exam.is_chest,
            "images": len(s.images),
            "report_form": s.report_form,
            "report_file": report_files.get(s.accession, ""),
            "report_status": status,
        }


def _write_truth(
    root: Path,
    cohort: Cohort,
    images: list[WrittenImage],
    reports: list[tuple[Study, SynthReport]],
    files: list[ris.RisFile],
) -> int:
    truth = root / "truth"
    report_files: dict[str, str] = {}
    for f in files:
        for item in f.phi:
            if item["where"] in ("csv", "hl7", "report"):
                report_files.setdefault(str(item.get("accession", "")), f.file)
    corrupt = {a for f in files for a in f.corrupt_accessions}
    for f in files:
        for a in f.corrupt_accessions:
            report_files[a] = f.file
    phi_rows = [item for w in images for item in w.phi] + [i for f in files for i in f.phi]
    n_phi = _jsonl(truth / "phi.jsonl", phi_rows)
    _jsonl(truth / "markers.jsonl", (m for w in images for m in w.markers))
    _csv(truth / "images.csv", list(images[0].row) if images else ["file"], (w.row for w in images))
    _csv(
        truth / "studies.csv",
        list(next(iter(_study_rows(cohort, {}, set()))).keys()),
        _study_rows(cohort, report_files, corrupt),
    )
    _csv(
        truth / "labels.csv",
        ["accession", "label_section", *LABEL_NAMES],
        (
            {
                "accession": s.accession,
                "label_section": r.label_section,
                **{k: _label_value(r.labels.get(k)) for k in LABEL_NAMES},
            }
            for s, r in reports
        ),
    )
    _jsonl(
        truth / "sections.jsonl",
        (
            {"accession": s.accession, "label_section": r.label_section, "sections": r.sections}
            for s, r in reports
        ),
    )
    return n_phi


def _write_ehr(root: Path, cohort: Cohort) -> None:
    """The synthetic EHR and its truth (its own random generator: nothing else changes)."""
    stays = ehr.admissions(cohort)
    _csv(root / "ehr" / "admissions.csv", list(ehr.ADMISSION_COLUMNS), ehr.admission_rows(stays))
    _csv(
        root / "truth" / "study_admissions.csv",
        ["accession", "mrn", "hadm_id"],
        ehr.truth_rows(cohort, stays),
    )


def _summary(
    root: Path, cohort: Cohort, images: list[WrittenImage], files: list[ris.RisFile], n_phi: int
) -> SynthSummary:
    reports = [s for s in cohort.studies if s.has_report]
    return SynthSummary(
        root=root,
        patients=len(cohort.patients),
        studies=len(cohort.studies),
        images=sum(1 for w in images if not w.row["broken"]),
        broken_files=sum(1 for w in images if w.row["broken"]),
        non_chest_images=sum(1 for w in images if not w.row["chest"]),
        reports=len(reports),
        csv_reports=sum(1 for s in reports if s.report_form == "csv"),
        hl7_reports=sum(1 for s in reports if s.report_form == "hl7"),
        corrupt_reports=sum(len(f.corrupt_accessions) for f in files),
        phi_items=n_phi,
        kept_markers=sum(len(w.markers) for w in images),
    )


def synthesize(
    root: str | os.PathLike[str],
    *,
    patients: int,
    seed: int,
    workers: int | None = None,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
    difficulty: str = "classic",
    report_style: str = "classic",
    full_size: bool = False,
) -> SynthSummary:
    """Write a synthetic hospital export under ``root``: ``dicom/``, ``reports/``, ``truth/``.

    Parameters
    ----------
    root
        Destination folder; created if missing; must be empty unless ``overwrite``.
    patients
        Number of source patients (each with one to five studies over several years).
    seed
        The same seed always gives byte-identical files.
    workers
        Processes rendering images (default: the number of CPUs).
    overwrite
        Replace the ``dicom/``, ``reports/`` and ``truth/`` folders of a non-empty ``root``.
    progress
        Called as ``progress(done, total)`` in images as they are written.
    difficulty
        How burned-in text is drawn: ``"classic"`` (upright 8-connected Hershey text in the
        corners; the bytes of earlier versions), ``"hard"`` (every image drawn the hard way:
        rotated, anti-aliased, many fonts and sizes, label boxes and gradients, many date
        formats, PHI no header carries; :mod:`cxrkit.sources.synth.hardtext`) or
        ``"mixed"`` (a seeded third of the images hard, the rest classic).
    report_style
        ``"classic"`` (default), ``"faker"`` (outside names, towns, streets and
        institutions from Faker, PHI split across lines) or ``"mixed"`` (either, per study).
    full_size
        Images 2,000 to 3,000 pixels on their longer side (as a CR or DX detector reads
        out) instead of 640 to 1,024, their burned-in text larger in proportion but for the
        small hard text (9–13 pixels high at any size).

    Examples
    --------
    >>> import tempfile
    >>> summary = synthesize(tempfile.mkdtemp(), patients=2, seed=7, workers=1)
    >>> summary.patients
    2
    """
    if patients < 1:
        raise ConfigError(f"--patients must be at least 1, got {patients}")
    if difficulty not in DIFFICULTIES:
        raise ConfigError(
            f"--difficulty must be one of {', '.join(DIFFICULTIES)}, got {difficulty!r}"
        )
    if report_style not in ("classic", "faker", "mixed"):
        raise ConfigError(f"--report-style must be classic, faker or mixed, not {report_style!r}")
    path = Path(root)
    _prepare(path, overwrite)
    cohort = build_cohort(patients, seed)
    total = sum(len(s.images) for s in cohort.studies)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    n = workers or os.cpu_count() or 1
    images = _render_images(path, cohort, n, advance, difficulty=difficulty, full_size=full_size)
    reports = _reports(cohort, report_style)
    files = _ris_files(reports)
    for f in files:
        (path / f.file).parent.mkdir(parents=True, exist_ok=True)
        (path / f.file).write_bytes(f.data)
    n_phi = _write_truth(path, cohort, images, reports, files)
    _write_ehr(path, cohort)
    summary = _summary(path, cohort, images, files, n_phi)
    (path / "truth" / "manifest.json").write_text(
        json.dumps(
            {
                "seed": seed,
                "generator": "cxrkit synth",
                **summary.as_dict(),
                "root": ".",
                **({"difficulty": difficulty} if difficulty != "classic" else {}),
                **({"report_style": report_style} if report_style != "classic" else {}),
                **({"full_size": True} if full_size else {}),
            },
            indent=2,
            sort_keys=True,
        )
        + "\n",
        encoding="utf-8",
    )
    return summary
