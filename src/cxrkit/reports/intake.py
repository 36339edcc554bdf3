"""RIS intake (S9, S9a): the RIS CSV, HL7 v2 ORU^R01 files, and MIMIC-style text trees.

Every reader returns an :class:`Intake`: the reports it could read and, for each item it could
not, a :class:`~cxrkit.pipeline.quarantine.Quarantined` record (stage ``report``) with the file
(relative to the source root), the item (``""`` for the whole file, a row or a message), the
kind of fault (``report-file-unreadable``, ``csv-file-unusable``, ``csv-row-unusable``,
``hl7-file-unusable``, ``hl7-message-unusable``) and a detail that says what is wrong without
quoting the file. Bad input never stops intake: one bad file, row or message is quarantined
and the rest is read. Files are decoded by :mod:`cxrkit.sources.textfile` (UTF-8 with or
without a byte order mark, else Windows-1252 or Latin-1; binary files refused) and each file's
encoding is kept for the build summary.
Nothing here logs or raises with PHI: items are named by file and position only, and
python-hl7's own log records (which quote whole fields) are counted, never printed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import hl7
import hl7.containers
import hl7.util

from cxrkit.errors import SourceError
from cxrkit.pipeline.quarantine import Quarantined
from cxrkit.reports.deny import TextDenyList
from cxrkit.sources.discover import walk
from cxrkit.sources.textfile import read_text

__all__ = [
    "Intake",
    "Quarantined",
    "ReportRecord",
    "read_export_reports",
    "read_hl7",
    "read_reports",
    "read_ris_csv",
    "read_text_tree",
]

REQUIRED_COLUMNS = ("accession_number", "patient_id", "report_text")
_TEXT_NAME = re.compile(r"^s(\d+)\.txt$")
_PATIENT_DIR = re.compile(r"^p(\d+)$")
_FOLDER = "unreadable-folder"  # the quarantine kind of a folder that cannot be listed
_OTHER_DELIMITERS = (";", "\t", "|")
_MLLP_FRAMING = str.maketrans("", "", "\x0b\x1c")  # MLLP start and end bytes around messages


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

    def deny_list(self) -> TextDenyList:
        """The PHI values this record holds, as a :class:`TextDenyList`.

        Examples
        --------
        >>> record = ReportRecord("A1234", "00381763", "...", "r.csv", patient_name="Hill, Rose")
        >>> record.deny_list().names
        ('Hill, Rose',)
        """
        names = (self.patient_name, self.ordering_provider, self.radiologist, *self.extra_names)
        dates = [_parse_date(v) for v in (self.patient_birth_date, self.study_datetime)]
        return TextDenyList(
            names=tuple(n for n in names if n),
            identifiers=tuple(v for v in (self.accession, self.patient_id) if v),
            dates=tuple(d for d in dates if d is not None),
            places=self.extra_places,
            phones=self.extra_phones,
        )


@dataclass(frozen=True)
class Intake:
    """What a reader found: readable reports, quarantined items, and for each file read its
    kind and encoding (``"CSV utf-8"``, ``"HL7 cp1252"``; counted in the build summary)."""

    reports: tuple[ReportRecord, ...] = ()
    quarantined: tuple[Quarantined, ...] = field(default=())
    encodings: tuple[str, ...] = ()

    def __add__(self, other: Intake) -> Intake:
        return Intake(
            self.reports + other.reports,
            self.quarantined + other.quarantined,
            self.encodings + other.encodings,
        )


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


def _left_out(source: str, kind: str, detail: str, item: str = "") -> Quarantined:
    """An item intake could not read: where it is and why (never its content)."""
    return Quarantined(source, "report", kind, item, detail)


def _unreadable(source: str, what: str, exc: SourceError) -> Intake:
    """A ``what`` file (``"CSV"``, ``"HL7"``) the text reader refused: left out whole."""
    return Intake((), (_left_out(source, "report-file-unreadable", f"{what} file: {exc}"),))


def _unusable(source: str, what: str, problem: str) -> Intake:
    """A ``what`` file whose text cannot be used as a whole: left out whole."""
    kind = f"{what.lower()}-file-unusable"
    return Intake((), (_left_out(source, kind, f"{what} file: {problem}"),))


def read_ris_csv(path: Path, root: Path | None = None) -> Intake:
    """Reports of a RIS CSV export (header row, comma-separated, quoted multi-line cells).

    The encoding is detected (:func:`~cxrkit.sources.textfile.decode_text`). A file that
    cannot be used as a whole (unreadable, binary, empty, another delimiter, a required column
    missing) is quarantined as ``item="file"``; a row with an empty required value or another
    number of cells than the header is quarantined alone; broken quoting quarantines the rows
    from there on. Reasons never quote the file's content.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "r.csv").write_text('accession_number,patient_id,report_text\\nA1,P1,"x\\ny"\\n')
    >>> read_ris_csv(d / "r.csv").reports[0].text
    'x\\ny'
    >>> _ = (d / "s.csv").write_text("accession_number;patient_id;report_text\\n")
    >>> bad = read_ris_csv(d / "s.csv").quarantined[0]
    >>> bad.kind, bad.detail
    ('csv-file-unusable', "CSV file: not comma-separated (';' in the header row)")
    """
    source = _relative(path, root)
    try:
        decoded = read_text(path)
    except SourceError as exc:
        return _unreadable(source, "CSV", exc)
    rows = csv.reader(io.StringIO(decoded.text, newline=""), strict=True)
    try:
        header = [name.strip() for name in next(rows, [])]
    except csv.Error:
        return _unusable(source, "CSV", "broken quoting in the header row")
    problem = _header_problem(header)
    if problem:
        return _unusable(source, "CSV", problem)
    reports, bad = _csv_rows(rows, header, source)
    return Intake(tuple(reports), tuple(bad), (f"CSV {decoded.encoding}",))


def _header_problem(header: list[str]) -> str:
    """Why a header row cannot be used ("" when it can); never quotes the row."""
    if not any(header):
        return "empty (no header row)"
    if len(header) == 1:
        for delimiter in _OTHER_DELIMITERS:
            if delimiter in header[0]:
                return f"not comma-separated ({delimiter!r} in the header row)"
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return (
            f"no {', '.join(missing)} column (the header row must name "
            f"{', '.join(REQUIRED_COLUMNS)}; see docs/source-contract.md)"
        )
    if len(set(header)) != len(header):
        return "a column named twice in the header row"
    return ""


def _csv_rows(
    rows: Iterator[list[str]], header: list[str], source: str
) -> tuple[list[ReportRecord], list[Quarantined]]:
    reports: list[ReportRecord] = []
    bad: list[Quarantined] = []
    row_index = 0
    while True:
        try:
            cells = next(rows, None)
        except csv.Error:
            bad.append(_row_fault(source, f"rows {row_index}-", "CSV rows: broken quoting"))
            break
        if cells is None:
            break
        if not cells:
            continue  # a blank line
        if len(cells) != len(header):
            bad.append(
                _row_fault(source, f"row {row_index}", "CSV row: cells do not match the header")
            )
        else:
            row = dict(zip(header, cells, strict=True))
            values = {k: v.strip() for k, v in row.items() if k}
            empty = [c for c in REQUIRED_COLUMNS if not values.get(c)]
            if empty:
                reason = f"CSV row: empty {', '.join(empty)}"
                bad.append(_row_fault(source, f"row {row_index}", reason))
            else:
                reports.append(_csv_record(row, values, source, row_index))
        row_index += 1
    return reports, bad


def _row_fault(source: str, item: str, detail: str) -> Quarantined:
    return _left_out(source, "csv-row-unusable", detail, item)


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


def _obx_lines(message: hl7.Message) -> list[str]:
    """Report lines from the OBX segments; a message cut inside an OBX is refused."""
    lines: list[str] = []
    for obx in message.segments("OBX"):
        if len(obx) <= 11 or not str(obx[11]).strip():
            raise SourceError("truncated (an OBX without its result status OBX-11)")
        lines.extend(message.unescape(part) for part in str(obx[5]).split("~"))
    return lines


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
    lines = _obx_lines(message)
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


class _Complaints(logging.Handler):
    """Counts python-hl7's log records without formatting them: they quote whole fields."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@contextmanager
def _hl7_complaints() -> Iterator[_Complaints]:
    """python-hl7's complaints (about escapes, stray segments), counted and never printed."""
    handler = _Complaints()
    loggers = [logging.getLogger(module.__file__) for module in (hl7.util, hl7.containers)]
    saved = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield handler
    finally:
        for logger, propagate in zip(loggers, saved, strict=True):
            logger.removeHandler(handler)
            logger.propagate = propagate


def _message(chunk: str, source: str, index: int, complaints: _Complaints) -> ReportRecord:
    before = complaints.count
    try:
        record = _hl7_record(hl7.parse(chunk), source, index)
    except SourceError:
        raise
    except Exception as exc:  # python-hl7 raises several types for a malformed message
        raise SourceError(f"unparseable: {type(exc).__name__}") from None
    if complaints.count != before:
        raise SourceError("malformed escape sequence")
    return record


def read_hl7(path: Path, root: Path | None = None) -> Intake:
    """Reports of an HL7 v2 file of one or more ORU^R01 messages (python-hl7 parses them).

    The encoding is detected; MLLP framing bytes are dropped. Escape sequences are decoded;
    each OBX-5 is one line of report text. A message that cannot be read (no PID, OBR or OBX,
    a malformed escape, cut short inside an OBX) is quarantined with the reason; the others
    are read. Nothing python-hl7 would log (it quotes whole fields) reaches a log.
    """
    source = _relative(path, root)
    try:
        decoded = read_text(path)
    except SourceError as exc:
        return _unreadable(source, "HL7", exc)
    raw = decoded.text.translate(_MLLP_FRAMING).replace("\r\n", "\r").replace("\n", "\r")
    reports, bad = [], []
    with _hl7_complaints() as complaints:
        chunks = hl7.split_file(raw)
        if not chunks:
            return _unusable(source, "HL7", "no message (no MSH segment)")
        if complaints.count:
            head = "HL7 file: segments before the first MSH"
            bad.append(_left_out(source, "hl7-file-unusable", head, "head"))
        for index, chunk in enumerate(chunks):
            try:
                reports.append(_message(chunk, source, index, complaints))
            except SourceError as exc:
                detail = f"HL7 message: {exc}"
                bad.append(_left_out(source, "hl7-message-unusable", detail, f"message {index}"))
    return Intake(tuple(reports), tuple(bad), (f"HL7 {decoded.encoding}",))


def read_text_tree(root: Path) -> Intake:
    """Reports of a MIMIC-CXR-style tree ``files/pNN/p<subject_id>/s<study_id>.txt``.

    The study id becomes the accession and the subject id the patient id. A report file that
    cannot be read (a symlink loop, a FIFO, binary content) is quarantined.
    """
    reports, bad = [], []
    for path in _files(root, "s*.txt"):
        match, parent = _TEXT_NAME.match(path.name), _PATIENT_DIR.match(path.parent.name)
        if not (match and parent):
            continue
        source = _relative(path, root)
        try:
            text = read_text(path).text
        except SourceError as exc:
            bad.append(_left_out(source, "report-file-unreadable", f"report file: {exc}"))
            continue
        reports.append(ReportRecord(match.group(1), parent.group(1), text, source))
    return Intake(tuple(reports), tuple(bad))


def _files(folder: Path, pattern: str) -> Iterable[Path]:
    """What ``pattern`` names under ``folder``, folders left out (their files are walked);
    symlink loops, FIFOs and other non-files are kept, for the readers to quarantine."""
    return sorted(e.path for e in walk(folder) if e.problem != _FOLDER and e.path.match(pattern))


def _unlisted(folder: Path, root: Path) -> Intake:
    """The folders under ``folder`` that cannot be listed: their report files are unknown,
    so each is listed itself (never skipped unlisted)."""
    detail = "report folder: cannot be listed (its report files are unknown)"
    return Intake(
        (),
        tuple(
            _left_out(_relative(e.path, root), _FOLDER, detail)
            for e in walk(folder)
            if e.problem == _FOLDER
        ),
    )


def _read_folder(folder: Path, root: Path) -> Intake:
    intake = _unlisted(folder, root)
    for path in _files(folder, "*.csv"):
        intake += read_ris_csv(path, root)
    for path in _files(folder, "*.hl7"):
        intake += read_hl7(path, root)
    return intake


def read_export_reports(src: Path) -> Intake:
    """The reports of an export's ``src/reports/`` folder (RIS CSV and HL7 files), as the
    build reads them; an export without that folder, or without a report file in it, is
    refused with :class:`~cxrkit.errors.SourceError` (the build would release nothing)."""
    folder = Path(src) / "reports"
    if not folder.is_dir():
        raise SourceError(
            f"{src} has no reports/ folder: the build links every image to its report, so a "
            "source needs reports/ with RIS CSV (*.csv) or HL7 v2 (*.hl7) files "
            "(see docs/source-contract.md)"
        )
    unlisted = _unlisted(folder, Path(src)).quarantined
    if not (any(_files(folder, "*.csv")) or any(_files(folder, "*.hl7")) or unlisted):
        raise SourceError(
            f"{folder} holds no RIS CSV (*.csv) or HL7 v2 (*.hl7) file "
            "(see docs/source-contract.md)"
        )
    return _read_folder(folder, Path(src))


def read_reports(src: Path) -> Intake:
    """Every report under ``src``: ``src/reports/`` CSV and HL7 files, or a text tree.

    ``src`` may be a source root (with ``reports/``), a reports folder, or a MIMIC-style
    ``files/`` tree of ``s<study_id>.txt`` reports.
    """
    src = Path(src)
    if not src.exists():
        raise SourceError(f"{src} does not exist; give a source root or a reports folder")
    folder = src / "reports" if (src / "reports").is_dir() else src
    intake = _read_folder(folder, src)
    if not intake.reports and not intake.quarantined:
        intake = read_text_tree(src)
    return intake
