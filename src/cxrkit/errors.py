"""The exception tree of cxrkit.

Every error cxrkit raises on purpose is a :class:`CxrkitError`; the command line turns it into
``Error: …`` and exit code 1. Messages name the offending value and the fix, and never carry
PHI: an item is named by its pseudonym or by its path relative to the source root.

::

    CxrkitError
    ├── ConfigError         a bad option or configuration value
    ├── SourceError         the input does not follow the source contract (SYSTEM.md S9a)
    │   └── NotDicomError   a file is not a readable DICOM dataset
    ├── OutputError         the output location cannot be used (exists, not empty, not writable)
    └── DataFileError       a file of a public dataset is missing or malformed
"""

from __future__ import annotations


class CxrkitError(Exception):
    """Root of every error cxrkit raises on purpose."""


class ConfigError(CxrkitError):
    """An option or configuration value is invalid; the message says which and why."""


class SourceError(CxrkitError):
    """The input does not follow the source contract of ``SYSTEM.md`` S9a.

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


class DataFileError(CxrkitError):
    """A file of a public dataset is missing or malformed; the message names the file."""
