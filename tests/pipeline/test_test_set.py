"""``cxrkit build --test-set``: the manual labels of released studies put every study of their
patients in test on a rebuild, every id kept, and the file goes into the release root."""

from __future__ import annotations

import gzip
from pathlib import Path

import tiny_export as tiny
from click.testing import CliRunner, Result

from cxrkit.cli import main
from cxrkit.release.layout import report_path
from cxrkit.release.tables import write_checksums
from cxrkit.release.verify import verify
from cxrkit.review.export import TEST_SET_LABELS, write_test_set_labels

Ids = set[tuple[str, str, str]]


def run_build(src: Path, out: Path, private: Path, *extra: object) -> Result:
    args = ["build", str(src), str(out), "--private", str(private), "--workers", "1", "-q"]
    return CliRunner().invoke(main, [*args, *map(str, extra)])


def table(out: Path, name: str) -> list[list[str]]:
    text = gzip.decompress((out / name).read_bytes()).decode()
    return [line.split(",") for line in text.splitlines()[1:]]


def records(out: Path) -> Ids:
    return {(r[0], r[1], r[2]) for r in table(out, "cxr-record-list.csv.gz")}


def splits(out: Path) -> dict[str, str]:
    """subject_id → split."""
    return {r[2]: r[3] for r in table(out, "mimic-cxr-2.0.0-split.csv.gz")}


def studies_by_subject(out: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for subject, study, _ in table(out, "cxr-study-list.csv.gz"):
        found.setdefault(subject, []).append(study)
    return found


def built(tmp_path: Path, patients: int = 3) -> tuple[Path, Path, Path]:
    src, out, private = tmp_path / "src", tmp_path / "out", tmp_path / "private"
    tiny.export(src, patients=patients, studies=2, images=1)
    result = run_build(src, out, private, "--validate-patients", "1")
    assert result.exit_code == 0, result.output
    return src, out, private


def labels_of(tmp_path: Path, out: Path, subject: str, study: str) -> Path:
    """The review export's file for one report of ``subject`` (its item id as study id)."""
    item = report_path(subject, study).as_posix()
    rows = [{"study_id": item, "Edema": "1", "No Finding": ""}]
    return write_test_set_labels(tmp_path / "review" / TEST_SET_LABELS, rows)


def test_a_rebuild_with_a_test_set_moves_those_patients_only_and_keeps_every_id(
    tmp_path: Path,
) -> None:
    src, out, private = built(tmp_path)
    before, split_before = records(out), splits(out)
    by_subject = studies_by_subject(out)
    chosen = next(s for s, v in sorted(split_before.items()) if v != "test")
    labels = labels_of(tmp_path, out, chosen, by_subject[chosen][0])

    result = run_build(src, out, private, "--validate-patients", "1", "--test-set", labels)

    assert result.exit_code == 0, result.output
    assert "manual test set: 1 labeled studies of 1 patients in test (1 moved" in result.output
    assert records(out) == before
    assert splits(out) == {**split_before, chosen: "test"}
    assert all(r[3] == "test" for r in table(out, "mimic-cxr-2.0.0-split.csv.gz") if r[2] == chosen)
    released = (out / TEST_SET_LABELS).read_bytes()
    assert released == labels.read_bytes()  # the review's file, as it is
    assert (out / "jpg" / TEST_SET_LABELS).read_bytes() == released
    sums = (out / "SHA256SUMS.txt").read_text(encoding="utf-8")
    assert f"  {TEST_SET_LABELS}\n" in sums and f"  jpg/{TEST_SET_LABELS}\n" in sums
    assert "manual labels of 1 test studies" in (out / "README.md").read_text(encoding="utf-8")
    report = verify(out)
    assert report.ok, dict(report.problems)

    again = run_build(src, out, private, "--validate-patients", "1")  # the workspace remembers
    assert again.exit_code == 0, again.output
    assert "(0 moved there by this build)" in again.output
    assert records(out) == before and splits(out)[chosen] == "test"
    assert (out / TEST_SET_LABELS).read_bytes() == released


def test_study_ids_the_workspace_never_released_are_refused_before_anything_changes(
    tmp_path: Path,
) -> None:
    src, out, private = built(tmp_path)
    sums = (out / "SHA256SUMS.txt").read_bytes()
    study = studies_by_subject(out)[min(splits(out))][0]
    labels = tmp_path / TEST_SET_LABELS
    labels.write_text(f"study_id,Edema\n{study},1.0\ns59999999,0.0\n12345,\n", encoding="utf-8")

    result = run_build(src, out, private, "--test-set", labels)

    assert result.exit_code == 1, result.output
    assert "2 study ids of" in result.output and "first: 59999999" in result.output
    assert "12345" not in result.output  # not a released id: perhaps a source id
    assert (out / "SHA256SUMS.txt").read_bytes() == sums
    assert not (private / TEST_SET_LABELS).exists()


def test_a_test_set_file_with_another_column_or_value_is_refused(tmp_path: Path) -> None:
    src, out, private = built(tmp_path, patients=1)
    study = studies_by_subject(out)[min(splits(out))][0]
    labels = tmp_path / "labels.csv"
    for text, said in (
        (f"study_id,patient_id\n{study},MRN0\n", "'patient_id' is not one of the 14"),
        (f"study_id,Edema\n{study},2\n", "row 2: '2' is not a label value"),
        ("subject_id,Edema\n1,1\n", "needs a header row with a study_id column"),
    ):
        labels.write_text(text, encoding="utf-8")
        result = run_build(src, out, private, "--test-set", labels)
        assert result.exit_code == 1 and said in result.output, result.output
        assert "MRN0" not in result.output
    assert not (private / TEST_SET_LABELS).exists()


def test_test_set_and_test_patients_are_merged(tmp_path: Path) -> None:
    src, out, private = built(tmp_path, patients=2)
    before, split_before = records(out), splits(out)
    labeled = min(split_before)
    labels = labels_of(tmp_path, out, labeled, studies_by_subject(out)[labeled][0])
    tiny.export(src, patients=3, studies=2, images=1)  # a new patient, MRN2
    listed = tmp_path / "test_patients.csv"
    listed.write_text("patient_id\nMRN2\n", encoding="utf-8")

    result = run_build(src, out, private, "--test-patients", listed, "--test-set", labels)

    assert result.exit_code == 0, result.output
    after = splits(out)
    assert records(out) > before
    new = set(after) - set(split_before)
    assert len(new) == 1 and after[new.pop()] == "test"
    assert after[labeled] == "test"
    assert {s: v for s, v in after.items() if s in split_before and s != labeled} == {
        s: v for s, v in split_before.items() if s != labeled
    }


def test_verify_finds_labels_of_a_study_not_released_or_not_in_test(tmp_path: Path) -> None:
    src, out, private = built(tmp_path, patients=2)
    labeled, other = sorted(splits(out))
    by_subject = studies_by_subject(out)
    labels = labels_of(tmp_path, out, labeled, by_subject[labeled][0])
    assert run_build(src, out, private, "--test-set", labels).exit_code == 0
    with (out / TEST_SET_LABELS).open("a", encoding="utf-8") as fh:
        fh.write(f"59999999,,,,1.0,,,,,,,,,,\n{by_subject[other][0]},,,,,,,,,,,,,,\n")
    write_checksums(out)

    problems = dict(verify(out).problems)

    assert problems == {
        f"{TEST_SET_LABELS} labels a study not in the release": ["59999999"],
        f"{TEST_SET_LABELS} labels a study not in test": [f"p{other}/s{by_subject[other][0]}"],
    }


def test_labels_of_withdrawn_patients_leave_the_release_file(tmp_path: Path) -> None:
    src, out, private = built(tmp_path, patients=2)
    by_subject = studies_by_subject(out)
    rows = [{"study_id": studies[0], "Edema": "0"} for studies in by_subject.values()]
    labels = write_test_set_labels(tmp_path / TEST_SET_LABELS, rows)
    assert run_build(src, out, private, "--test-set", labels).exit_code == 0
    withdraw = tmp_path / "withdraw.csv"

    withdraw.write_text("patient_id\nMRN0\n", encoding="utf-8")
    result = run_build(src, out, private, "--withdraw", withdraw)

    assert result.exit_code == 0, result.output
    (kept,) = splits(out)
    lines = (out / TEST_SET_LABELS).read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [by_subject[kept][0]]
    assert "2 labeled studies of 2 patients in test" in result.output
    assert "1 studies' labels in the release" in result.output
    assert verify(out).ok

    withdraw.write_text("patient_id\nMRN0\nMRN1\n", encoding="utf-8")
    assert run_build(src, out, private, "--withdraw", withdraw).exit_code == 0
    assert not (out / TEST_SET_LABELS).exists() and not (out / "jpg" / TEST_SET_LABELS).exists()
    assert verify(out).ok


def test_docstring_examples_of_the_test_set_and_its_file_format() -> None:
    import doctest

    from cxrkit.labels import schema
    from cxrkit.release import test_set

    for module in (test_set, schema):
        assert doctest.testmod(module).failed == 0, module.__name__
