"""Environment faults: a full disk, a read-only or forbidden folder, a damaged keystore.

Unlike bad input (quarantined, the build goes on), these stop the build with one line that
names the folder as given on the command line (OUT, the private workspace or the source) and
what to do, never a value, with the exit code of the fault (see :mod:`cxrkit.errors`). Every
release file is written whole or not at all, and the keystore commits each allocation in a
transaction, so running the same command again once the fault is fixed completes the build.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from cxrkit.errors import (
    CxrkitError,
    DiskFullError,
    NotWritableError,
    OutputError,
    WorkspaceError,
)
from cxrkit.release.layout import TEMPORARY_PREFIX

DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
NOT_WRITABLE = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
RERUN = "then run the same command again (the build resumes where it stopped)"
#: label → folder, as given on the command line: what an error message may name.
Folders = Mapping[str, Path]


def _where(filename: object, folders: Folders) -> str:
    """The folder (of ``folders``) that holds ``filename``, named by its label."""
    if isinstance(filename, str | bytes | os.PathLike):
        path = Path(os.fsdecode(filename)).absolute()
        for label, folder in folders.items():
            root = Path(folder).absolute()
            if path == root or root in path.parents:
                return f"{label} {folder}"
    return "a folder the build uses"


def os_fault(exc: OSError, folders: Folders) -> CxrkitError:
    """The one-line error for an operating-system fault on one of ``folders``."""
    where = _where(exc.filename, folders)
    code = errno.errorcode.get(exc.errno or 0, "unknown error")
    if exc.errno in DISK_FULL:
        return DiskFullError(f"no space left on the device of {where}: free some space, {RERUN}")
    if exc.errno in NOT_WRITABLE:
        return NotWritableError(
            f"{where} is read-only or not permitted ({code}): make it writable, {RERUN}"
        )
    return OutputError(f"{where} cannot be used ({code}: {os.strerror(exc.errno or 0)}); {RERUN}")


def _database_messages(exc: BaseException) -> str:
    """The database's messages along the exception chain, lower case, for matching only: a
    fault inside a savepoint (SQLite's "database or disk is full") is often followed by a
    second one ("no such savepoint") when the rollback finds the transaction already gone."""
    found: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(found) < 8:
        found.append(str(seen.orig if isinstance(seen, DBAPIError) else seen).lower())
        seen = seen.__cause__ or seen.__context__
    return " | ".join(found)


def keystore_fault(exc: DBAPIError, folders: Folders) -> CxrkitError:
    """The one-line error for a keystore database fault (the database's message is not
    quoted: it could hold a statement's values)."""
    what = _database_messages(exc)
    where = next((f"{k} {v}" for k, v in folders.items() if "private" in k), "the keystore")
    if "full" in what:
        return DiskFullError(f"no space left for the keystore in {where}: free some space, {RERUN}")
    if "readonly" in what or "read-only" in what:
        return NotWritableError(f"the keystore in {where} is read-only: make it writable, {RERUN}")
    if "not a database" in what or "malformed" in what or "corrupt" in what:
        return WorkspaceError(
            f"the keystore in {where} is damaged: restore keystore.sqlite from your backup "
            "(a new keystore would give every patient new identifiers)"
        )
    return WorkspaceError(f"the keystore in {where} cannot be used ({type(exc.orig).__name__})")


@contextmanager
def environment_faults(folders: Folders) -> Iterator[None]:
    """Turn operating-system and keystore faults inside the block into one-line errors."""
    try:
        yield
    except CxrkitError:
        raise
    except OSError as exc:
        raise os_fault(exc, folders) from None
    except DBAPIError as exc:
        raise keystore_fault(exc, folders) from None


def probe_writable(folder: Path, folders: Folders) -> None:
    """Make ``folder`` and check that a file can be written in it, before any work is done."""
    with environment_faults(folders):
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f"{TEMPORARY_PREFIX}probe-{os.getpid()}"
        try:
            probe.write_bytes(b"")
        finally:
            probe.unlink(missing_ok=True)
