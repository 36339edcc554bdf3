"""One report through segments, de-identification and sections, and its release file."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cxrkit.release.layout import report_path, write_report
from cxrkit.reports import process_report, read_reports
from cxrkit.sources.synth import SynthSummary


def test_released_text_holds_no_planted_phi(export50: SynthSummary) -> None:
    root = export50.root
    records = {(r.source, r.accession): r for r in read_reports(root).reports}
    planted: dict[tuple[str, str], set[str]] = {}
    for line in (root / "truth" / "phi.jsonl").open(encoding="utf-8"):
        entry = json.loads(line)
        if entry["where"] == "report" and entry["category"] != "time":
            planted.setdefault((entry["file"], entry["accession"]), set()).add(entry["value"])
    for key, record in records.items():
        report = process_report(record.text, record.deny_list())
        assert max(len(line) for line in report.text.split("\n")) <= 79
        words = set(re.findall(r"[A-Za-z0-9]+", report.text))
        for value in planted.get(key, ()):
            leaked = [w for w in re.findall(r"[A-Za-z0-9]{4,}", value) if w in words]
            # an ordinary word may survive elsewhere ("Hope" as a verb); a name may not
            # survive next to its placeholder
            assert not any(f"Dr. {w}" in report.text for w in leaked), (key, value)
        assert record.accession not in report.text
        assert record.patient_id not in report.text


def test_process_keeps_times_and_finds_sections() -> None:
    raw = (
        " PATIENT: HOPE, MAY  MRN: 123456\n ____________\n"
        " FINAL REPORT\n FINDINGS:  May represent atelectasis. d/w Dr. Bell at 10:30.\n \n"
        " IMPRESSION:  Frank edema.\n \n Electronically signed by: DR. WILL GRANT on 3/4/2015"
    )
    report = process_report(raw)
    assert "123456" not in report.text and "HOPE" not in report.text
    assert "May represent atelectasis. d/w Dr. ___ at 10:30." in report.text
    assert report.sections.label_text == "Frank edema."
    assert report.segments.dropped == 1


def test_write_report_uses_the_release_layout(tmp_path: Path) -> None:
    path = write_report(tmp_path, 10000032, 50414267, " FINDINGS: Clear.")
    assert path == tmp_path / report_path(10000032, 50414267)
    assert path.relative_to(tmp_path).as_posix() == "files/p10/p10000032/s50414267.txt"
    assert path.read_text(encoding="utf-8") == " FINDINGS: Clear.\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["s50414267.txt"]
