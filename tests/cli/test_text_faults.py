"""Issue 15, text input and the console: each fault run through the command line.

Every case runs ``python -m cxrkit.cli`` in a subprocess (the console exactly as a user sees
it, logging included) on a small synthetic export, and fails on a traceback, on python-hl7's
``NoneType: None``, or on any PHI value of the export's truth on stdout or stderr.

Most report faults are planted together in one source (the campaign), built once: only its two
good studies reach the image stage (OCR is the slow part), every other study must end in
``PRIVATE/quarantine.csv`` with a reason.
"""

from __future__ import annotations

import csv
import gzip
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from cxrkit.cli import main
from cxrkit.sources.synth import SynthSummary, synthesize
from cxrkit.sources.synth.truth import phi_strings

BINARY = bytes(range(256)) * 8


@pytest.fixture(scope="module")
def export3(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    """Three patients, all reports in CSV: enough studies for one role each."""
    return synthesize(tmp_path_factory.mktemp("export3"), patients=3, seed=1, workers=1)


@pytest.fixture(scope="module")
def phi(export3: SynthSummary) -> set[str]:
    """Every PHI value of the truth (4 characters or more), and each name's words."""
    return phi_strings(export3.root / "truth")


def cxrkit(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cxrkit.cli", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        timeout=600,
    )


def assert_clean(result: subprocess.CompletedProcess[str], phi: set[str], code: int) -> None:
    """The exit code expected, no traceback, and no PHI value on the console."""
    console = result.stdout + result.stderr
    assert_no_traceback_or_phi(console, phi)
    assert result.returncode == code, console


def assert_no_traceback_or_phi(console: str, phi: set[str]) -> None:
    assert "Traceback" not in console, console
    assert "NoneType: None" not in console, console
    leaked = sorted(v for v in phi if v in console)
    assert not leaked, f"PHI on the console: {len(leaked)} values"


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), result.stderr
    for word in words:
        assert word in lines[0]


def _report_rows(export: Path) -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    for path in sorted((export / "reports").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows.update({r["accession_number"]: r for r in csv.DictReader(fh)})
    return rows


def _studies(export: Path) -> list[dict[str, str]]:
    """Chest studies with images and a CSV report, fewest images first."""
    with (export / "truth" / "studies.csv").open(encoding="utf-8") as fh:
        studies = [
            s
            for s in csv.DictReader(fh)
            if s["chest"] == "True" and int(s["images"]) and s["report_form"] == "csv"
        ]
    return sorted(studies, key=lambda s: (int(s["images"]), s["accession"]))


def _write_csv(
    path: Path, rows: list[dict[str, str]], encoding: str = "utf-8", delimiter: str = ","
) -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)


def _esc(text: str) -> str:
    for char, code in (("\\", "E"), ("|", "F"), ("^", "S"), ("~", "R"), ("&", "T")):
        text = text.replace(char, f"\\{code}\\")
    return text


def _hl7(row: dict[str, str], pid5: str | None = None) -> str:
    family, _, given = row["patient_name"].partition(", ")
    digits = re.sub(r"\D", "", row["study_datetime"])
    segments = [
        f"MSH|^~\\&|RIS|HOSP|CXRKIT|RESEARCH|{digits}||ORU^R01|{row['accession_number']}|P|2.3",
        f"PID|1||{row['patient_id']}^^^HOSP^MR||"
        f"{pid5 or _esc(family) + '^' + _esc(given)}||"
        f"{re.sub(r'[^0-9]', '', row['patient_birth_date'])}|",
        f"OBR|1||{row['accession_number']}|{row['exam_code']}^{_esc(row['exam_name'])}|||{digits}",
        *(
            f"OBX|{k}|TX|{row['exam_code']}^REPORT||{_esc(line)}||||||F"
            for k, line in enumerate(row["report_text"].splitlines(), 1)
        ),
    ]
    return "\r".join(segments) + "\r"


@dataclass(frozen=True)
class Campaign:
    roles: dict[str, dict[str, str]]  # role → truth study
    result: subprocess.CompletedProcess[str]
    out: Path
    private: Path
    quarantine: list[dict[str, str]]

    def reasons(self, source: str) -> list[str]:
        """Item, stage, kind and detail of the quarantine rows of one source file or image."""
        return [
            " ".join(v for k, v in row.items() if k != "source")
            for row in self.quarantine
            if row["source"] == source
        ]

    def images(self, role: str) -> list[str]:
        accession = self.roles[role]["accession"]
        with (self.out.parent / "src" / "truth" / "images.csv").open(encoding="utf-8") as fh:
            rows = [r["file"] for r in csv.DictReader(fh) if r["accession"] == accession]
        return [f.removeprefix("dicom/") for f in rows]  # quarantine names them under dicom/


def _plant(export: Path, src: Path) -> dict[str, dict[str, str]]:
    """A source with one report fault per study; the two good studies have one image each."""
    shutil.copytree(export / "dicom", src / "dicom")
    shutil.copytree(export / "truth", src / "truth")
    names = ("good_csv", "good_hl7", "cut_hl7", "bad_escape", "semicolon", "renamed", "other")
    studies = _studies(export)
    assert len(studies) >= len(names)
    roles = dict(zip(names, studies, strict=False))
    rows = {k: _report_rows(export)[s["accession"]] for k, s in roles.items()}
    reports = src / "reports"
    (reports / "hl7").mkdir(parents=True)
    good = {**rows["good_csv"], "report_text": rows["good_csv"]["report_text"] + "\n Café."}
    patients = {r["patient_id"] for r in _report_rows(export).values()}
    other = {**rows["other"], "patient_id": min(patients - {rows["other"]["patient_id"]})}
    _write_csv(reports / "ris_cp1252.csv", [good, other], encoding="cp1252")
    cut = _hl7(rows["cut_hl7"])
    last = cut.rindex("OBX|")
    family = rows["bad_escape"]["patient_name"].partition(", ")[0]
    (reports / "hl7" / "batch.hl7").write_text(
        _hl7(rows["good_hl7"])
        + _hl7(rows["bad_escape"], pid5=f"{family}\\Zq\\^X")
        + cut[: last + (len(cut) - last) // 2],
        encoding="utf-8",
    )
    _write_csv(reports / "semicolon.csv", [rows["semicolon"]], delimiter=";")
    renamed = {("patient id" if k == "patient_id" else k): v for k, v in rows["renamed"].items()}
    _write_csv(reports / "renamed.csv", [renamed])
    (reports / "empty.csv").write_bytes(b"")
    (reports / "scan.csv").write_bytes(BINARY)
    (reports / "loop.csv").symlink_to(reports / "loop.csv")
    return roles


@pytest.fixture(scope="module")
def campaign(export3: SynthSummary, tmp_path_factory: pytest.TempPathFactory) -> Campaign:
    base = tmp_path_factory.mktemp("campaign")
    roles = _plant(export3.root, base / "src")
    test_patients = base / "test_patients.csv"
    mrn = roles["good_csv"]["mrn"]
    test_patients.write_bytes(f"patient_id,note\n{mrn},Café\n".encode("cp1252"))
    result = cxrkit(
        "build", base / "src", base / "out", "--private", base / "private", "--workers", "2",
        "-q", "--test-patients", test_patients,
    )  # fmt: skip
    quarantine = base / "private" / "quarantine.csv"
    rows = list(csv.DictReader(quarantine.open(encoding="utf-8"))) if quarantine.exists() else []
    return Campaign(roles, result, base / "out", base / "private", rows)


def _released_studies(out: Path) -> int:
    with gzip.open(out / "cxr-study-list.csv.gz", "rt", encoding="utf-8") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def test_the_campaign_build_ends_normally_with_nothing_on_the_console(
    campaign: Campaign, phi: set[str]
) -> None:
    assert_clean(campaign.result, phi, code=3)


def test_the_good_studies_are_built_and_the_release_verifies(
    campaign: Campaign, phi: set[str]
) -> None:
    assert _released_studies(campaign.out) == 2
    result = cxrkit("verify", campaign.out, "--private", campaign.private, "--no-ocr")
    assert_clean(result, phi, code=0)
    assert "leaks found: 0" in result.stdout


def test_the_encodings_read_are_stated_in_the_summary(campaign: Campaign) -> None:
    assert "report files read: 1 CSV cp1252, 1 HL7 utf-8" in campaign.result.stdout


def test_a_windows_1252_test_patients_list_is_read(campaign: Campaign) -> None:
    with gzip.open(campaign.out / "mimic-cxr-2.0.0-split.csv.gz", "rt", encoding="utf-8") as fh:
        splits = [r["split"] for r in csv.DictReader(fh)]
    assert "test" in splits


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("reports/scan.csv", "binary content"),
        ("reports/empty.csv", "empty"),
        ("reports/semicolon.csv", "not comma-separated"),
        ("reports/renamed.csv", "no patient_id column"),
        ("reports/loop.csv", "symlink loop"),
    ],
    ids=["binary", "empty", "semicolon", "renamed-column", "symlink-loop"],
)
def test_a_bad_csv_file_is_quarantined_with_its_reason(
    campaign: Campaign, source: str, reason: str
) -> None:
    [found] = campaign.reasons(source)
    assert reason in found


@pytest.mark.parametrize("role", ["semicolon", "renamed", "cut_hl7", "bad_escape"])
def test_the_images_of_a_quarantined_report_are_left_out_with_a_reason(
    campaign: Campaign, role: str
) -> None:
    images = campaign.images(role)
    assert images
    for image in images:
        assert any(" no-report" in r for r in campaign.reasons(image))


def test_an_hl7_message_cut_inside_an_obx_is_quarantined(campaign: Campaign) -> None:
    found = campaign.reasons("reports/hl7/batch.hl7")
    assert sum("HL7 message: truncated" in r for r in found) == 1


def test_a_malformed_hl7_field_is_quarantined_and_not_printed(campaign: Campaign) -> None:
    found = campaign.reasons("reports/hl7/batch.hl7")
    assert sum("HL7 message: malformed escape sequence" in r for r in found) == 1
    assert "\\Zq\\" not in campaign.result.stdout + campaign.result.stderr


def test_a_report_of_another_patient_quarantines_the_whole_study(campaign: Campaign) -> None:
    images = campaign.images("other")
    assert images
    mismatch = [
        row
        for row in campaign.quarantine
        if row["kind"] == "study-conflict" and "differs from the images" in row["detail"]
    ]
    reports = [m for m in mismatch if m["source"] == "reports/ris_cp1252.csv"]
    assert [m["item"] for m in reports] == ["1"]  # the second row: the other patient's
    assert sorted({m["source"] for m in mismatch} - {"reports/ris_cp1252.csv"}) == sorted(images)


def _source_with(export: Path, base: Path, reports: dict[str, bytes] | None) -> Path:
    """``base/src`` with the export's DICOM files and the given report files (or none)."""
    src = base / "src"
    shutil.copytree(export / "dicom", src / "dicom")
    if reports is not None:
        (src / "reports").mkdir()
        for name, data in reports.items():
            (src / "reports" / name).write_bytes(data)
    return src


@pytest.mark.parametrize(
    ("reports", "words"),
    [(None, "no reports/ folder"), ({"notes.txt": b"x"}, "holds no RIS CSV")],
    ids=["no-reports-folder", "no-report-file"],
)
def test_a_source_without_reports_is_refused_before_any_image_work(
    export3: SynthSummary,
    phi: set[str],
    tmp_path: Path,
    reports: dict[str, bytes] | None,
    words: str,
) -> None:
    src = _source_with(export3.root, tmp_path, reports)
    result = cxrkit("build", src, tmp_path / "out", "--private", tmp_path / "private", "-q")
    assert_clean(result, phi, code=1)
    assert_one_line_error(result, words)
    assert not (tmp_path / "out" / "files").exists()


def test_a_binary_test_patients_list_is_refused_before_any_image_work(
    export3: SynthSummary, phi: set[str], tmp_path: Path
) -> None:
    src = _source_with(export3.root, tmp_path, {})
    shutil.copytree(export3.root / "reports", src / "reports", dirs_exist_ok=True)
    (tmp_path / "test.csv").write_bytes(BINARY)
    result = cxrkit(
        "build", src, tmp_path / "out", "--private", tmp_path / "private", "-q",
        "--test-patients", tmp_path / "test.csv",
    )  # fmt: skip
    assert_clean(result, phi, code=1)
    assert_one_line_error(result, "binary content")
    assert not (tmp_path / "out" / "files").exists()


def test_only_bad_report_files_give_an_empty_release_not_a_traceback(
    export3: SynthSummary, phi: set[str], tmp_path: Path
) -> None:
    src = _source_with(export3.root, tmp_path, {"scan.csv": BINARY})
    out = tmp_path / "out"
    result = cxrkit("build", src, out, "--private", tmp_path / "private", "-q")
    assert_clean(result, phi, code=3)
    assert "0 studies" in result.stdout
    assert_clean(cxrkit("verify", out), phi, code=0)
    assert_clean(cxrkit("stats", out, "-o", tmp_path / "stats"), phi, code=0)


def test_an_unreadable_report_csv_is_quarantined(
    export3: SynthSummary, phi: set[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process (CliRunner): as root, file modes cannot make a PermissionError, so the
    read is made to fail; ``--workers 1`` keeps the build in this process."""
    src = _source_with(export3.root, tmp_path, {})
    shutil.copytree(export3.root / "reports", src / "reports", dirs_exist_ok=True)
    real = Path.read_bytes

    def denied(self: Path) -> bytes:
        if self.suffix == ".csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    private = tmp_path / "private"
    args = ["build", str(src), str(tmp_path / "out"), "--private", str(private), "-q"]
    result = CliRunner().invoke(main, [*args, "--workers", "1"])
    assert_no_traceback_or_phi(result.output, phi)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 3, result.output
    quarantine = (private / "quarantine.csv").read_text(encoding="utf-8")
    csv_files = list((export3.root / "reports").glob("*.csv"))
    assert quarantine.count("CSV file: cannot be read: permission denied") == len(csv_files)


def _report_texts(export: Path) -> list[str]:
    return [r["report_text"] for r in _report_rows(export).values()]


def test_deid_text_reads_windows_1252_and_says_so(
    export3: SynthSummary, phi: set[str], tmp_path: Path
) -> None:
    texts = [t + "\n Café." for t in _report_texts(export3.root)]
    with (tmp_path / "in.csv").open("w", encoding="cp1252", newline="") as fh:
        csv.writer(fh).writerows([t] for t in texts)
    result = cxrkit("deid-text", tmp_path / "in.csv", "-o", tmp_path / "out.csv", "-q")
    assert_clean(result, phi, code=0)
    assert "(input read as cp1252)" in result.stdout
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r[0] for r in csv.reader(fh)]
    assert len(rows) == len(texts)
    assert all(r.endswith("Café.") for r in rows)


@pytest.mark.parametrize(
    ("data", "words"),
    [(BINARY, "binary content"), (b'"never closed\nA, b\n', "broken CSV quoting")],
    ids=["binary", "broken-quoting"],
)
def test_deid_text_refuses_what_is_not_a_text_csv_in_one_line(
    phi: set[str], tmp_path: Path, data: bytes, words: str
) -> None:
    (tmp_path / "in.csv").write_bytes(data)
    result = cxrkit("deid-text", tmp_path / "in.csv", "-o", tmp_path / "out.csv", "-q")
    assert_clean(result, phi, code=1)
    assert_one_line_error(result, words)


def test_sections_skips_a_folder_and_a_symlink_loop_named_like_reports(
    export3: SynthSummary, phi: set[str], tmp_path: Path
) -> None:
    folder = tmp_path / "files" / "p10" / "p10000032"
    folder.mkdir(parents=True)
    for k, text in enumerate(_report_texts(export3.root), start=1):
        (folder / f"s5000000{k}.txt").write_text(text, encoding="utf-8")
    (folder / "s50000100.txt").mkdir()
    (folder / "s50000101.txt").symlink_to(folder / "s50000101.txt")
    result = cxrkit("sections", tmp_path / "files", "-o", tmp_path / "sections", "-q")
    assert_clean(result, phi, code=0)
    assert "skipped 1 s<study_id>.txt file(s): report file: cannot be read: symlink loop" in (
        result.stderr
    )
    assert f"{len(_report_texts(export3.root))} reports sectioned" in result.stdout


def test_stats_on_a_folder_that_is_not_a_release_is_one_line(phi: set[str], tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = cxrkit("stats", tmp_path / "empty", "-o", tmp_path / "stats")
    assert_clean(result, phi, code=1)
    assert_one_line_error(result, "is not a cxrkit release")
