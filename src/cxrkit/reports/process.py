"""One report through S9–S11: segments, de-identification, sections, and its release file.

:func:`process_report` is what the build calls per study: a pure function of the raw report
text and the study's deny-list. The build writes the result with
:func:`cxrkit.release.layout.write_report`, the one atomic writer of release files.
"""

from __future__ import annotations

from dataclasses import dataclass

from cxrkit.reports.deid import deidentify_text
from cxrkit.reports.deny import TextDenyList
from cxrkit.reports.sections import Sections, parse_sections
from cxrkit.reports.segments import Segments, split_segments

__all__ = ["ProcessedReport", "process_report"]


@dataclass(frozen=True)
class ProcessedReport:
    """A report ready for release.

    Attributes
    ----------
    text
        The released text: addendum and body, de-identified, signature removed, lines of at
        most 79 characters.
    segments
        The de-identified addendum and body.
    sections
        The sections of the released text.
    """

    text: str
    segments: Segments
    sections: Sections


def process_report(text: str, deny: TextDenyList | None = None) -> ProcessedReport:
    """Keep addendum and body, de-identify them, wrap them and find their sections.

    Parameters
    ----------
    text
        The raw RIS report (all segments, signature included).
    deny
        The study's known PHI values (RIS fields and DICOM headers), if any.

    Examples
    --------
    >>> raw = (
    ...     " PATIENT: HILL, ROSE  MRN: 00381763\\n ____________\\n"
    ...     "                                 FINAL REPORT\\n"
    ...     " FINDINGS:  Clear lungs.  Discussed with Dr. Bell on 3/4/2015 at 10:30.\\n \\n"
    ...     " IMPRESSION:  May represent atelectasis.\\n \\n"
    ...     " Electronically signed by: DR. GRANT BOLTON on 3/4/2015 11:02"
    ... )
    >>> report = process_report(raw, TextDenyList(names=("Hill, Rose",)))
    >>> print(report.text)
                                     FINAL REPORT
     FINDINGS:  Clear lungs.  Discussed with Dr. ___ on ___ at 10:30.
    <BLANKLINE>
     IMPRESSION:  May represent atelectasis.
    >>> report.sections.label_text
    'May represent atelectasis.'
    """
    raw = split_segments(text)
    segments = Segments(
        addendum=deidentify_text(raw.addendum, deny) if raw.addendum else "",
        body=deidentify_text(raw.body, deny),
        dropped=raw.dropped,
    )
    kept = "\n \n".join(p for p in (segments.addendum, segments.body) if p.strip())
    return ProcessedReport(segments.text, segments, parse_sections(kept))
