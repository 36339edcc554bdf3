"""Derived views of a loaded release, as SQL that DuckDB, PostgreSQL and SQLite all run.

``studies`` (one row per study), ``study_order`` (each subject's studies in time order),
``labels_long`` (one row per study, labeler and label with a value), ``frontal`` (AP and PA
images with their split and CheXpert labels) and ``paths`` (DICOM, JPG and report paths of every
image in the release layout); ``study_admission`` when admissions are attached.
"""

from __future__ import annotations

from collections.abc import Callable

from cxrkit.db.backends import quote
from cxrkit.db.schema import bigquery_name
from cxrkit.labels.schema import LABELS

Name = Callable[[str], str]  # a table or view name → its qualified SQL name


def _views_agg(dialect: str) -> str:
    if dialect == "sqlite":
        return 'group_concat(DISTINCT "ViewPosition")'
    return 'string_agg(DISTINCT "ViewPosition", \',\' ORDER BY "ViewPosition")'


def studies_sql(t: Name, dialect: str) -> str:
    images = t("metadata")
    if dialect == "sqlite":  # group_concat follows the order of its input
        images = f'(SELECT * FROM {images} ORDER BY study_id, "ViewPosition")'
    return f"""
SELECT sl.study_id, sl.subject_id, m.study_datetime, coalesce(m.n_images, 0) AS n_images,
       m.views, sp.split, sl.path AS report_path
FROM {t("study_list")} sl
LEFT JOIN (
    SELECT study_id, min(study_datetime) AS study_datetime, count(*) AS n_images,
           {_views_agg(dialect)} AS views
    FROM {images} GROUP BY study_id
) m ON m.study_id = sl.study_id
LEFT JOIN (SELECT study_id, min(split) AS split FROM {t("split")} GROUP BY study_id) sp
    ON sp.study_id = sl.study_id"""


def study_order_sql(t: Name) -> str:
    return f"""
SELECT subject_id, study_id, study_datetime,
       row_number() OVER (
           PARTITION BY subject_id
           ORDER BY CASE WHEN study_datetime IS NULL THEN 1 ELSE 0 END, study_datetime, study_id
       ) AS study_order
FROM {t("studies")}"""


def labels_long_sql(t: Name) -> str:
    parts = [
        f"SELECT subject_id, study_id, '{labeler}' AS labeler, '{label}' AS label, "
        f"{quote(label)} AS value FROM {t(labeler)} WHERE {quote(label)} IS NOT NULL"
        for labeler in ("chexpert", "negbio")
        for label in LABELS
    ]
    return "\nUNION ALL\n".join(parts)


def frontal_sql(t: Name) -> str:
    labels = ", ".join(f"c.{quote(label)}" for label in LABELS)
    return f"""
SELECT m.dicom_id, m.subject_id, m.study_id, m."ViewPosition", m.study_datetime, sp.split,
       {labels}
FROM {t("metadata")} m
LEFT JOIN {t("split")} sp ON sp.dicom_id = m.dicom_id
LEFT JOIN {t("chexpert")} c ON c.study_id = m.study_id
WHERE m."ViewPosition" IN ('AP', 'PA')"""


def paths_sql(t: Name) -> str:
    return f"""
SELECT r.dicom_id, r.subject_id, r.study_id, r.path AS dicom_path,
       'jpg/' || replace(replace(r.path, '.dcm.gz', '.jpg'), '.dcm', '.jpg') AS jpg_path,
       sl.path AS report_path
FROM {t("record_list")} r
JOIN {t("study_list")} sl ON sl.study_id = r.study_id"""


def derived_views(t: Name, dialect: str) -> list[tuple[str, str]]:
    """(name, SELECT) of every derived view, in creation order."""
    return [
        ("studies", studies_sql(t, dialect)),
        ("study_order", study_order_sql(t)),
        ("labels_long", labels_long_sql(t)),
        ("frontal", frontal_sql(t)),
        ("paths", paths_sql(t)),
    ]


def bigquery_view_sql(source: str, columns: list[str], dialect: str) -> str:
    """A view of ``source`` whose columns carry PhysioNet BigQuery's names.

    BigQuery matches column names without regard to case, as DuckDB and SQLite do; PostgreSQL
    folds unquoted names to lower case, so there the names are made lower case.
    """

    def name(column: str) -> str:
        new = bigquery_name(column)
        return new.lower() if dialect == "postgresql" else new

    select = ", ".join(
        quote(c) if name(c) == c else f"{quote(c)} AS {quote(name(c))}" for c in columns
    )
    return f"SELECT {select} FROM {source}"


def _window(dialect: str, column: str, sign: str, seconds: int) -> str:
    if seconds == 0:
        return column
    if dialect == "sqlite":
        return f"datetime({column}, '{sign}{seconds} seconds')"
    return f"({column} {sign} INTERVAL '{seconds} seconds')"


def study_admission_sql(t: Name, dialect: str, admissions: str, tolerance_seconds: int) -> str:
    """Each study with the admission whose ``admittime ≤ study_datetime ≤ dischtime``.

    Both ends are widened by the tolerance. A study inside several admissions (overlapping
    stays, or a wide tolerance) is flagged ``ambiguous``; it is given the one it lies inside
    without the tolerance, then the latest admitted. Studies in no admission are kept with
    ``hadm_id`` NULL.
    """
    low = _window(dialect, "a.admittime", "-", tolerance_seconds)
    high = _window(dialect, "a.dischtime", "+", tolerance_seconds)
    return f"""
WITH candidates AS (
    SELECT s.study_id, a.hadm_id, a.admittime, a.dischtime,
           CASE WHEN s.study_datetime >= a.admittime AND s.study_datetime <= a.dischtime
                THEN 0 ELSE 1 END AS outside
    FROM {t("studies")} s
    JOIN {admissions} a ON a.subject_id = s.subject_id
     AND s.study_datetime >= {low} AND s.study_datetime <= {high}
), ranked AS (
    SELECT candidates.*,
           count(*) OVER (PARTITION BY study_id) AS n_candidates,
           row_number() OVER (
               PARTITION BY study_id ORDER BY outside, admittime DESC, hadm_id
           ) AS rank_in_study
    FROM candidates
)
SELECT s.study_id, s.subject_id, s.study_datetime, r.hadm_id, r.admittime, r.dischtime,
       coalesce(r.n_candidates, 0) AS n_candidates,
       CASE WHEN coalesce(r.n_candidates, 0) > 1 THEN 1 ELSE 0 END AS ambiguous
FROM {t("studies")} s
LEFT JOIN ranked r ON r.study_id = s.study_id AND r.rank_in_study = 1"""
