"""``cxrkit jpg``: MIMIC-CXR-JPG conversion of an existing DICOM tree (S16).

Every DICOM file under the source (found by content; ``.dcm.gz`` files too) becomes a JPG at
the same relative path with the suffix ``.jpg`` — so a MIMIC-CXR ``files/`` tree becomes a
MIMIC-CXR-JPG ``files/`` tree. Files that cannot be read or decoded are counted and skipped.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cxrkit.derive.jpg import write_jpg
from cxrkit.errors import ConfigError
from cxrkit.pipeline.executors import make_executor
from cxrkit.sources.discover import iter_files, read_dataset

BATCH = 8


@dataclass(frozen=True)
class JpgSummary:
    files_seen: int
    written: int
    skipped: int


def jpg_name(rel: str) -> str:
    """``a/b/x.dcm`` → ``a/b/x.jpg``; ``x.dcm.gz`` → ``x.jpg``; ``IM0001`` → ``IM0001.jpg``."""
    for suffix in (".dcm.gz", ".dcm", ".DCM", ".dicom"):
        if rel.endswith(suffix):
            return rel[: -len(suffix)] + ".jpg"
    return rel + ".jpg"


def _convert(source: str, target: str) -> bool:
    try:
        ds = read_dataset(Path(source))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pixels = ds.pixel_array
        write_jpg(Path(target), pixels, str(ds.PhotometricInterpretation))
    except Exception:  # not DICOM, or no decodable pixels: counted and skipped
        return False
    return True


def _convert_batch(pairs: list[tuple[str, str]]) -> list[bool]:
    return [_convert(s, t) for s, t in pairs]


def convert_tree(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> JpgSummary:
    """Write the S16 JPG of every DICOM image under ``source`` into ``out``."""
    src, dst = Path(source), Path(out)
    if not src.is_dir():
        raise ConfigError(f"{src} is not a folder of DICOM files")
    if dst.resolve() == src.resolve() or src.resolve() in dst.resolve().parents:
        raise ConfigError("choose an output folder outside the DICOM tree")
    pairs = [(str(p), str(dst / jpg_name(p.relative_to(src).as_posix()))) for p in iter_files(src)]
    batches = [pairs[i : i + BATCH] for i in range(0, len(pairs), BATCH)]
    done: list[bool] = []
    with make_executor(workers or os.cpu_count() or 1) as executor:
        for future in [executor.submit(_convert_batch, b) for b in batches]:
            done.extend(future.result())
            if progress is not None:
                progress(len(done), len(pairs))
    return JpgSummary(files_seen=len(pairs), written=sum(done), skipped=len(done) - sum(done))
