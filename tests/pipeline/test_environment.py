"""Environment faults stop a build with one line naming the folder and the fault's exit code;
nothing is half written and running the same command again completes the release."""

from __future__ import annotations

import errno
import os
import pathlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dying_worker
import pytest
import sqlalchemy as sa
import tiny_export as tiny
from click.testing import CliRunner, Result

import cxrkit.identity.keystore as keystore_module
from cxrkit.cli import main
from cxrkit.errors import DiskFullError
from cxrkit.pipeline import image_work
from cxrkit.pipeline.environment import keystore_fault
from cxrkit.release.verify import verify


def run_build(src: Path, out: Path, private: Path, workers: int = 1) -> Result:
    args = ["build", str(src), str(out), "--private", str(private), "--workers", str(workers)]
    return CliRunner().invoke(main, [*args, "-q"])


def one_line_error(result: Result, exit_code: int, *words: str) -> None:
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    for word in words:
        assert word in errors[0]
    assert "MRN" not in result.output and "Doe" not in result.output


def checksums(out: Path) -> str:
    return (out / "SHA256SUMS.txt").read_text(encoding="utf-8")


def temporaries(out: Path) -> list[Path]:
    return list(out.rglob(".tmp-*"))


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    tiny.export(root, patients=2, studies=2)
    return root


@pytest.fixture
def reference(src: Path, tmp_path: Path) -> str:
    """The checksums of an uninterrupted build of ``src`` with the workspace ``private``."""
    result = run_build(src, tmp_path / "reference", tmp_path / "private")
    assert result.exit_code == 0, result.output
    return checksums(tmp_path / "reference")


def fail_writes(
    monkeypatch: pytest.MonkeyPatch, under: Path, code: int, after: int = 0
) -> Callable[[], None]:
    """Writes of files under ``under`` raise ``OSError(code)`` after ``after`` good ones, each
    leaving half its bytes behind (as a full disk does); returns the undo."""
    real = pathlib.Path.write_bytes
    count = {"n": 0}

    def write_bytes(self: Path, data: Any) -> int:
        if under in self.absolute().parents:
            count["n"] += 1
            if count["n"] > after:
                real(self, bytes(data)[: len(data) // 2])
                raise OSError(code, os.strerror(code), str(self))
        return real(self, data)

    monkeypatch.setattr(pathlib.Path, "write_bytes", write_bytes)
    return lambda: monkeypatch.setattr(pathlib.Path, "write_bytes", real)


def test_a_full_disk_on_out_stops_and_a_rerun_completes(
    src: Path, tmp_path: Path, reference: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    undo = fail_writes(monkeypatch, out.absolute(), errno.ENOSPC, after=5)
    one_line_error(run_build(src, out, tmp_path / "private"), 4, "no space left", "OUT")
    assert temporaries(out) == []
    undo()
    assert run_build(src, out, tmp_path / "private").exit_code == 0
    assert checksums(out) == reference
    assert verify(out, tmp_path / "private", ocr=False).ok


def test_a_read_only_out_is_refused_before_any_work(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    fail_writes(monkeypatch, out.absolute(), errno.EROFS)
    one_line_error(run_build(src, out, tmp_path / "private"), 5, "read-only", "OUT")
    assert list(out.rglob("*")) == []


def test_a_forbidden_private_workspace_is_named(
    src: Path, tmp_path: Path, reference: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = tmp_path / "private"
    fail_writes(monkeypatch, private.absolute(), errno.EACCES)
    result = run_build(src, tmp_path / "out", private)
    one_line_error(result, 5, "private workspace")


def _limit_keystore(monkeypatch: pytest.MonkeyPatch) -> None:
    """The keystore cannot grow: SQLite answers "database or disk is full"."""
    real = keystore_module.engine_for

    def engine_for(private: Path, url: str | None = None) -> sa.Engine:
        engine = real(private, url)
        with sqlite3.connect(private / "keystore.sqlite") as conn:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]

        @sa.event.listens_for(engine, "connect")
        def limit(dbapi_connection: Any, _: Any) -> None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {max(pages, 1)}")

        return engine

    monkeypatch.setattr(keystore_module, "engine_for", engine_for)


def test_a_full_keystore_stops_and_is_not_damaged(
    src: Path, tmp_path: Path, reference: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = tmp_path / "private"
    more = tmp_path / "more"
    tiny.export(more, patients=40, studies=1, images=1)
    _limit_keystore(monkeypatch)
    one_line_error(run_build(more, tmp_path / "out", private), 4, "keystore", "private")
    monkeypatch.undo()
    with sqlite3.connect(private / "keystore.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert run_build(src, tmp_path / "again", private).exit_code == 0
    assert checksums(tmp_path / "again") == reference  # every identifier kept


def test_a_corrupt_keystore_is_refused_and_left_alone(
    src: Path, tmp_path: Path, reference: str
) -> None:
    store = tmp_path / "private" / "keystore.sqlite"
    damaged = b"not a database at all\n" * 100
    store.write_bytes(damaged)
    result = run_build(src, tmp_path / "out", tmp_path / "private")
    one_line_error(result, 6, "keystore", "damaged", "backup")
    assert store.read_bytes() == damaged


def test_an_unreadable_key_file_is_named(
    src: Path, tmp_path: Path, reference: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pathlib.Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "secret.key":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)
    result = run_build(src, tmp_path / "out", tmp_path / "private")
    one_line_error(result, 6, "secret.key", "EACCES")


def _kill_worker_on(monkeypatch: pytest.MonkeyPatch, name: str, marker: Path | None) -> None:
    """The local pool's worker processing source ``name`` dies (every time, or once if
    ``marker``)."""
    monkeypatch.setattr(image_work, "process_image", dying_worker.dying(name, marker))


def test_a_killed_worker_s_batch_is_retried(
    src: Path, tmp_path: Path, reference: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _kill_worker_on(monkeypatch, "P1/ACC10/IM0", tmp_path / "killed-once")
    result = run_build(src, tmp_path / "out", tmp_path / "private", workers=2)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "killed-once").exists()
    assert checksums(tmp_path / "out") == reference


def test_a_worker_killed_twice_quarantines_its_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    tiny.export(src, patients=3, studies=2)  # 12 images: two batches
    _kill_worker_on(monkeypatch, "P1/ACC10/IM0", None)
    result = run_build(src, tmp_path / "out", tmp_path / "private", workers=2)
    assert result.exit_code == 3, result.output
    assert "worker-died" in result.output
    quarantine = (tmp_path / "private" / "quarantine.csv").read_text(encoding="utf-8")
    assert "P1/ACC10/IM0,,image,worker-died" in quarantine
    assert quarantine.count("worker-died") == 8  # its batch
    assert len(list((tmp_path / "out" / "files").rglob("*.dcm"))) == 4  # the other batch
    assert verify(tmp_path / "out", tmp_path / "private", ocr=False).ok


@pytest.mark.parametrize("once", [True, False], ids=["killed-once", "killed-twice"])
def test_a_killed_dask_worker_s_batch_is_retried_then_quarantined(
    tmp_path: Path, once: bool
) -> None:
    """Dask gives up on a task whose worker died with ``KilledWorker`` (here at once: no
    retries of its own); the build runs the batch once more, then quarantines it. The workers
    are spawned (a forked worker can hang on a lock held by another thread of this process),
    and a worker plugin gives each of them the dying image step."""
    dask = pytest.importorskip("dask")
    from distributed import Client, LocalCluster

    src = tmp_path / "src"
    tiny.export(src, patients=3, studies=2)  # 12 images: two batches
    marker = tmp_path / "killed-once" if once else None
    config = {
        "distributed.worker.multiprocessing-method": "spawn",
        "distributed.scheduler.allowed-failures": 0,
    }
    with (
        dask.config.set(config),
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        client.register_plugin(dying_worker.KillOn("P1/ACC10/IM0", marker))
        args = ["build", str(src), str(tmp_path / "out"), "--private", str(tmp_path / "private")]
        result = CliRunner().invoke(main, [*args, "--scheduler", cluster.scheduler_address, "-q"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == (0 if once else 3), result.output
    images = len(list((tmp_path / "out" / "files").rglob("*.dcm")))
    assert images == (12 if once else 4)
    if not once:
        quarantine = (tmp_path / "private" / "quarantine.csv").read_text(encoding="utf-8")
        assert quarantine.count("worker-died") == 8  # its batch
    assert verify(tmp_path / "out", tmp_path / "private", ocr=False).ok


def test_a_missing_key_beside_a_used_keystore_is_refused(src: Path, tmp_path: Path) -> None:
    private = tmp_path / "private"
    assert run_build(src, tmp_path / "out", private).exit_code == 0
    (private / "secret.key").unlink()
    result = run_build(src, tmp_path / "out", private)
    one_line_error(result, 6, "secret.key", "restore the key from backup")
    assert not (private / "secret.key").exists()  # no new key made


def test_a_damaged_released_image_is_written_again(src: Path, tmp_path: Path) -> None:
    out, private = tmp_path / "out", tmp_path / "private"
    assert run_build(src, out, private).exit_code == 0
    before = checksums(out)
    image = sorted((out / "files").rglob("*.dcm"))[0]
    image.write_bytes(image.read_bytes()[:1000])  # cut inside the header
    result = run_build(src, out, private)
    assert result.exit_code == 0, result.output
    assert checksums(out) == before


def test_a_full_keystore_inside_a_savepoint_is_a_full_disk(tmp_path: Path) -> None:
    """SQLite rolls the whole transaction back on a full disk, so the savepoint's rollback
    fails next ("no such savepoint"): the first fault decides."""
    full = sa.exc.OperationalError(
        "INSERT", {}, sqlite3.OperationalError("database or disk is full")
    )
    try:
        try:
            raise sa.exc.OperationalError("INSERT", {}, full)
        except sa.exc.OperationalError:
            raise sa.exc.OperationalError(
                "ROLLBACK TO SAVEPOINT", {}, sqlite3.OperationalError("no such savepoint: sp_1")
            ) from None
    except sa.exc.OperationalError as exc:
        fault = keystore_fault(exc, {"the private workspace": tmp_path})
    assert isinstance(fault, DiskFullError), fault
    assert fault.exit_code == 4
