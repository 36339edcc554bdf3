"""The database schema of a release: its tables, their typed columns, keys and indexes.

Pure descriptions, shared by the three back ends (DuckDB, PostgreSQL, SQLite). Column types are
logical: ``int`` (ids, sizes), ``float`` (labels: 1.0, 0.0, -1.0 or NULL), ``text``, ``date``
(``StudyDate``, written ``YYYYMMDD`` in the files) and ``timestamp``. ``StudyTime`` stays text,
so ``"074823"`` keeps its leading zero.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from cxrkit.derive.metadata import METADATA_COLUMNS
from cxrkit.errors import DataFileError
from cxrkit.labels.schema import LABELS

DEFAULT_SCHEMA = "mimiciv_cxr"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # int, float, text, date, timestamp


@dataclass(frozen=True)
class ForeignKey:
    column: str
    table: str
    target: str


@dataclass(frozen=True)
class TableSpec:
    """One table of a release: the file it comes from and its database shape."""

    name: str
    file_pattern: str  # glob under the release root
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[str, ...] = ()
    optional: bool = False
    derived: tuple[Column, ...] = field(default=())  # filled by the load, not in the file

    @property
    def file_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _ids(*names: str) -> tuple[Column, ...]:
    return tuple(Column(n, "int") for n in names)


_LABEL_COLUMNS = tuple(Column(name, "float") for name in LABELS)
_META_TYPES = {
    "subject_id": "int",
    "study_id": "int",
    "Rows": "int",
    "Columns": "int",
    "StudyDate": "date",
}
_TO_STUDY = ForeignKey("study_id", "study_list", "study_id")
_TO_RECORD = ForeignKey("dicom_id", "record_list", "dicom_id")

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "study_list",
        "cxr-study-list.csv.gz",
        (*_ids("subject_id", "study_id"), Column("path", "text")),
        primary_key=("study_id",),
        indexes=("subject_id",),
    ),
    TableSpec(
        "record_list",
        "cxr-record-list.csv.gz",
        (*_ids("subject_id", "study_id"), Column("dicom_id", "text"), Column("path", "text")),
        primary_key=("dicom_id",),
        foreign_keys=(_TO_STUDY,),
        indexes=("subject_id", "study_id"),
    ),
    TableSpec(
        "metadata",
        "mimic-cxr-2.0.0-metadata.csv.gz",
        tuple(Column(n, _META_TYPES.get(n, "text")) for n in METADATA_COLUMNS),
        primary_key=("dicom_id",),
        foreign_keys=(_TO_RECORD, _TO_STUDY),
        indexes=("subject_id", "study_id"),
        derived=(Column("study_datetime", "timestamp"),),
    ),
    *(
        TableSpec(
            name,
            f"mimic-cxr-2.0.0-{name}.csv.gz",
            (*_ids("subject_id", "study_id"), *_LABEL_COLUMNS),
            primary_key=("study_id",),
            foreign_keys=(_TO_STUDY,),
            indexes=("subject_id",),
        )
        for name in ("chexpert", "negbio")
    ),
    TableSpec(
        "split",
        "mimic-cxr-2.0.0-split.csv.gz",
        (Column("dicom_id", "text"), *_ids("study_id", "subject_id"), Column("split", "text")),
        primary_key=("dicom_id",),
        foreign_keys=(_TO_RECORD, _TO_STUDY),
        indexes=("subject_id", "study_id"),
    ),
    TableSpec(
        "test_set_labeled",
        "mimic-cxr-2.*-test-set-labeled.csv*",
        (*_ids("study_id"), *_LABEL_COLUMNS),
        primary_key=("study_id",),
        optional=True,
    ),
)


def table_files(release: Path) -> dict[str, Path]:
    """The file of every table present in ``release`` (optional tables may be absent)."""
    found: dict[str, Path] = {}
    for spec in TABLES:
        matches = sorted(release.glob(spec.file_pattern))
        if matches:
            found[spec.name] = matches[-1]
        elif not spec.optional:
            raise DataFileError(
                f"{release} is not a release: {spec.file_pattern} is missing "
                "(run `cxrkit build` first, or point at the release folder)"
            )
    return found


_TIME = re.compile(r"^\s*(\d{1,6})(?:\.(\d+))?\s*$")


def seconds_of_day(study_time: str | None) -> float | None:
    """Seconds since midnight of a ``StudyTime``: DICOM TM text, or MIMIC's float form.

    The integer part is zero-padded on the left to ``HHMMSS`` first, so ``"74823.0"`` (MIMIC's
    float of ``074823``) and ``"074823"`` give the same time.

    Examples
    --------
    >>> seconds_of_day("074823"), seconds_of_day("74823.0"), seconds_of_day("000001.5")
    (28103.0, 28103.0, 1.5)
    >>> seconds_of_day(""), seconds_of_day("99:99")
    (None, None)
    """
    match = _TIME.match(study_time or "")
    if not match:
        return None
    hhmmss = match.group(1).zfill(6)
    hours, minutes, seconds = int(hhmmss[:2]), int(hhmmss[2:4]), int(hhmmss[4:])
    if hours > 23 or minutes > 59 or seconds > 60:
        return None
    fraction = float("0." + match.group(2)) if match.group(2) else 0.0
    return hours * 3600 + minutes * 60 + seconds + fraction


def study_datetime(study_date: str | None, study_time: str | None) -> dt.datetime | None:
    """``StudyDate`` (``YYYYMMDD``) and ``StudyTime`` as one timestamp, or ``None``.

    Examples
    --------
    >>> study_datetime("21500314", "074823")
    datetime.datetime(2150, 3, 14, 7, 48, 23)
    >>> study_datetime("21500314", None) is None
    True
    """
    seconds = seconds_of_day(study_time)
    if not study_date or seconds is None:
        return None
    day = dt.datetime.strptime(study_date.strip(), "%Y%m%d")
    return day + dt.timedelta(seconds=seconds)


def bigquery_name(column: str) -> str:
    """The column name PhysioNet's BigQuery copy uses: spaces become underscores.

    Examples
    --------
    >>> bigquery_name("No Finding"), bigquery_name("Pleural Effusion"), bigquery_name("Edema")
    ('No_Finding', 'Pleural_Effusion', 'Edema')
    """
    return column.replace(" ", "_")
