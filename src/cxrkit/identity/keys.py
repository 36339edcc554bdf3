"""The secret key of a private workspace, and the keyed hashes derived from it.

The key is 32 random bytes made at first use and stored as hex in ``<private>/secret.key``
with file mode 0600. Every pseudonym, UID and date shift is derived from it with HMAC-SHA256,
so the same key and the same source always give the same release, and nobody without the key
can recompute the mapping. Losing the key means losing the ability to add to a release with
the same identifiers: back the private workspace up.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from cxrkit.errors import ConfigError, WorkspaceError

KEY_FILE = "secret.key"
KEY_BYTES = 32


def load_or_create_key(private: Path) -> bytes:
    """The workspace's secret key, made (mode 0600) if the workspace has none yet.

    Examples
    --------
    >>> import tempfile
    >>> ws = Path(tempfile.mkdtemp())
    >>> key = load_or_create_key(ws)
    >>> load_or_create_key(ws) == key, oct((ws / KEY_FILE).stat().st_mode & 0o777)
    (True, '0o600')
    """
    path = private / KEY_FILE
    if path.exists():
        return _read_key(path)
    private.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return _read_key(path)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
    return key


def _read_key(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"{path} is readable by others (mode {oct(mode)}); restrict it with `chmod 600 {path}`"
        )
    try:
        text = path.read_bytes().decode("ascii").strip()
        key = bytes.fromhex(text)
    except OSError as exc:
        name = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
        raise WorkspaceError(f"{path} cannot be read ({name}); make it readable") from None
    except ValueError:  # not ASCII, not hex
        key = b""
    if len(key) != KEY_BYTES:
        raise WorkspaceError(
            f"{path} does not hold a {KEY_BYTES}-byte hex key; restore it from backup"
        )
    return key


def keyed_digest(key: bytes, purpose: str, value: str) -> bytes:
    """HMAC-SHA256 of ``value`` under ``key``, separated by ``purpose`` so uses never collide."""
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()
