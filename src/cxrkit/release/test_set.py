"""The manual test set (S15, S18): ``mimic-cxr-2.1.0-test-set-labeled.csv`` in a rebuild.

``cxrkit build … --test-set FILE`` takes the manual labels of released studies (``study_id``,
as ``50414267`` or ``s50414267``, and any of the 14 observations: the file ``cxrkit review
--export`` writes), finds each study's patient in the keystore (the crosswalk is authoritative:
a study id it never handed out is refused) and puts every study of those patients in the test
split; no identifier changes. The labels are kept in the private workspace, merged with those of
earlier ``--test-set`` files (a study labeled again takes its new labels), and every build
writes the rows of its released studies, in the published spelling, to the release root and
beside the JPG tables, as MIMIC-CXR-JPG carries the file.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from cxrkit.errors import ConfigError, SourceError
from cxrkit.identity.keystore import STUDY_RANGE, Keystore
from cxrkit.labels.schema import LABELS, TEST_SET_FILE, format_test_set, label_cell
from cxrkit.release.layout import write_atomic
from cxrkit.sources.textfile import read_text

#: Manual labels by released study_id: observation → cell as written (``1.0``, ``-1``, blank).
TestLabels = dict[int, dict[str, str]]
#: How many unknown study ids an error names.
SHOWN = 3


def _study_id(cell: str) -> int | None:
    digits = cell.strip().removeprefix("s")
    return int(digits) if digits.isdigit() else None


def _cells(row: dict[str, str], where: str) -> dict[str, str]:
    """A row's label cells, each checked (1, 0, -1 or blank)."""
    cells = {k: (v or "").strip() for k, v in row.items() if k != "study_id"}
    for cell in cells.values():
        try:
            label_cell(cell)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    return cells


def read_test_set(path: Path) -> TestLabels:
    """The labels of a test-set file (any text encoding; ``study_id`` and label columns only).

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("study_id,Edema\\ns50414267,-1.0\\n", encoding="utf-8")
    >>> read_test_set(p)
    {50414267: {'Edema': '-1.0'}}
    """
    try:
        reader = csv.DictReader(io.StringIO(read_text(path).text, newline=""), strict=True)
        fields = [f.strip() for f in reader.fieldnames or ()]
        reader.fieldnames = fields
        if "study_id" not in fields:
            raise ConfigError(f"{path} needs a header row with a study_id column")
        other = [f for f in fields if f != "study_id" and f not in LABELS]
        if other:
            raise ConfigError(
                f"{path}: column {other[0]!r} is not one of the 14 observations; a test-set "
                "file holds study_id and the observations only"
            )
        labels: TestLabels = {}
        for line, row in enumerate(reader, start=2):
            study = _study_id(row["study_id"] or "")
            if study is None:
                raise ConfigError(f"{path}: row {line} has no study id (50414267 or s50414267)")
            if study in labels:
                raise ConfigError(f"{path}: study {study} has two rows")
            labels[study] = _cells(row, f"{path}: row {line}")
    except (SourceError, csv.Error) as exc:
        raise ConfigError(f"{path} is not a CSV of manual labels ({exc})") from None
    return labels


def labeled_subjects(keystore: Keystore, labels: TestLabels, path: Path) -> set[int]:
    """The subject_id of every labeled study; a study the keystore never released is an error
    (only ids in the released study_id range are named: others may be source ids)."""
    found = keystore.study_subjects(labels)
    unknown = sorted(s for s in labels if s not in found)
    if unknown:
        lo, hi = STUDY_RANGE
        shown = [str(s) for s in unknown if lo <= s <= hi][:SHOWN]
        first = f"first: {', '.join(shown)}" if shown else "none is a released study_id"
        raise ConfigError(
            f"{len(unknown)} study ids of {path} are not studies of this workspace ({first}); "
            "a test-set file labels studies of this release by their released study_id"
        )
    return set(found.values())


def saved_labels(private: Path) -> TestLabels:
    """The manual labels the private workspace keeps (none before a first ``--test-set``)."""
    path = private / TEST_SET_FILE
    return read_test_set(path) if path.is_file() else {}


def save_labels(private: Path, labels: TestLabels) -> TestLabels:
    """Merge ``labels`` into the workspace's (a study's new row wins) and keep them, in the
    published spelling; return the merged labels."""
    merged = {**saved_labels(private), **labels}
    write_atomic(private / TEST_SET_FILE, format_test_set(merged))
    return merged


def write_release_labels(out: Path, labels: TestLabels, jpg: bool) -> None:
    """The labels of released studies in the release root (and ``jpg/`` with ``jpg``)."""
    data = format_test_set(labels)
    for folder in (out, out / "jpg") if jpg else (out,):
        write_atomic(folder / TEST_SET_FILE, data)
