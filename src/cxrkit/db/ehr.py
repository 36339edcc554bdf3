"""``cxrkit link-ehr``: a hospital EHR extract on the pseudonyms and date shifts of a release.

The MRN column becomes ``subject_id`` (the release's, or a new one from the same space for a
patient the release does not hold, recorded in the keystore), every listed date or datetime
column moves by that patient's shift (the time of day and the text form are kept), identifier
columns are dropped or replaced by a keyed pseudonym, and any column not named is refused, so
nothing passes through by accident. Rows of withdrawn patients are left out.

Error messages name columns and row numbers, never a value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cxrkit.errors import ConfigError, DataFileError, SourceError
from cxrkit.identity.dates import shift_date
from cxrkit.identity.keys import keyed_digest
from cxrkit.identity.keystore import Keystore, PatientIdentity
from cxrkit.identity.source_keys import PatientKey

#: The first study date given to a new patient who has no date at all (as the build does).
NO_DATE = dt.date(2000, 1, 1)
_DATE = re.compile(r"^(\d{4})(-?)(\d{2})(-?)(\d{2})(.*)$", re.S)


@dataclass(frozen=True)
class LinkSpec:
    """What to do with each column of an EHR table."""

    mrn_column: str
    date_columns: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    hash: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    issuer: str | None = None

    def check(self, columns: Iterable[str]) -> None:
        """Refuse unknown, missing and twice-named columns."""
        named = [self.mrn_column, *self.date_columns, *self.drop, *self.hash, *self.keep]
        twice = sorted({c for c in named if named.count(c) > 1})
        if twice:
            raise ConfigError(f"columns named in two options: {', '.join(twice)}")
        present = list(columns)
        missing = [c for c in named if c not in present]
        if missing:
            raise ConfigError(f"columns not in the table: {', '.join(missing)}")
        if "subject_id" in present and self.mrn_column != "subject_id":
            raise ConfigError("the table already has a subject_id column; drop or rename it")
        unknown = [c for c in present if c not in named]
        if unknown:
            raise ConfigError(
                f"columns not named by any option: {', '.join(unknown)}; list each with "
                "--keep (kept as is), --hash (keyed pseudonym), --drop or --date-columns"
            )


@dataclass
class LinkSummary:
    rows: int = 0
    written: int = 0
    patients: int = 0
    new_patients: int = 0
    withdrawn_rows: int = 0
    no_mrn_rows: int = 0


def shift_text(value: str, days: int) -> str:
    """Shift the date at the start of ``value`` by ``days``; the rest of the text is kept.

    ``YYYY-MM-DD`` and ``YYYYMMDD`` starts are understood, alone or followed by a time.

    Examples
    --------
    >>> shift_text("2015-03-14 07:48:23", 31)
    '2015-04-14 07:48:23'
    >>> shift_text("20150314T0005", -14)
    '20150228T0005'
    >>> shift_text("", 5)
    ''
    """
    if not value.strip():
        return value
    match = _DATE.match(value.strip())
    if not match or match.group(2) != match.group(4):
        raise ValueError("not a date")
    year, dash, month, _, day, rest = match.groups()
    moved = shift_date(dt.date(int(year), int(month), int(day)), days)
    return f"{moved.year:04d}{dash}{moved.month:02d}{dash}{moved.day:02d}{rest}"


def _first_date(value: str) -> dt.date | None:
    match = _DATE.match(value.strip())
    if not match:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(3)), int(match.group(5)))
    except ValueError:
        return None


def pseudonym(key: bytes, value: str) -> str:
    """The keyed pseudonym of an identifier (16 hex digits); the same in every table.

    Examples
    --------
    >>> len(pseudonym(bytes(32), "ENC0001")), pseudonym(bytes(32), "")
    (16, '')
    """
    return keyed_digest(key, "ehr-id", value).hex()[:16] if value else ""


def read_table(path: Path) -> pd.DataFrame:
    """A CSV or Parquet table, every cell as text (leading zeros of MRNs kept)."""
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path).astype("string").fillna("").astype(str)
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except ImportError as exc:
        raise ConfigError(f"reading Parquet needs pyarrow: pip install pyarrow ({exc})") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        name = type(exc).__name__
        raise DataFileError(f"{path.name} cannot be read as a table ({name})") from None


def _issuer(keystore: Keystore, given: str | None) -> str:
    if given is not None:
        return given
    issuers = keystore.issuers()
    if len(issuers) > 1:
        raise ConfigError(
            f"the keystore holds MRNs of {len(issuers)} issuers; name one with --issuer"
        )
    return next(iter(issuers), "")


def identities(
    frame: pd.DataFrame, spec: LinkSpec, keystore: Keystore, summary: LinkSummary
) -> dict[str, PatientIdentity]:
    """The identity of every MRN of the table; new patients allocated in sorted MRN order."""
    issuer = _issuer(keystore, spec.issuer)
    firsts: dict[str, dt.date] = {}
    for column in spec.date_columns:
        for mrn, value in zip(frame[spec.mrn_column], frame[column], strict=True):
            day = _first_date(value)
            if day is not None and (mrn not in firsts or day < firsts[mrn]):
                firsts[mrn] = day
    before = keystore.patient_count()
    out = {
        mrn: keystore.patient(PatientKey(issuer, mrn), firsts.get(mrn, NO_DATE))
        for mrn in sorted(set(frame[spec.mrn_column]))
    }
    summary.patients = len(out)
    summary.new_patients = keystore.patient_count() - before
    return out


def pseudonymise(
    frame: pd.DataFrame, spec: LinkSpec, ids: dict[str, PatientIdentity], key: bytes
) -> pd.DataFrame:
    """The pure core: MRN → subject_id, dates shifted, identifiers hashed or dropped."""
    mrns = list(frame[spec.mrn_column])
    out = pd.DataFrame({"subject_id": [ids[m].subject_id for m in mrns]}, index=frame.index)
    shifts = [ids[m].shift_days for m in mrns]
    for column in frame.columns:
        if column == spec.mrn_column or column in spec.drop:
            continue
        values = list(frame[column])
        if column in spec.date_columns:
            out[column] = _shift_column(column, values, shifts)
        elif column in spec.hash:
            out[column] = [pseudonym(key, v) for v in values]
        else:
            out[column] = values
    return out


def _shift_column(column: str, values: list[str], shifts: list[int]) -> list[str]:
    out = []
    for row, (value, days) in enumerate(zip(values, shifts, strict=True), start=2):
        try:
            out.append(shift_text(value, days))
        except ValueError:
            raise SourceError(
                f"column {column}, line {row}: not a date (YYYY-MM-DD or YYYYMMDD, "
                "optionally followed by a time)"
            ) from None
    return out


def link_ehr(
    table: Path, private: Path, out: Path, spec: LinkSpec, keystore_url: str | None = None
) -> LinkSummary:
    """Write ``out`` (CSV, or Parquet by its suffix): ``table`` on the release's pseudonyms."""
    frame = read_table(table)
    spec.check(frame.columns)
    summary = LinkSummary(rows=len(frame))
    frame[spec.mrn_column] = frame[spec.mrn_column].str.strip()
    has_mrn = frame[spec.mrn_column] != ""
    summary.no_mrn_rows = int((~has_mrn).sum())
    keystore = Keystore.open(private, keystore_url)
    ids, keys = keystore.withdrawn()
    issuer = _issuer(keystore, spec.issuer)
    mrns = frame[spec.mrn_column]
    withdrawn = mrns.isin(ids) | mrns.map(lambda m: PatientKey(issuer, m) in keys)
    summary.withdrawn_rows = int((withdrawn & has_mrn).sum())
    frame = frame[has_mrn & ~withdrawn]
    result = pseudonymise(frame, spec, identities(frame, spec, keystore, summary), keystore.key)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        result.to_parquet(out, index=False)
    else:
        result.to_csv(out, index=False, lineterminator="\n")
    summary.written = len(result)
    return summary
