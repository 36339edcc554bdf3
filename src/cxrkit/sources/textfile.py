"""Text files of an export (RIS CSV, HL7 v2, patient lists): bytes to text, encoding stated.

Hospital systems write UTF-8 (with or without a byte order mark), UTF-16 with a byte order
mark (spreadsheet "Unicode text"), or a Windows code page. The decode chain is strict and
deterministic: a byte order mark decides; else strict UTF-8; else Windows-1252, which decodes
every byte but five; else Latin-1, which decodes every byte. A file with NUL bytes or many
control characters is binary, not text, and is refused. Errors name the problem only, never
the file's content; callers add the file's place.
"""

from __future__ import annotations

import codecs
import csv
import errno
import io
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from cxrkit.errors import SourceError

__all__ = ["TextFile", "decode_text", "read_column", "read_text"]

# Report cells are whole reports: lift the csv module's 128 KiB default for a cell.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control bytes that text files do hold: tab, line feed, vertical tab (HL7 MLLP start),
# form feed, carriage return, substitute (DOS end of file), file separator (MLLP end).
_TEXT_CONTROLS = b"\t\n\x0b\x0c\r\x1a\x1c"
# Every byte but the other control bytes: deleting these leaves the suspicious ones (in C).
_NOT_SUSPICIOUS = bytes(
    b for b in range(256) if not ((b < 0x20 or b == 0x7F) and b not in _TEXT_CONTROLS)
)
_MAX_CONTROL_SHARE = 0.01


@dataclass(frozen=True)
class TextFile:
    """A file's text and the encoding it was read with (``utf-8``, ``cp1252`` …)."""

    text: str
    encoding: str

    @property
    def read_as(self) -> str:
        """`` (input read as cp1252)`` for a file that was not UTF-8, else "" (for a summary).

        Examples
        --------
        >>> TextFile("", "utf-8-sig").read_as, TextFile("", "latin-1").read_as
        ('', ' (input read as latin-1)')
        """
        return (
            "" if self.encoding in ("utf-8", "utf-8-sig") else f" (input read as {self.encoding})"
        )


def _is_binary(data: bytes) -> bool:
    if b"\x00" in data:
        return True
    return len(data.translate(None, _NOT_SUSPICIOUS)) > _MAX_CONTROL_SHARE * len(data)


def decode_text(data: bytes) -> TextFile:
    """Decode a text file's bytes; :class:`SourceError` for binary content.

    Examples
    --------
    >>> decode_text("Zoë".encode("utf-8")).encoding
    'utf-8'
    >>> decode_text("Zoë".encode("cp1252"))
    TextFile(text='Zoë', encoding='cp1252')
    >>> decode_text(codecs.BOM_UTF8 + b"a,b").text
    'a,b'
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return TextFile(data.decode(encoding), encoding)
            except UnicodeDecodeError:
                raise SourceError("binary content, not text") from None
    if _is_binary(data):
        raise SourceError("binary content, not text")
    for encoding in ("utf-8", "cp1252"):
        try:
            return TextFile(data.decode(encoding), encoding)
        except UnicodeDecodeError:
            continue
    return TextFile(data.decode("latin-1"), "latin-1")


def _os_reason(exc: OSError) -> str:
    """What went wrong, without the file name the exception carries."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if isinstance(exc, FileNotFoundError):
        return "missing (or a dangling symlink)"
    return (exc.strerror or type(exc).__name__).lower()


def read_text(path: Path) -> TextFile:
    """A regular file's text; :class:`SourceError` says why it cannot be read (no content).

    FIFOs, sockets and devices are refused before they are opened (reading one would block).
    """
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise SourceError(f"cannot be read: {kind}")
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot be read: {_os_reason(exc)}") from None
    return decode_text(data)


def read_column(path: Path) -> tuple[list[str], TextFile]:
    """The first cell of every row of a headerless CSV (one text per row, multi-line cells
    quoted) in any encoding :func:`decode_text` reads, and how it was decoded.

    :class:`SourceError` names ``path`` and the problem (binary, unreadable, broken quoting),
    never the content.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "r.csv"
    >>> _ = p.write_bytes(b'Caf\\xe9.\\n"one\\n\\ntwo"\\n')
    >>> texts, decoded = read_column(p)
    >>> texts, decoded.encoding
    (['Café.', 'one\\n\\ntwo'], 'cp1252')
    """
    try:
        decoded = read_text(path)
        rows = csv.reader(io.StringIO(decoded.text, newline=""), strict=True)
        return [row[0] if row else "" for row in rows], decoded
    except SourceError as exc:
        raise SourceError(f"{path}: {exc}; give a headerless one-column CSV") from None
    except csv.Error:
        raise SourceError(
            f"{path}: broken CSV quoting (a quote never closed?); multi-line cells are quoted"
        ) from None
