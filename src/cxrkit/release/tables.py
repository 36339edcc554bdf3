"""Release tables: sorted rows, deterministic bytes (gzip without a timestamp or a name)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cxrkit.release.layout import is_beside_release, write_atomic


def csv_bytes(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> bytes:
    """CSV text (header row, ``\\n`` line ends, ``None`` as empty) encoded as UTF-8."""
    buf = io.StringIO()
    writer = csv.DictWriter(
        buf, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in columns})
    return buf.getvalue().encode("utf-8")


def gzip_bytes(data: bytes) -> bytes:
    """Gzip with a zero timestamp and no file name, so equal input gives equal bytes."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def write_csv_gz(path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    write_atomic(path, gzip_bytes(csv_bytes(columns, rows)))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def release_files(root: Path) -> list[str]:
    """Every file of a release, relative, sorted; temporary and database files and the
    checksums excluded."""
    out = []
    for path in root.rglob("*"):
        if path.is_file():
            rel = path.relative_to(root).as_posix()
            if rel != "SHA256SUMS.txt" and not is_beside_release(rel):
                out.append(rel)
    return sorted(out)


def write_checksums(root: Path) -> Path:
    """``SHA256SUMS.txt`` in the ``sha256sum`` format (two spaces, relative path)."""
    lines = [f"{sha256_file(root / rel)}  {rel}\n" for rel in release_files(root)]
    path = root / "SHA256SUMS.txt"
    write_atomic(path, "".join(lines).encode("utf-8"))
    return path
