"""RIS intake (S9a): CSV, HL7 v2 with escapes and a corrupt message, MIMIC text trees."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cxrkit.errors import SourceError
from cxrkit.reports import read_hl7, read_reports, read_ris_csv, read_text_tree
from cxrkit.sources.synth import SynthSummary


def _truth_studies(root: Path) -> list[dict[str, str]]:
    with (root / "truth" / "studies.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_report_of_the_export_is_read_and_the_corrupt_one_quarantined(
    export50: SynthSummary,
) -> None:
    intake = read_reports(export50.root)
    studies = _truth_studies(export50.root)
    ok = {s["accession"] for s in studies if s["report_status"] == "ok"}
    corrupt = [s for s in studies if s["report_status"] == "corrupt"]
    assert {r.accession for r in intake.reports} == ok
    assert len(intake.reports) == export50.reports - export50.corrupt_reports
    assert len(intake.quarantined) == len(corrupt) == 1
    bad = intake.quarantined[0]
    assert bad.source == corrupt[0]["report_file"]
    assert bad.item.startswith("message ")
    assert bad.kind == "hl7-message-unusable"
    assert "PID" in bad.detail


def test_hl7_reports_match_the_text_the_truth_offsets_refer_to(export50: SynthSummary) -> None:
    import json

    intake = read_reports(export50.root)
    texts = {(r.source, r.accession): r.text for r in intake.reports}
    phi = [json.loads(x) for x in (export50.root / "truth" / "phi.jsonl").open(encoding="utf-8")]
    spans = [p for p in phi if p["where"] == "report" and p["file"].endswith(".hl7")]
    assert spans
    for p in spans:
        assert texts[(p["file"], p["accession"])][p["start"] : p["end"]] == p["value"]


def _message(control: str, accession: str, lines: list[str]) -> str:
    segments = [
        f"MSH|^~\\&|RIS|HOSP|CXRKIT|RESEARCH|20150301101500||ORU^R01|{control}|P|2.3",
        "PID|1||123456^^^HOSP^MR||Doe^Jane^Q||19400102|F",
        f"OBR|1||{accession}|C11^CHEST (PA AND LAT)|||20150301101500|||||||||R1^Bell^Hope",
    ]
    segments += [f"OBX|{k}|TX|C11^REPORT||{line}||||||F" for k, line in enumerate(lines, 1)]
    return "\r".join(segments) + "\r"


def test_hl7_escapes_repeated_obx_and_several_messages(tmp_path: Path) -> None:
    good = _message("M1", "ACC1", [r" FINDINGS: a \F\ b \S\ c \T\ d \R\ e \E\ f", " Second line."])
    broken = "MSH|^~\\&|RIS\rOBR|1||ACC2|C11\rOBX|1|TX|C11||text||||||F\r"
    third = _message("M3", "ACC3", [" IMPRESSION: Clear."])
    (tmp_path / "batch.hl7").write_bytes("\n".join([good, broken, third]).encode("utf-8"))
    intake = read_hl7(tmp_path / "batch.hl7", tmp_path)
    assert [r.accession for r in intake.reports] == ["ACC1", "ACC3"]
    first = intake.reports[0]
    assert first.text == " FINDINGS: a | b ^ c & d ~ e \\ f\n Second line."
    assert first.patient_id == "123456"
    assert first.patient_name == "Doe Jane Q"
    assert first.ordering_provider == "Bell Hope"
    assert first.exam_code == "C11"
    assert first.exam_name == "CHEST (PA AND LAT)"
    assert [(q.source, q.item) for q in intake.quarantined] == [("batch.hl7", "message 1")]


def test_csv_with_missing_columns_is_quarantined_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("accession,report\nA,x\n", encoding="utf-8")
    intake = read_ris_csv(tmp_path / "r.csv")
    assert not intake.reports
    [bad] = intake.quarantined
    assert (bad.item, bad.kind) == ("", "csv-file-unusable")
    assert "accession_number, patient_id, report_text" in bad.detail


def test_csv_rows_with_empty_required_values_are_quarantined(tmp_path: Path) -> None:
    text = 'accession_number,patient_id,report_text\nA1,P1,"multi\nline"\nA2,,"x"\n'
    (tmp_path / "r.csv").write_text(text, encoding="utf-8")
    intake = read_ris_csv(tmp_path / "r.csv", tmp_path)
    assert [r.text for r in intake.reports] == ["multi\nline"]
    assert intake.quarantined[0].item == "row 1"
    assert "patient_id" in intake.quarantined[0].detail


def test_text_tree(tmp_path: Path) -> None:
    folder = tmp_path / "files" / "p10" / "p10000032"
    folder.mkdir(parents=True)
    (folder / "s50414267.txt").write_text(" FINDINGS: Clear.\n", encoding="utf-8")
    (folder / "notes.txt").write_text("ignored", encoding="utf-8")
    intake = read_text_tree(tmp_path)
    assert [(r.patient_id, r.accession) for r in intake.reports] == [("10000032", "50414267")]
    assert read_reports(tmp_path).reports == intake.reports


def test_a_missing_source_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        read_reports(tmp_path / "nope")
