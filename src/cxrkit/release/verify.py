"""``cxrkit verify``: prove a release sound (S19, S22) — and, with the private workspace, clean.

Without the private workspace: every checksum matches and every file is listed; every path
has the release layout; the tables agree (each dicom_id of the record list ↔ a file ↔ a
metadata row ↔ a split row; each study ↔ a report; labels only for released studies;
``IMAGE_FILENAMES`` = the record list; no patient in two splits).

With it: a leak audit (:mod:`cxrkit.release.audit`) for every PHI value the crosswalk knows.
Problems are reported by kind and release path, never with the value found.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from cxrkit.labels.schema import TEST_SET_FILE
from cxrkit.release.layout import report_path
from cxrkit.release.tables import release_files, sha256_file

IMAGE_PATH = re.compile(
    r"files/p1\d/p(1\d{7})/s(5\d{7})/([0-9a-f]{8}(?:-[0-9a-f]{8}){4})\.dcm(?:\.gz)?"
)
REPORT_PATH = re.compile(r"files/p1\d/p(1\d{7})/s(5\d{7})\.txt")
JPG_PATH = re.compile(r"jpg/files/p1\d/p1\d{7}/s5\d{7}/[0-9a-f]{8}(?:-[0-9a-f]{8}){4}\.jpg")
TOP_LEVEL = {
    "README.md",
    "LICENSE",
    "IMAGE_FILENAMES",
    "cxr-record-list.csv.gz",
    "cxr-study-list.csv.gz",
    "mimic-cxr-2.0.0-metadata.csv.gz",
    "mimic-cxr-2.0.0-chexpert.csv.gz",
    "mimic-cxr-2.0.0-negbio.csv.gz",
    "mimic-cxr-2.0.0-split.csv.gz",
    TEST_SET_FILE,
}
STUDY_LIST = "cxr-study-list.csv.gz"
JPG_TOP = {f"jpg/{n}" for n in TOP_LEVEL if n.startswith("mimic-cxr-2.")}


@dataclass
class VerifyReport:
    """Problems found, by check; ``leaks`` stays ``None`` unless an audit ran."""

    files: int = 0
    problems: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    leaks: int | None = None

    def add(self, check: str, where: str) -> None:
        self.problems[check].append(where)

    @property
    def ok(self) -> bool:
        return not any(self.problems.values()) and not self.leaks


def read_table(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _checksums(root: Path, report: VerifyReport) -> None:
    listed: dict[str, str] = {}
    for line in (root / "SHA256SUMS.txt").read_text(encoding="utf-8").splitlines():
        digest, _, rel = line.partition("  ")
        listed[rel] = digest
    present = release_files(root)
    report.files = len(present)
    for rel in sorted(set(listed) - set(present)):
        report.add("listed in SHA256SUMS.txt but missing", rel)
    for rel in present:
        if rel not in listed:
            report.add("not listed in SHA256SUMS.txt", rel)
        elif sha256_file(root / rel) != listed[rel]:
            report.add("checksum mismatch", rel)


def _layout(root: Path, report: VerifyReport) -> None:
    for rel in release_files(root):
        if not (
            rel in TOP_LEVEL
            or rel in JPG_TOP
            or IMAGE_PATH.fullmatch(rel)
            or REPORT_PATH.fullmatch(rel)
            or JPG_PATH.fullmatch(rel)
        ):
            report.add("path outside the release layout", rel)


def _tables(root: Path, report: VerifyReport) -> None:
    records = read_table(root / "cxr-record-list.csv.gz")
    on_disk = {rel for rel in release_files(root) if IMAGE_PATH.fullmatch(rel)}
    listed = {r["path"] for r in records}
    for rel in sorted(on_disk ^ listed):
        report.add("image file and record list disagree", rel)
    ids = {r["dicom_id"] for r in records}
    for name in ("mimic-cxr-2.0.0-metadata.csv.gz", "mimic-cxr-2.0.0-split.csv.gz"):
        other = {r["dicom_id"] for r in read_table(root / name)}
        for dicom_id in sorted(ids ^ other):
            report.add(f"record list and {name} disagree", dicom_id)
    splits: dict[str, set[str]] = defaultdict(set)
    for row in read_table(root / "mimic-cxr-2.0.0-split.csv.gz"):
        splits[row["subject_id"]].add(row["split"])
    for subject, values in sorted(splits.items()):
        if len(values) != 1 or not values <= {"train", "validate", "test"}:
            report.add("patient in more than one split", f"p{subject}")
    _studies(root, records, report)
    _test_set(root, splits, report)
    names = (root / "IMAGE_FILENAMES").read_text(encoding="utf-8").splitlines()
    if names != [r["path"] for r in records]:
        report.add("IMAGE_FILENAMES differs from the record list", "IMAGE_FILENAMES")


def _studies(root: Path, records: list[dict[str, str]], report: VerifyReport) -> None:
    studies = {(r["subject_id"], r["study_id"]) for r in read_table(root / STUDY_LIST)}
    with_images = {(r["subject_id"], r["study_id"]) for r in records}
    for s, t in sorted(studies ^ with_images):
        report.add("study list and record list disagree", f"p{s}/s{t}")
    for s, t in sorted(studies):
        if not (root / report_path(int(s), int(t))).exists():
            report.add("study without its report", f"p{s}/s{t}")
    for name in ("mimic-cxr-2.0.0-chexpert.csv.gz", "mimic-cxr-2.0.0-negbio.csv.gz"):
        for row in read_table(root / name):
            if (row["subject_id"], row["study_id"]) not in studies:
                report.add(f"{name} labels a study not in the release", row["study_id"])


def _test_set(root: Path, splits: dict[str, set[str]], report: VerifyReport) -> None:
    """Each study of the manual labels (if any) is released, and its patient is in test."""
    for name in (TEST_SET_FILE, f"jpg/{TEST_SET_FILE}"):
        if not (root / name).is_file():
            continue
        subject_of = {r["study_id"]: r["subject_id"] for r in read_table(root / STUDY_LIST)}
        with (root / name).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                study = row["study_id"]
                if study not in subject_of:
                    report.add(f"{name} labels a study not in the release", study)
                elif splits.get(subject := subject_of[study]) != {"test"}:
                    report.add(f"{name} labels a study not in test", f"p{subject}/s{study}")


def verify(
    out: str | Path,
    private: str | Path | None = None,
    *,
    ocr: bool = True,
    workers: int | None = None,
    keystore_url: str | None = None,
) -> VerifyReport:
    """Check the release in ``out``; audit it for leaks when ``private`` is given.

    ``keystore_url`` is the PostgreSQL keystore the build used, if it used one.
    """
    root = Path(out)
    report = VerifyReport()
    if not (root / "SHA256SUMS.txt").exists():
        report.add("not a release (no SHA256SUMS.txt)", str(root.name))
        return report
    _checksums(root, report)
    _layout(root, report)
    try:
        _tables(root, report)
    except (OSError, KeyError, EOFError, gzip.BadGzipFile, csv.Error) as exc:
        report.add("a table cannot be read", type(exc).__name__)
    if private is not None:
        from cxrkit.release.audit import audit  # noqa: PLC0415 - only with a workspace

        leaks = audit(root, Path(private), ocr=ocr, workers=workers, keystore_url=keystore_url)
        report.leaks = len(leaks)
        for leak in leaks:
            report.add(f"leak: {leak.category} in {leak.place}", leak.where)
    return report
