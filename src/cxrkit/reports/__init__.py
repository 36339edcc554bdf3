"""S9–S11: RIS intake, report segments, text de-identification and sections.

The build calls :func:`process_report` once per study with the raw report text and the
study's :class:`TextDenyList` (RIS fields and DICOM headers); ``cxrkit deid-text`` and
``cxrkit sections`` expose :func:`deidentify_text` and :func:`parse_sections` alone.

Examples
--------
>>> from cxrkit.reports import deidentify_text
>>> deidentify_text("Findings d/w Dr. Frank Hope at 10:30 on 3/4/2015; may represent edema.")
'Findings d/w Dr. ___ at 10:30 on ___; may represent edema.'
"""

from cxrkit.reports.deid import PLACEHOLDER, deidentify_text, find_text_phi, redact
from cxrkit.reports.deny import TextDenyList
from cxrkit.reports.intake import (
    Intake,
    Quarantined,
    ReportRecord,
    read_export_reports,
    read_hl7,
    read_reports,
    read_ris_csv,
    read_text_tree,
)
from cxrkit.reports.patterns import Span
from cxrkit.reports.process import ProcessedReport, process_report
from cxrkit.reports.sections import Sections, parse_sections, section_counts, write_sectioned
from cxrkit.reports.segments import Segments, split_segments, strip_signature, wrap_lines

__all__ = [
    "PLACEHOLDER",
    "Intake",
    "ProcessedReport",
    "Quarantined",
    "ReportRecord",
    "Sections",
    "Segments",
    "Span",
    "TextDenyList",
    "deidentify_text",
    "find_text_phi",
    "parse_sections",
    "process_report",
    "read_export_reports",
    "read_hl7",
    "read_reports",
    "read_ris_csv",
    "read_text_tree",
    "redact",
    "section_counts",
    "split_segments",
    "strip_signature",
    "wrap_lines",
    "write_sectioned",
]
