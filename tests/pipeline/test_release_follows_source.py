"""The release follows the source: OUT holding files this workspace did not write is refused,
studies whose source is gone and withdrawn patients are removed, every other id kept."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import tiny_export as tiny
from click.testing import CliRunner, Result

from cxrkit.cli import main
from cxrkit.release.verify import verify


def run_build(src: Path, out: Path, private: Path, *extra: str) -> Result:
    args = ["build", str(src), str(out), "--private", str(private), "--workers", "1", "-q"]
    return CliRunner().invoke(main, [*args, *extra])


def records(out: Path) -> set[tuple[str, str, str]]:
    lines = gzip.decompress((out / "cxr-record-list.csv.gz").read_bytes()).decode().splitlines()
    return {tuple(line.split(",")[:3]) for line in lines[1:]}  # type: ignore[misc]


def splits(out: Path) -> dict[str, str]:
    data = gzip.decompress((out / "mimic-cxr-2.0.0-split.csv.gz").read_bytes()).decode()
    return {row.split(",")[2]: row.split(",")[3] for row in data.splitlines()[1:]}


def test_a_foreign_file_in_out_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    tiny.export(src, patients=1, studies=1)
    out = tmp_path / "out"
    (out / "files").mkdir(parents=True)
    (out / "files" / "Doe_Jane_MRN0.txt").write_text("Doe, Jane MRN0\n", encoding="utf-8")
    result = run_build(src, out, tmp_path / "private")
    assert result.exit_code == 7, result.output
    assert "1 files that no build" in result.output
    assert "Doe" not in result.output and "MRN0" not in result.output
    listed = (tmp_path / "private" / "foreign-files.txt").read_text(encoding="utf-8")
    assert listed == "files/Doe_Jane_MRN0.txt\n"
    assert sorted(p.name for p in out.rglob("*")) == ["Doe_Jane_MRN0.txt", "files"]


def test_another_workspace_s_release_is_refused_the_same_one_resumed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    tiny.export(src, patients=1, studies=1)
    out = tmp_path / "out"
    assert run_build(src, out, tmp_path / "private").exit_code == 0
    before = (out / "SHA256SUMS.txt").read_bytes()
    result = run_build(src, out, tmp_path / "other")
    assert result.exit_code == 7, result.output
    assert (out / "SHA256SUMS.txt").read_bytes() == before
    assert run_build(src, out, tmp_path / "private").exit_code == 0
    assert (out / "SHA256SUMS.txt").read_bytes() == before


def test_a_study_whose_source_is_gone_is_removed_on_rerun(tmp_path: Path) -> None:
    src = tmp_path / "src"
    tiny.export(src, patients=2, studies=2)
    out, private = tmp_path / "out", tmp_path / "private"
    assert run_build(src, out, private).exit_code == 0
    before = records(out)
    shutil.rmtree(src / "dicom" / "P1" / "ACC11")
    tiny.reports(src, [("ACC00", "MRN0"), ("ACC01", "MRN0"), ("ACC10", "MRN1")])
    result = run_build(src, out, private)
    assert result.exit_code == 0, result.output
    assert "removed from the release: 5 files of 1 studies" in result.output
    after = records(out)
    assert after < before and len(before - after) == 2
    assert verify(out, private, ocr=False).ok


def test_withdraw_removes_a_patient_and_keeps_every_other_id_and_split(tmp_path: Path) -> None:
    src = tmp_path / "src"
    tiny.export(src, patients=3, studies=1)
    out, private = tmp_path / "out", tmp_path / "private"
    assert run_build(src, out, private, "--validate-patients", "1").exit_code == 0
    before, split_before = records(out), splits(out)
    optout = tmp_path / "optout.csv"
    optout.write_text("patient_id\nMRN1\n", encoding="utf-8")
    result = run_build(src, out, private, "--validate-patients", "1", "--withdraw", str(optout))
    assert result.exit_code == 0, result.output  # withdrawn on purpose: no quarantine
    assert "withdrawn:" in result.output
    after = records(out)
    assert after < before and len({s for s, _, _ in before - after}) == 1
    assert all(split_before[s] == v for s, v in splits(out).items())
    assert verify(out, private, ocr=False).ok
    # and in every later build, without the option
    assert run_build(src, out, private, "--validate-patients", "1").exit_code == 0
    assert records(out) == after


def test_a_stray_temporary_file_is_never_checksummed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    tiny.export(src, patients=1, studies=1)
    out, private = tmp_path / "out", tmp_path / "private"
    assert run_build(src, out, private).exit_code == 0
    report = next((out / "files").rglob("*.txt"))
    stray = report.with_name(f".tmp-999-{report.name}")
    stray.write_text("half a report", encoding="utf-8")
    assert run_build(src, out, private).exit_code == 0
    assert ".tmp-" not in (out / "SHA256SUMS.txt").read_text(encoding="utf-8")
    assert not stray.exists()
    assert verify(out).ok
    editor_copy = report.with_name(f"{report.name}~")  # not ours: refused, never checksummed
    editor_copy.write_text("half a report", encoding="utf-8")
    assert run_build(src, out, private).exit_code == 7
    assert editor_copy.name not in (out / "SHA256SUMS.txt").read_text(encoding="utf-8")


def test_withdraw_with_an_issuer_column_removes_that_patient_only(tmp_path: Path) -> None:
    """Two hospitals' patients share the Patient ID ``MRN1``: the issuer tells them apart."""
    src = tmp_path / "src"
    for issuer, accession in (("NORTH", "ACCN"), ("SOUTH", "ACCS")):
        for n in range(2):
            path = src / "dicom" / issuer / accession / f"IM{n}"
            tiny.edited(path, "MRN1", accession, n, IssuerOfPatientID=issuer)
    tiny.reports(src, [("ACCN", "MRN1"), ("ACCS", "MRN1")])
    out, private = tmp_path / "out", tmp_path / "private"
    assert run_build(src, out, private).exit_code == 0
    before = records(out)
    assert len({s for s, _, _ in before}) == 2
    optout = tmp_path / "optout.csv"
    optout.write_text("patient_id,issuer_of_patient_id\nMRN1,NORTH\n", encoding="utf-8")
    result = run_build(src, out, private, "--withdraw", str(optout))
    assert result.exit_code == 0, result.output
    after = records(out)
    assert len(before - after) == 2 and len({s for s, _, _ in after}) == 1
    assert after < before
    assert verify(out, private, ocr=False).ok
    # the other hospital's MRN1 stays in every later build
    assert run_build(src, out, private).exit_code == 0
    assert records(out) == after
