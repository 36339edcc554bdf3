"""The learned detector on full-size radiographs (2,000-3,000 pixels): the downscaled path."""

from __future__ import annotations

import numpy as np

from cxrkit.dicom import learned
from cxrkit.sources.synth.cohort import build_cohort
from cxrkit.sources.synth.dicomfiles import make_pixels


def test_small_anti_aliased_glyphs_on_a_full_size_image_are_found() -> None:
    """Found on the full-size hard synthetic export (``cxrkit synth --full-size``,
    development seed 8102): "ID: P…" in 10-pixel anti-aliased mid-grey serif glyphs, turned
    by 270°, on a white label box of a 2153 x 2101 MONOCHROME1 image. The overview (scaled
    to 1,024) cannot see it and the busy tile around it, read at full resolution, found
    nothing; the scrub left it and only the proof's window around another box caught it
    (image quarantined). Small clusters of edges left unexplained by the tiles of a
    downscaled image are now read again at twice their size."""
    cohort = build_cohort(20, 8102)
    study = next(s for s in cohort.studies if s.study_instance_uid.endswith(".154977"))
    image = next(i for i in study.images if i.sop_instance_uid.endswith(".645398"))
    rng = np.random.default_rng([8102, study.patient.index, study.index, image.index])
    px = make_pixels(study, image, rng, hard=True, full_size=True)
    line = next(b for b in px.burned if b.text.startswith("ID:"))
    assert (line.height, line.angle, px.array.shape) == (10, 270, (2153, 2101))
    found = learned.detect(learned.display(px.array))
    assert any(learned.inside(line.box, d.box, 0.8) for d in found)
