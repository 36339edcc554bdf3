"""The RIS side of a synthetic export: reports as CSV and HL7 v2 ORU^R01 files (S9a).

Most studies go to two CSV files (split by study year, as a RIS exports in batches); a few go
to ``.hl7`` files of one to three messages each. One HL7 message in the export is corrupt on
purpose, so that intake has a quarantine path to exercise.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from cxrkit.sources.synth.model import MRN_ISSUER, PersonName, Study
from cxrkit.sources.synth.truth import SynthReport

CSV_COLUMNS = (
    "accession_number",
    "patient_id",
    "patient_name",
    "patient_birth_date",
    "study_datetime",
    "exam_code",
    "exam_name",
    "ordering_provider",
    "radiologist",
    "report_text",
)
# Columns of the CSV whose values are PHI, with their category.
CSV_PHI = {
    "accession_number": "accession",
    "patient_id": "mrn",
    "patient_name": "name",
    "patient_birth_date": "date",
    "study_datetime": "datetime",
    "ordering_provider": "name",
    "radiologist": "name",
}
SPLIT_YEAR = 2015


@dataclass(frozen=True)
class RisFile:
    """A file of the RIS export: its path relative to the export root, bytes and truth."""

    file: str
    data: bytes
    phi: tuple[dict[str, Any], ...]
    corrupt_accessions: tuple[str, ...] = ()


def _csv_name(name: PersonName) -> str:
    middle = f" {name.middle}" if name.middle else ""
    return f"{name.family}, {name.given}{middle}"


def _csv_row(study: Study) -> dict[str, str]:
    pat = study.patient
    return {
        "accession_number": study.accession,
        "patient_id": pat.mrn,
        "patient_name": _csv_name(pat.name),
        "patient_birth_date": pat.birth_date.isoformat(),
        "study_datetime": study.when.isoformat(timespec="seconds"),
        "exam_code": study.exam.code,
        "exam_name": study.exam.name,
        "ordering_provider": _csv_name(study.referring),
        "radiologist": _csv_name(study.radiologist),
    }


def _report_spans(file: str, study: Study, report: SynthReport) -> list[dict[str, Any]]:
    return [
        {
            "where": "report",
            "file": file,
            "accession": study.accession,
            "start": s.start,
            "end": s.end,
            "value": s.value,
            "category": s.category,
        }
        for s in report.phi
    ]


def write_csv(file: str, items: list[tuple[Study, SynthReport]]) -> RisFile:
    """The RIS CSV export of ``items``: header row, UTF-8, quoted multi-line report cells."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    phi: list[dict[str, Any]] = []
    for row_index, (study, report) in enumerate(items):
        row = {**_csv_row(study), "report_text": report.text}
        writer.writerow(row)
        for column, category in CSV_PHI.items():
            phi.append(
                {
                    "where": "csv",
                    "file": file,
                    "row": row_index,
                    "column": column,
                    "value": row[column],
                    "category": category,
                }
            )
        phi.extend(_report_spans(file, study, report))
    return RisFile(file, buf.getvalue().encode("utf-8"), tuple(phi))


def hl7_escape(text: str) -> str:
    r"""Escape HL7 v2 delimiters (``| ^ & ~ \``) in a field value with the standard encoding."""
    out = text.replace("\\", "\\E\\")
    for char, code in (("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\")):
        out = out.replace(char, code)
    return out


def _xcn(name: PersonName, ident: str) -> str:
    return "^".join(
        (ident, hl7_escape(name.family), hl7_escape(name.given), hl7_escape(name.middle))
    )


def _hl7_segments(study: Study, report: SynthReport, control_id: str) -> list[str]:
    pat = study.patient
    stamp = f"{study.when:%Y%m%d%H%M%S}"
    addr = pat.address
    pid_name = "^".join(hl7_escape(p) for p in (pat.name.family, pat.name.given, pat.name.middle))
    rad = study.radiologist
    segments = [
        f"MSH|^~\\&|SYNTHRIS|{study.institution.short_name}|CXRKIT|RESEARCH|{stamp}||"
        f"ORU^R01|{control_id}|P|2.3",
        f"PID|1||{pat.mrn}^^^{MRN_ISSUER}^MR||{pid_name}||"
        f"{pat.birth_date:%Y%m%d}|{pat.sex}|||{hl7_escape(addr.street)}^^{addr.city}^"
        f"{addr.state}^{addr.zip_code}||{hl7_escape(pat.phone)}",
        f"OBR|1||{study.accession}|{study.exam.code}^{hl7_escape(study.exam.name)}|||{stamp}"
        f"|||||||||{_xcn(study.referring, 'R' + control_id[-4:])}"
        + "|" * 16
        + f"{'P' + control_id[-4:]}&{hl7_escape(rad.family)}&{hl7_escape(rad.given)}",
    ]
    for k, line in enumerate(report.text.split("\n"), start=1):
        segments.append(f"OBX|{k}|TX|{study.exam.code}^REPORT||{hl7_escape(line)}||||||F")
    return segments


def _hl7_field_phi(file: str, message: int, study: Study) -> list[dict[str, Any]]:
    pat = study.patient
    values = [
        ("PID-3", pat.mrn, "mrn"),
        ("PID-5", pat.name.family, "name"),
        ("PID-5", pat.name.given, "name"),
        ("PID-7", f"{pat.birth_date:%Y%m%d}", "date"),
        ("PID-11", pat.address.street, "address"),
        ("PID-13", pat.phone, "phone"),
        ("OBR-3", study.accession, "accession"),
        ("OBR-7", f"{study.when:%Y%m%d%H%M%S}", "datetime"),
        ("OBR-16", study.referring.family, "name"),
        ("OBR-32", study.radiologist.family, "name"),
    ]
    return [
        {"where": "hl7", "file": file, "message": message, "field": f, "value": v, "category": c}
        for f, v, c in values
    ]


def write_hl7(
    file: str, items: list[tuple[Study, SynthReport]], *, corrupt_last: bool = False
) -> RisFile:
    """An HL7 v2 file of ORU^R01 messages, one per report; segments end with carriage return.

    With ``corrupt_last`` the last message loses its PID segment and its MSH is cut short,
    as a broken interface would leave it.
    """
    messages: list[str] = []
    phi: list[dict[str, Any]] = []
    corrupt: tuple[str, ...] = ()
    for m, (study, report) in enumerate(items):
        control_id = f"MSG{study.accession[-8:]}"
        segments = _hl7_segments(study, report, control_id)
        if corrupt_last and m == len(items) - 1:
            segments = [segments[0][:14], *segments[2:]]
            corrupt = (study.accession,)
        else:
            phi.extend(_hl7_field_phi(file, m, study))
            spans = _report_spans(file, study, report)
            phi.extend({**span, "message": m} for span in spans)
        messages.append("\r".join(segments) + "\r")
    return RisFile(file, "\n".join(messages).encode("utf-8"), tuple(phi), corrupt)
