"""cxrkit: hospital chest radiographs and reports to a de-identified, labeled research database.

See ``README.md`` for the commands; the library entry points are named there too.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cxrkit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__", "build", "deid_dicom", "synthesize", "verify"]

_LAZY = {
    "build": "cxrkit.pipeline.build",
    "deid_dicom": "cxrkit.pipeline.deid_dicom",
    "synthesize": "cxrkit.sources.synth",
    "verify": "cxrkit.release.verify",
}


def __getattr__(name: str) -> object:
    """The library entry points, imported on first use (``cxrkit.build(...)``)."""
    if name in _LAZY:
        import importlib  # noqa: PLC0415

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cxrkit' has no attribute {name!r}")
