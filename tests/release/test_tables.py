"""Release tables: the same rows give the same bytes; the checksums list the release only."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from cxrkit.release.tables import (
    csv_bytes,
    gzip_bytes,
    release_files,
    sha256_file,
    write_checksums,
    write_csv_gz,
)


def test_csv_bytes_keep_the_columns_order_and_write_none_as_empty() -> None:
    rows = [{"b": 2, "a": None, "extra": "dropped"}, {"a": 1.0, "b": "x,y"}]
    assert csv_bytes(("a", "b"), rows) == b'a,b\n,2\n1.0,"x,y"\n'


def test_gzip_bytes_depend_on_the_data_only() -> None:
    data = b"subject_id,study_id\n1,2\n"
    first = gzip_bytes(data)
    assert first == gzip_bytes(data)
    assert first[4:8] == b"\0\0\0\0"  # no timestamp
    assert first[3] & 0x08 == 0  # no file name
    assert gzip.decompress(first) == data


def test_write_csv_gz_writes_the_same_bytes_twice(tmp_path: Path) -> None:
    rows = [{"a": 1, "b": "é"}]
    write_csv_gz(tmp_path / "one.csv.gz", ("a", "b"), rows)
    write_csv_gz(tmp_path / "two.csv.gz", ("a", "b"), rows)
    assert (tmp_path / "one.csv.gz").read_bytes() == (tmp_path / "two.csv.gz").read_bytes()
    assert gzip.decompress((tmp_path / "one.csv.gz").read_bytes()).decode() == "a,b\n1,é\n"


def test_release_files_leave_out_checksums_temporaries_and_the_database(tmp_path: Path) -> None:
    for rel in ("b.txt", "a/c.txt", "SHA256SUMS.txt", "a/.tmp-12-x.txt", "cxr.duckdb"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel)
    assert release_files(tmp_path) == ["a/c.txt", "b.txt"]


def test_checksums_are_in_the_sha256sum_format(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "x.txt").write_bytes(b"x\n")
    (tmp_path / "README.md").write_bytes(b"r\n")
    path = write_checksums(tmp_path)
    x, r = hashlib.sha256(b"x\n").hexdigest(), hashlib.sha256(b"r\n").hexdigest()
    assert sha256_file(tmp_path / "files" / "x.txt") == x
    assert path.read_text(encoding="utf-8") == f"{r}  README.md\n{x}  files/x.txt\n"
