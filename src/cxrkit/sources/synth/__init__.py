"""The synthetic hospital export generator behind ``cxrkit synth``.

A synthetic export is the test bed for everything downstream: DICOM and RIS files full of
known, fake PHI, plus ``truth/`` recording where every piece of it was put
(see :mod:`cxrkit.sources.synth.truth`).
"""

from cxrkit.sources.synth.generate import SynthSummary, synthesize

__all__ = ["SynthSummary", "synthesize"]
