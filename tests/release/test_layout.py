"""One atomic writer of release files: an interrupted write leaves nothing a release counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxrkit.release import layout
from cxrkit.release.layout import clean_temporaries, report_path, write_report
from cxrkit.release.tables import release_files, write_checksums


class _Killed(BaseException):
    """Stands for the process being killed between writing and renaming."""


def _kill_on_rename(monkeypatch: pytest.MonkeyPatch) -> None:
    def rename(self: Path, target: Path) -> Path:
        raise _Killed

    monkeypatch.setattr(Path, "replace", rename)


def test_a_report_killed_mid_write_is_no_release_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_report(tmp_path, 10000032, 50414267, " FINDINGS: Clear.")
    with monkeypatch.context() as patch:
        _kill_on_rename(patch)
        with pytest.raises(_Killed):
            write_report(tmp_path, 10000032, 50414268, " FINDINGS: Clear.")
    folder = tmp_path / "files" / "p10" / "p10000032"
    stray = [p.name for p in folder.iterdir() if p.name != "s50414267.txt"]
    assert len(stray) == 1 and layout.is_temporary(stray[0])
    assert release_files(tmp_path) == ["files/p10/p10000032/s50414267.txt"]
    write_checksums(tmp_path)
    assert "s50414268" not in (tmp_path / "SHA256SUMS.txt").read_text(encoding="utf-8")
    assert clean_temporaries(tmp_path) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["s50414267.txt"]


def test_report_path_and_write_report_agree(tmp_path: Path) -> None:
    path = write_report(tmp_path, "10000032", "50414267", "text")
    assert path == tmp_path / report_path(10000032, 50414267)
    assert path.read_bytes() == b"text\n"


def test_a_failed_write_removes_its_temporary(tmp_path: Path) -> None:
    target = tmp_path / "x.csv.gz"
    target.mkdir()  # renaming a file onto a folder fails
    with pytest.raises(OSError):
        layout.write_atomic(target, b"data")
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv.gz"]


def test_no_module_but_layout_makes_temporary_names() -> None:
    src = Path(layout.__file__).parents[1]
    writers = [
        path.relative_to(src).as_posix()
        for path in sorted(src.rglob("*.py"))
        if path.name != "layout.py"
        and "tmp" in path.read_text(encoding="utf-8").lower()
        and ".replace(" in path.read_text(encoding="utf-8")
        and "with_name(" in path.read_text(encoding="utf-8")
    ]
    assert writers == []
