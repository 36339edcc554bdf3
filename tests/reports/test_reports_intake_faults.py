"""Bad text input (issue 15): every bad file, row or message is quarantined with a reason that
quotes nothing of it, the rest is read, and each file's encoding is stated."""

from __future__ import annotations

import codecs
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from cxrkit.errors import SourceError
from cxrkit.pipeline.quarantine import KINDS
from cxrkit.reports import (
    Intake,
    read_export_reports,
    read_hl7,
    read_reports,
    read_ris_csv,
    read_text_tree,
)

HEADER = "accession_number,patient_id,patient_name,report_text\n"
NAME = "Zoë Quill"
MRN = "00381763"


def _row(accession: str = "A1", text: str = "FINDINGS: Clear.") -> str:
    return f'{accession},{MRN},"{NAME}","{text}"\n'


def _reasons(intake: Intake) -> list[tuple[str, str, str]]:
    """(item, kind, detail) of each quarantined item; every kind is one the summary describes."""
    assert all(q.stage == "report" and q.kind in KINDS for q in intake.quarantined)
    return [(q.item, q.kind, q.detail) for q in intake.quarantined]


def _no_phi(*texts: str) -> None:
    for text in texts:
        assert NAME not in text
        assert MRN not in text
        assert "Quill" not in text


@pytest.mark.parametrize(
    ("encoding", "label"),
    [("utf-8", "CSV utf-8"), ("utf-8-sig", "CSV utf-8-sig"), ("cp1252", "CSV cp1252")],
)
def test_csv_encodings_are_detected_and_stated(tmp_path: Path, encoding: str, label: str) -> None:
    (tmp_path / "r.csv").write_bytes((HEADER + _row()).encode(encoding))
    intake = read_ris_csv(tmp_path / "r.csv", tmp_path)
    assert [r.patient_name for r in intake.reports] == [NAME]
    assert intake.encodings == (label,)


def test_utf16_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_bytes(codecs.BOM_UTF16_LE + (HEADER + _row()).encode("utf-16-le"))
    assert [r.patient_name for r in read_ris_csv(tmp_path / "r.csv").reports] == [NAME]


def test_a_binary_csv_is_quarantined(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_bytes(bytes(range(256)) * 4)
    intake = read_ris_csv(tmp_path / "r.csv", tmp_path)
    assert _reasons(intake) == [
        ("", "report-file-unreadable", "CSV file: binary content, not text")
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "CSV file: empty (no header row)"),
        ("\n\n", "CSV file: empty (no header row)"),
        (HEADER.replace(",", ";") + _row().replace(",", ";"), "not comma-separated (';'"),
        (HEADER.replace(",", "\t") + _row().replace(",", "\t"), "not comma-separated ('\\t'"),
        (HEADER.replace("patient_id", "patient id") + _row(), "no patient_id column"),
        (HEADER.replace("patient_name", "patient_id") + _row(), "a column named twice"),
        ('"accession_number,patient_id\n', "broken quoting in the header row"),
    ],
    ids=["empty", "blank-lines", "semicolon", "tab", "renamed-column", "twice", "quoting"],
)
def test_one_bad_csv_file_is_quarantined_and_the_others_read(
    tmp_path: Path, content: str, reason: str
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "bad.csv").write_text(content, encoding="utf-8")
    (folder / "good.csv").write_text(HEADER + _row("A2"), encoding="utf-8")
    intake = read_reports(tmp_path)
    assert [r.accession for r in intake.reports] == ["A2"]
    [bad] = intake.quarantined
    assert (bad.source, bad.item, bad.stage) == ("reports/bad.csv", "", "report")
    assert bad.kind == "csv-file-unusable"
    assert reason in bad.detail
    _no_phi(bad.detail)


def test_a_row_with_other_cells_than_the_header_is_quarantined_alone(tmp_path: Path) -> None:
    shifted = f"A2,{MRN},Quill, Zoë,FINDINGS: unquoted comma.\n"
    (tmp_path / "r.csv").write_text(HEADER + _row("A1") + shifted + _row("A3"), encoding="utf-8")
    intake = read_ris_csv(tmp_path / "r.csv")
    assert [r.accession for r in intake.reports] == ["A1", "A3"]
    assert _reasons(intake) == [
        ("row 1", "csv-row-unusable", "CSV row: cells do not match the header")
    ]


def test_broken_quoting_quarantines_the_rows_from_there_on(tmp_path: Path) -> None:
    broken = f'A2,{MRN},"{NAME}","FINDINGS: never closed.\n'
    (tmp_path / "r.csv").write_text(HEADER + _row("A1") + broken + _row("A3"), encoding="utf-8")
    intake = read_ris_csv(tmp_path / "r.csv")
    assert [r.accession for r in intake.reports] == ["A1"]
    assert _reasons(intake) == [("rows 1-", "csv-row-unusable", "CSV rows: broken quoting")]


def test_a_report_longer_than_the_csv_module_default_cell_is_read(tmp_path: Path) -> None:
    long_text = "No acute process. " * 10_000  # 180 kB, beyond csv's 128 KiB default
    (tmp_path / "r.csv").write_text(HEADER + _row("A1", long_text), encoding="utf-8")
    assert [len(r.text) for r in read_ris_csv(tmp_path / "r.csv").reports] == [len(long_text)]


def test_an_unreadable_csv_is_quarantined(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.csv"
    path.write_text(HEADER + _row(), encoding="utf-8")
    real = Path.read_bytes

    def denied(self: Path) -> bytes:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    assert _reasons(read_ris_csv(path)) == [
        ("", "report-file-unreadable", "CSV file: cannot be read: permission denied")
    ]


def test_a_symlink_loop_and_a_fifo_are_quarantined_without_blocking(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "loop.csv").symlink_to(folder / "loop.csv")
    os.mkfifo(folder / "pipe.hl7")
    (folder / "good.csv").write_text(HEADER + _row(), encoding="utf-8")
    intake = read_export_reports(tmp_path)
    assert [r.accession for r in intake.reports] == ["A1"]
    assert sorted((q.source, q.kind, q.detail) for q in intake.quarantined) == [
        ("reports/loop.csv", "report-file-unreadable", "CSV file: cannot be read: symlink loop"),
        (
            "reports/pipe.hl7",
            "report-file-unreadable",
            "HL7 file: cannot be read: not a regular file",
        ),
    ]


@pytest.mark.parametrize("only", [False, True], ids=["beside-a-good-file", "the-only-folder"])
def test_a_report_folder_that_cannot_be_listed_is_quarantined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, only: bool
) -> None:
    """Its files are unknown: the folder is listed itself, never skipped unlisted (as root,
    file modes cannot make a PermissionError: the listing is made to fail)."""
    folder = tmp_path / "reports"
    (folder / "hl7").mkdir(parents=True)
    (folder / "hl7" / "batch.hl7").write_text("MSH|^~\\&|\r", encoding="utf-8")
    if not only:
        (folder / "good.csv").write_text(HEADER + _row(), encoding="utf-8")
    real = os.scandir

    def scandir(path: Any = ".") -> Any:
        if Path(path) == folder / "hl7":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    intake = read_export_reports(tmp_path)
    assert [r.accession for r in intake.reports] == ([] if only else ["A1"])
    assert [(q.source, q.kind) for q in intake.quarantined] == [
        ("reports/hl7", "unreadable-folder")
    ]


def test_an_export_without_reports_is_refused(tmp_path: Path) -> None:
    (tmp_path / "dicom").mkdir()
    with pytest.raises(SourceError, match="no reports/ folder"):
        read_export_reports(tmp_path)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(SourceError, match="holds no RIS CSV"):
        read_export_reports(tmp_path)


def _segments(accession: str, lines: list[str], name: str = "Quill^Zoë") -> list[str]:
    return [
        "MSH|^~\\&|RIS|HOSP|CXRKIT|RESEARCH|20150301101500||ORU^R01|M1|P|2.3",
        f"PID|1||{MRN}^^^HOSP^MR||{name}||19400102|F",
        f"OBR|1||{accession}|C11^CHEST (PA AND LAT)|||20150301101500",
        *(f"OBX|{k}|TX|C11^REPORT||{line}||||||F" for k, line in enumerate(lines, 1)),
    ]


def _hl7(*messages: list[str]) -> str:
    return "".join("\r".join(m) + "\r" for m in messages)


def test_an_hl7_message_cut_inside_an_obx_is_quarantined_not_half_read(tmp_path: Path) -> None:
    whole = _segments("ACC1", ["FINDINGS: Clear.", "IMPRESSION: Normal."])
    cut = _hl7(_segments("ACC2", ["FINDINGS: Effusion.", "IMPRESSION: Small effusion."]))
    cut = cut[: cut.index("IMPRESSION: Small")]
    (tmp_path / "b.hl7").write_text(_hl7(whole) + cut, encoding="utf-8")
    intake = read_hl7(tmp_path / "b.hl7")
    assert [r.accession for r in intake.reports] == ["ACC1"]
    [(item, kind, detail)] = _reasons(intake)
    assert (item, kind) == ("message 1", "hl7-message-unusable")
    assert detail.startswith("HL7 message: truncated")


@pytest.mark.parametrize("field", ["PID-5", "OBX-5"])
def test_a_malformed_escape_is_quarantined_and_never_logged(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    field: str,
) -> None:
    if field == "PID-5":
        bad = _segments("ACC2", ["FINDINGS: Clear."], name="Quill\\Zq\\^Zoë")
    else:
        bad = _segments("ACC2", [f"Discussed with Zoë Quill, MRN {MRN}, \\Zq\\ at noon."])
    (tmp_path / "b.hl7").write_text(
        _hl7(_segments("ACC1", ["FINDINGS: Clear."]), bad), encoding="utf-8"
    )
    with caplog.at_level(logging.DEBUG):
        intake = read_hl7(tmp_path / "b.hl7")
    assert [r.accession for r in intake.reports] == ["ACC1"]
    assert _reasons(intake) == [
        ("message 1", "hl7-message-unusable", "HL7 message: malformed escape sequence")
    ]
    assert not caplog.records
    captured = capsys.readouterr()
    assert captured.out == captured.err == ""


def test_segments_before_the_first_msh_are_quarantined_and_never_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = f"PID|1||{MRN}||Quill^Zoë\r" + _hl7(_segments("ACC1", ["FINDINGS: Clear."]))
    (tmp_path / "b.hl7").write_text(text, encoding="utf-8")
    with caplog.at_level(logging.DEBUG):
        intake = read_hl7(tmp_path / "b.hl7")
    assert [r.accession for r in intake.reports] == ["ACC1"]
    assert _reasons(intake) == [
        ("head", "hl7-file-unusable", "HL7 file: segments before the first MSH")
    ]
    assert not caplog.records


@pytest.mark.parametrize(
    ("content", "kind", "detail"),
    [
        (b"", "hl7-file-unusable", "HL7 file: no message (no MSH segment)"),
        (
            b"Dear Dr. Quill,\nplease find enclosed\n",
            "hl7-file-unusable",
            "HL7 file: no message (no MSH segment)",
        ),
        (bytes(range(256)), "report-file-unreadable", "HL7 file: binary content, not text"),
    ],
    ids=["empty", "a-letter", "binary"],
)
def test_a_file_that_is_not_hl7_is_quarantined(
    tmp_path: Path, content: bytes, kind: str, detail: str
) -> None:
    (tmp_path / "b.hl7").write_bytes(content)
    assert _reasons(read_hl7(tmp_path / "b.hl7")) == [("", kind, detail)]


def test_hl7_in_windows_1252_and_mllp_framing_is_read(tmp_path: Path) -> None:
    message = "\x0b" + _hl7(_segments("ACC1", ["FINDINGS: Clear."])) + "\x1c\r"
    (tmp_path / "b.hl7").write_bytes(message.encode("cp1252"))
    intake = read_hl7(tmp_path / "b.hl7")
    assert [(r.accession, r.patient_name) for r in intake.reports] == [("ACC1", "Quill Zoë")]
    assert intake.encodings == ("HL7 cp1252",)
    assert not intake.quarantined


def test_a_text_tree_skips_folders_and_quarantines_what_cannot_be_read(tmp_path: Path) -> None:
    folder = tmp_path / "files" / "p10" / "p10000032"
    folder.mkdir(parents=True)
    (folder / "s1.txt").write_text("FINDINGS: Clear.\n", encoding="utf-8")
    (folder / "s2.txt").mkdir()
    (folder / "s3.txt").symlink_to(folder / "s3.txt")
    (folder / "s4.txt").write_bytes(bytes(range(256)))
    intake = read_text_tree(tmp_path)
    assert [r.accession for r in intake.reports] == ["1"]
    assert [(Path(q.source).name, q.kind, q.detail) for q in intake.quarantined] == [
        ("s3.txt", "report-file-unreadable", "report file: cannot be read: symlink loop"),
        ("s4.txt", "report-file-unreadable", "report file: binary content, not text"),
    ]


def test_the_text_file_examples_run() -> None:
    import doctest

    from cxrkit.sources import textfile

    assert doctest.testmod(textfile).failed == 0
