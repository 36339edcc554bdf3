"""One report through S9–S11: segments, de-identification, sections, and its release file.

:func:`process_report` is what the build calls per study: a pure function of the raw report
text and the study's deny-list.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cxrkit.reports.deid import deidentify_text
from cxrkit.reports.deny import DenyList
from cxrkit.reports.sections import Sections, parse_sections
from cxrkit.reports.segments import Segments, split_segments

__all__ = ["ProcessedReport", "process_report", "report_path", "write_report"]


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


def process_report(text: str, deny: DenyList | None = None) -> ProcessedReport:
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
    >>> report = process_report(raw, DenyList(names=("Hill, Rose",)))
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


def report_path(root: Path, subject_id: int | str, study_id: int | str) -> Path:
    """``root/files/p<first 2 digits>/p<subject_id>/s<study_id>.txt`` (S19).

    Examples
    --------
    >>> report_path(Path("OUT"), 10000032, 50414267).as_posix()
    'OUT/files/p10/p10000032/s50414267.txt'
    """
    subject = str(subject_id)
    return root / "files" / f"p{subject[:2]}" / f"p{subject}" / f"s{study_id}.txt"


def write_report(root: Path, subject_id: int | str, study_id: int | str, text: str) -> Path:
    """Write ``text`` to its release path atomically (temporary name, then rename)."""
    path = report_path(root, subject_id, study_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
