"""Per-patient date shifts (S2): whole days, the first study's year moved into 2100–2200.

All of a patient's dates move by the same number of days, so intervals survive; times of day
are not touched. DICOM DA values (``YYYYMMDD``) and the date part of DT values
(``YYYYMMDDHHMMSS.FFFFFF&ZZXX``) are shifted by :func:`shift_da` and :func:`shift_dt`.
"""

from __future__ import annotations

import datetime as dt

from cxrkit.errors import SourceError
from cxrkit.identity.keys import keyed_digest

FIRST_YEAR, LAST_YEAR = 2100, 2200


def draw_shift(key: bytes, source_patient: str, first_study: dt.date) -> int:
    """Days to add to every date of a patient so that ``first_study`` lands in 2100–2200.

    The shift is a keyed function of the patient, so it is stable across runs; the target
    year is drawn in 2101–2199 and the day of year freely, so that weekday and season are lost.

    Examples
    --------
    >>> days = draw_shift(bytes(32), "MRN-1", dt.date(2012, 5, 17))
    >>> 2100 <= (dt.date(2012, 5, 17) + dt.timedelta(days=days)).year <= 2200
    True
    """
    digest = keyed_digest(key, "date-shift", source_patient)
    span_years = LAST_YEAR - FIRST_YEAR - 2
    year = FIRST_YEAR + 1 + int.from_bytes(digest[:4], "big") % (span_years + 1)
    day_of_year = int.from_bytes(digest[4:8], "big") % 365
    target = dt.date(year, 1, 1) + dt.timedelta(days=day_of_year)
    return (target - first_study).days


def shift_date(value: dt.date, days: int) -> dt.date:
    return value + dt.timedelta(days=days)


def parse_da(value: str) -> dt.date:
    """A DICOM DA value (``YYYYMMDD``, or the old ``YYYY.MM.DD``) as a date."""
    text = value.strip().replace(".", "")
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError as exc:
        raise SourceError(f"not a DICOM date (DA): {len(text)} characters") from exc


def shift_da(value: str, days: int) -> str:
    """Shift a DA value; multi-valued and range (``A-B``) forms keep their shape.

    Examples
    --------
    >>> shift_da("20150314", 31)
    '20150414'
    >>> shift_da("20150314-20150320", 1)
    '20150315-20150321'
    """
    parts = value.split("-")
    return "-".join(f"{shift_date(parse_da(p), days):%Y%m%d}" if p.strip() else p for p in parts)


def shift_dt(value: str, days: int) -> str:
    """Shift the date part of a DT value; time, fraction and offset are kept.

    Examples
    --------
    >>> shift_dt("20150314142205.000000", 2)
    '20150316142205.000000'
    >>> shift_dt("201503", 400)
    '201604'

    A DT of year or year-month precision is shifted from the first day of that period and
    keeps its precision.
    """
    text = value.strip()
    if len(text) >= 8:
        return f"{shift_date(parse_da(text[:8]), days):%Y%m%d}" + text[8:]
    if len(text) in (4, 6) and text.isdigit():
        start = parse_da(text + "0101"[len(text) - 4 :])
        return f"{shift_date(start, days):%Y%m%d}"[: len(text)]
    raise SourceError(f"not a DICOM date-time (DT): {len(text)} characters")
