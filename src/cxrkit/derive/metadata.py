"""Metadata rows (S17): MIMIC-CXR-JPG's ``mimic-cxr-2.0.0-metadata.csv.gz`` columns.

A row is read from the *de-identified* header, so its dates are shifted. ``StudyTime`` is kept
as the DICOM TM string (``"074823"`` or ``"074823.123"``): MIMIC-CXR-JPG stores it as a float
(``74823.123``), which drops leading zeros; the string keeps them, and ``float(StudyTime)``
gives MIMIC's value back.
"""

from __future__ import annotations

from typing import Any

from pydicom.dataset import Dataset

METADATA_COLUMNS = (
    "dicom_id",
    "subject_id",
    "study_id",
    "PerformedProcedureStepDescription",
    "ViewPosition",
    "Rows",
    "Columns",
    "StudyDate",
    "StudyTime",
    "ProcedureCodeSequence_CodeMeaning",
    "ViewCodeSequence_CodeMeaning",
    "PatientOrientationCodeSequence_CodeMeaning",
)


def _first_meaning(ds: Dataset, keyword: str) -> str:
    items = ds.get(keyword) or []
    return str(items[0].get("CodeMeaning", "") or "") if len(items) else ""


def metadata_row(ds: Dataset, *, dicom_id: str, subject_id: int, study_id: int) -> dict[str, Any]:
    """The metadata row of one de-identified image.

    Examples
    --------
    >>> ds = Dataset()
    >>> ds.Rows, ds.Columns, ds.ViewPosition = 3, 4, "PA"
    >>> ds.StudyDate, ds.StudyTime = "21500101", "074823"
    >>> row = metadata_row(ds, dicom_id="d", subject_id=10000001, study_id=50000001)
    >>> row["StudyTime"], row["ViewPosition"], row["ViewCodeSequence_CodeMeaning"]
    ('074823', 'PA', '')
    """
    return {
        "dicom_id": dicom_id,
        "subject_id": subject_id,
        "study_id": study_id,
        "PerformedProcedureStepDescription": str(
            ds.get("PerformedProcedureStepDescription", "") or ""
        ),
        "ViewPosition": str(ds.get("ViewPosition", "") or ""),
        "Rows": int(ds.Rows),
        "Columns": int(ds.Columns),
        "StudyDate": str(ds.get("StudyDate", "") or ""),
        "StudyTime": str(ds.get("StudyTime", "") or ""),
        "ProcedureCodeSequence_CodeMeaning": _first_meaning(ds, "ProcedureCodeSequence"),
        "ViewCodeSequence_CodeMeaning": _first_meaning(ds, "ViewCodeSequence"),
        "PatientOrientationCodeSequence_CodeMeaning": _first_meaning(
            ds, "PatientOrientationCodeSequence"
        ),
    }
