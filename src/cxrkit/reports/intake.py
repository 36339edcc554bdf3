"""RIS intake (S9, S9a): the RIS CSV, HL7 v2 ORU^R01 files, and MIMIC-style text trees.

Every reader returns an :class:`Intake`: the reports it could read and, for each item it could
not, a :class:`Quarantined` record with the file (relative to the source root), the item
(row or message number) and the reason. Bad input never stops intake. Nothing here logs or
raises with PHI: items are named by file and position only.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import hl7

from cxrkit.errors import SourceError
from cxrkit.reports.deny import DenyList

__all__ = [
    "Intake",
    "Quarantined",
    "ReportRecord",
    "read_hl7",
    "read_reports",
    "read_ris_csv",
    "read_text_tree",
]

REQUIRED_COLUMNS = ("accession_number", "patient_id", "report_text")
_TEXT_NAME = re.compile(r"^s(\d+)\.txt$")
_PATIENT_DIR = re.compile(r"^p(\d+)$")


@dataclass(frozen=True)
class ReportRecord:
    """One report as the RIS holds it, with the fields that feed its PHI deny-list.

    ``source`` is the file relative to the source root; ``item`` the 0-based data row (CSV)
    or message (HL7) in it.
    """

    accession: str
    patient_id: str
    text: str
    source: str
    item: int = 0
    study_datetime: str = ""
    exam_code: str = ""
    exam_name: str = ""
    patient_name: str = ""
    patient_birth_date: str = ""
    ordering_provider: str = ""
    radiologist: str = ""
    extra_names: tuple[str, ...] = ()
    extra_places: tuple[str, ...] = ()
    extra_phones: tuple[str, ...] = ()

    def deny_list(self) -> DenyList:
        """The PHI values this record holds, as a :class:`DenyList`.

        Examples
        --------
        >>> record = ReportRecord("A1234", "00381763", "...", "r.csv", patient_name="Hill, Rose")
        >>> record.deny_list().names
        ('Hill, Rose',)
        """
        names = (self.patient_name, self.ordering_provider, self.radiologist, *self.extra_names)
        dates = [_parse_date(v) for v in (self.patient_birth_date, self.study_datetime)]
        return DenyList(
            names=tuple(n for n in names if n),
            identifiers=tuple(v for v in (self.accession, self.patient_id) if v),
            dates=tuple(d for d in dates if d is not None),
            places=self.extra_places,
            phones=self.extra_phones,
        )


@dataclass(frozen=True)
class Quarantined:
    """An item intake could not read: where it is and why (never its content)."""

    source: str
    item: str
    reason: str


@dataclass(frozen=True)
class Intake:
    """What a reader found: readable reports and quarantined items."""

    reports: tuple[ReportRecord, ...] = ()
    quarantined: tuple[Quarantined, ...] = field(default=())

    def __add__(self, other: Intake) -> Intake:
        return Intake(self.reports + other.reports, self.quarantined + other.quarantined)


def _parse_date(value: str) -> dt.date | None:
    digits = re.sub(r"\D", "", value)[:8]
    try:
        if len(digits) != 8:
            return None
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def _relative(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.name


def read_ris_csv(path: Path, root: Path | None = None) -> Intake:
    """Reports of a RIS CSV export (UTF-8, header row, quoted multi-line cells).

    A file without the required columns raises :class:`~cxrkit.errors.SourceError`; a row
    with an empty required value is quarantined.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "r.csv").write_text('accession_number,patient_id,report_text\\nA1,P1,"x\\ny"\\n')
    >>> read_ris_csv(d / "r.csv").reports[0].text
    'x\\ny'
    """
    source = _relative(path, root)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise SourceError(
                f"{source}: RIS CSV lacks column(s) {', '.join(missing)}; the header row must "
                f"name {', '.join(REQUIRED_COLUMNS)} (see docs/source-contract.md)"
            )
        reports, bad = [], []
        for row_index, row in enumerate(reader):
            values = {k: (v or "").strip() for k, v in row.items() if k}
            empty = [c for c in REQUIRED_COLUMNS if not values.get(c)]
            if empty:
                bad.append(Quarantined(source, f"row {row_index}", f"empty {', '.join(empty)}"))
                continue
            reports.append(_csv_record(row, values, source, row_index))
    return Intake(tuple(reports), tuple(bad))


def _csv_record(
    row: dict[str, str], values: dict[str, str], source: str, item: int
) -> ReportRecord:
    return ReportRecord(
        accession=values["accession_number"],
        patient_id=values["patient_id"],
        text=row["report_text"].replace("\r\n", "\n"),
        source=source,
        item=item,
        study_datetime=values.get("study_datetime", ""),
        exam_code=values.get("exam_code", ""),
        exam_name=values.get("exam_name", ""),
        patient_name=values.get("patient_name", ""),
        patient_birth_date=values.get("patient_birth_date", ""),
        ordering_provider=values.get("ordering_provider", ""),
        radiologist=values.get("radiologist", ""),
    )


def _field(message: hl7.Message, segment: str, index: int) -> str:
    try:
        seg = message.segment(segment)
    except KeyError:
        return ""
    return str(seg[index]) if len(seg) > index else ""


def _person(message: hl7.Message, value: str) -> str:
    """An XCN/XPN value (``id^family^given^middle`` or with ``&``) as plain words."""
    parts = [message.unescape(p) for p in re.split(r"[\^&]", value)]
    return " ".join(p for p in parts if p and not any(c.isdigit() for c in p))


def _hl7_record(message: hl7.Message, source: str, item: int) -> ReportRecord:
    for required in ("PID", "OBR", "OBX"):
        try:
            message.segment(required)
        except KeyError:
            raise SourceError(f"no {required} segment") from None
    patient_id = _field(message, "PID", 3).split("^")[0]
    accession = _field(message, "OBR", 3).split("^")[0]
    if not patient_id or not accession:
        raise SourceError("empty PID-3 (patient id)" if not patient_id else "empty OBR-3")
    lines: list[str] = []
    for obx in message.segments("OBX"):
        raw = str(obx[5]) if len(obx) > 5 else ""
        lines.extend(message.unescape(part) for part in raw.split("~"))
    code, _, name = _field(message, "OBR", 4).partition("^")
    pid11 = _field(message, "PID", 11)
    return ReportRecord(
        accession=message.unescape(accession),
        patient_id=message.unescape(patient_id),
        text="\n".join(lines),
        source=source,
        item=item,
        study_datetime=_field(message, "OBR", 7),
        exam_code=message.unescape(code),
        exam_name=message.unescape(name),
        patient_name=_person(message, _field(message, "PID", 5)),
        patient_birth_date=_field(message, "PID", 7),
        ordering_provider=_person(message, _field(message, "OBR", 16)),
        radiologist=_person(message, _field(message, "OBR", 32)),
        extra_places=tuple(
            message.unescape(v)
            for v in (_field(message, "MSH", 4), *pid11.split("^"))
            if v and not v.isdigit()
        ),
        extra_phones=tuple(p for p in (message.unescape(_field(message, "PID", 13)),) if p),
    )


def read_hl7(path: Path, root: Path | None = None) -> Intake:
    """Reports of an HL7 v2 file of one or more ORU^R01 messages (python-hl7 parses them).

    Escape sequences are decoded; each OBX-5 is one line of report text. A message that
    cannot be read is quarantined with the reason; the others are read.
    """
    source = _relative(path, root)
    raw = path.read_bytes().decode("utf-8", errors="replace")
    raw = raw.replace("\r\n", "\r").replace("\n", "\r")
    try:
        chunks = hl7.split_file(raw)
    except Exception as exc:  # python-hl7 raises several types for malformed files
        return Intake((), (Quarantined(source, "file", f"not an HL7 file: {type(exc).__name__}"),))
    reports, bad = [], []
    for index, chunk in enumerate(chunks):
        try:
            reports.append(_hl7_record(hl7.parse(chunk), source, index))
        except SourceError as exc:
            bad.append(Quarantined(source, f"message {index}", str(exc)))
        except Exception as exc:  # a malformed message: quarantine, go on with the rest
            bad.append(
                Quarantined(source, f"message {index}", f"unparseable: {type(exc).__name__}")
            )
    return Intake(tuple(reports), tuple(bad))


def read_text_tree(root: Path) -> Intake:
    """Reports of a MIMIC-CXR-style tree ``files/pNN/p<subject_id>/s<study_id>.txt``.

    The study id becomes the accession and the subject id the patient id.
    """
    reports = []
    for path in sorted(root.rglob("s*.txt")):
        match, parent = _TEXT_NAME.match(path.name), _PATIENT_DIR.match(path.parent.name)
        if match and parent:
            text = path.read_text(encoding="utf-8", errors="replace")
            reports.append(
                ReportRecord(match.group(1), parent.group(1), text, _relative(path, root))
            )
    return Intake(tuple(reports))


def _files(folder: Path, pattern: str) -> Iterable[Path]:
    return sorted(p for p in folder.rglob(pattern) if p.is_file())


def read_reports(src: Path) -> Intake:
    """Every report under ``src``: ``src/reports/`` CSV and HL7 files, or a text tree.

    ``src`` may be a source root (with ``reports/``), a reports folder, or a MIMIC-style
    ``files/`` tree of ``s<study_id>.txt`` reports.
    """
    src = Path(src)
    if not src.exists():
        raise SourceError(f"{src} does not exist; give a source root or a reports folder")
    folder = src / "reports" if (src / "reports").is_dir() else src
    intake = Intake()
    for path in _files(folder, "*.csv"):
        intake += read_ris_csv(path, src)
    for path in _files(folder, "*.hl7"):
        intake += read_hl7(path, src)
    if not intake.reports and not intake.quarantined:
        intake = read_text_tree(src)
    return intake
