"""The identifying attributes of a DICOM header, as deny-list values (S10).

Reads only what is there; every attribute is optional. Values are gathered from the top
level, the Request Attributes Sequence and private elements of VR PN.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

__all__ = ["dicom_values"]

_NAMES = (
    "PatientName",
    "PatientMotherBirthName",
    "PatientBirthName",
    "OtherPatientNames",
    "ReferringPhysicianName",
    "NameOfPhysiciansReadingStudy",
    "PerformingPhysicianName",
    "OperatorsName",
    "PhysiciansOfRecord",
    "RequestingPhysician",
    "ResponsiblePerson",
)
_IDS = (
    "PatientID",
    "OtherPatientIDs",
    "AccessionNumber",
    "StudyID",
    "StationName",
    "DeviceSerialNumber",
    "IssuerOfPatientID",
    "RequestedProcedureID",
    "PerformedProcedureStepID",
)
_DATES = ("PatientBirthDate", "StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate")
_PLACES = ("InstitutionName", "InstitutionAddress", "PatientAddress", "IssuerOfPatientID")
_PHONES = ("PatientTelephoneNumbers",)


def _strings(ds: Any, keyword: str) -> list[str]:
    value = ds.get(keyword)
    if value is None or value == "":
        return []
    items = (
        value
        if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue"
        else [value]
    )
    return [str(v) for v in items if str(v).strip()]


def _date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text[:8], "%Y%m%d").date()
    except ValueError:
        return None


def dicom_values(ds: Any) -> dict[str, tuple[Any, ...]]:
    """The deny-list fields (``names``, ``identifiers``, ``dates``, ``places``, ``phones``).

    Examples
    --------
    >>> from pydicom import Dataset
    >>> ds = Dataset()
    >>> ds.PatientBirthDate, ds.InstitutionName = "19440706", "Mercy Valley Hospital"
    >>> values = dicom_values(ds)
    >>> values["dates"], values["places"]
    ((datetime.date(1944, 7, 6),), ('Mercy Valley Hospital',))
    """
    datasets = [ds, *ds.get("RequestAttributesSequence", [])]
    names = [v for d in datasets for k in _NAMES for v in _strings(d, k)]
    names += [str(e.value) for e in ds if e.tag.is_private and e.VR == "PN" and e.value]
    dates = [_date(v) for k in _DATES for v in _strings(ds, k)]
    return {
        "names": tuple(names),
        "identifiers": tuple(v for d in datasets for k in _IDS for v in _strings(d, k)),
        "dates": tuple(d for d in dates if d is not None),
        "places": tuple(v for k in _PLACES for v in _strings(ds, k)),
        "phones": tuple(v for k in _PHONES for v in _strings(ds, k)),
    }
