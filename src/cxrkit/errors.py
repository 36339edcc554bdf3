"""The exception tree of cxrkit.

Every error cxrkit raises on purpose is a :class:`CxrkitError`; the command line turns it into
``Error: …`` and its ``exit_code`` (1 unless said below). Messages name the offending value and
the fix, and never carry PHI: an item is named by its pseudonym or by its path relative to the
source root; an environment fault names the folder given on the command line.

::

    CxrkitError
    ├── ConfigError         a bad option or configuration value
    ├── SourceError         the input does not follow the source contract (S9a)
    │   └── NotDicomError   a file is not a readable DICOM dataset
    ├── OutputError         the output location cannot be used (exists, not empty, not writable)
    │   ├── DiskFullError       no space left on a device the build writes to   (exit 4)
    │   ├── NotWritableError    a folder is read-only or not permitted           (exit 5)
    │   └── ReleaseRefusedError OUT holds files this workspace did not write     (exit 7)
    ├── WorkspaceError      the private workspace's key or keystore cannot be used (exit 6)
    ├── PacsError           the PACS refused, failed or did not answer (exit 8)
    └── DataFileError       a file of a public dataset is missing or malformed
"""

from __future__ import annotations


class CxrkitError(Exception):
    """Root of every error cxrkit raises on purpose."""

    exit_code = 1


class ConfigError(CxrkitError):
    """An option or configuration value is invalid; the message says which and why."""


class SourceError(CxrkitError):
    """The input does not follow the source contract (S9a, ``docs/source-contract.md``).

    ``kind`` is the quarantine kind of the fault (see :mod:`cxrkit.pipeline.quarantine`) when
    the raiser knows it, else empty.
    """

    def __init__(self, message: str = "", *, kind: str = "") -> None:
        super().__init__(message)
        self.kind = kind


class NotDicomError(SourceError):
    """A file is not a readable DICOM dataset."""


class OutputError(CxrkitError):
    """The output location cannot be used."""


class DiskFullError(OutputError):
    """No space left on the device of a folder the build writes to; rerunning resumes."""

    exit_code = 4


class NotWritableError(OutputError):
    """A folder the build writes to is read-only or not permitted."""

    exit_code = 5


class ReleaseRefusedError(OutputError):
    """OUT holds files that no build of this private workspace wrote."""

    exit_code = 7


class WorkspaceError(CxrkitError):
    """The private workspace's key or keystore cannot be read or is damaged."""

    exit_code = 6


class PacsError(CxrkitError):
    """The PACS refused an association or a request, failed, or did not answer in time.

    Raised by ``cxrkit pull`` and ``cxrkit receive``; a pull that ends with failed transfers
    raises it after writing ``SRC/pull-log.csv``, and rerunning resumes.
    """

    exit_code = 8


class DataFileError(CxrkitError):
    """A file of a public dataset is missing or malformed; the message names the file."""
