"""``cxrkit deid-dicom``: de-identify a DICOM tree into the release layout.

The same plan, keystore, header profile and pixel scrub as ``cxrkit build``, without reports:
scan headers, leave out what is not a chest radiograph, assign pseudonyms in one pass, then
de-identify each image (decode once, header, pixels) in batches on the executor.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cxrkit.identity.keystore import Keystore
from cxrkit.pipeline.environment import environment_faults
from cxrkit.pipeline.image_work import OutputOptions, Progress, run_images
from cxrkit.pipeline.plan import assign, non_chest, scan
from cxrkit.pipeline.quarantine import count_kinds, write_quarantine
from cxrkit.pipeline.workspace import check_trees, folders


@dataclass(frozen=True)
class DeidSummary:
    """What a run did; safe to print (counts and reasons only)."""

    files_seen: int
    written: int
    non_chest: int
    quarantined: int
    patients: int
    studies: int
    burned_in_boxes: int
    reasons: dict[str, int] = field(default_factory=dict)  # quarantine kind → count


def deid_dicom(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    private: str | os.PathLike[str],
    *,
    keystore_url: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> DeidSummary:
    """De-identify every chest radiograph under ``source`` into ``out/files/…``.

    Non-chest images, files that are not DICOM, unreadable pixel data and images whose
    burned-in text cannot be proven clean are left out; each is listed with its reason in
    ``private/quarantine.csv``.
    """
    src, dst, ws = Path(source), Path(out), Path(private)
    check_trees(src, dst, ws)
    with environment_faults(folders(src, dst, ws)):
        keystore = Keystore.open(ws, keystore_url)
        return _deid_dicom(src, dst, ws, keystore, workers=workers, progress=progress)


def _deid_dicom(
    src: Path,
    dst: Path,
    ws: Path,
    keystore: Keystore,
    *,
    workers: int | None,
    progress: Progress | None,
) -> DeidSummary:
    infos, bad, seen = scan(
        src, None if progress is None else (lambda d, t: progress("reading headers", d, t))
    )
    chest = [i for i in infos if i.chest.is_chest]
    left_out = non_chest(infos)
    work, duplicates = assign(chest, keystore)
    results = run_images(
        work, OutputOptions(str(dst)), workers=workers or os.cpu_count() or 1, progress=progress
    )
    failed = [r.left_out for r in results if r.left_out is not None]
    everything = bad + left_out + duplicates + failed
    write_quarantine(ws, everything)
    written = {w.out_rel: w for w in work}
    done = [written[r.out_rel] for r in results if r.out_rel]
    return DeidSummary(
        files_seen=seen,
        written=len(done),
        non_chest=len(left_out),
        quarantined=len(bad) + len(duplicates) + len(failed),
        patients=len({w.ids.subject_id for w in done}),
        studies=len({w.ids.study_id for w in done}),
        burned_in_boxes=sum(r.boxes for r in results),
        reasons=count_kinds(everything),
    )
