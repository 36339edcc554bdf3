"""The oracle of a synthetic export: every planted PHI value and exactly where it is.

A synthetic export's ``truth/`` folder holds:

``phi.jsonl``
    One JSON object per planted PHI item, with ``where`` telling the kind of place:

    - ``"dicom"``: ``file`` (relative to the export root), ``tag_path`` (e.g.
      ``"(0040,0275)[0].(0032,1060)"``), ``value`` (the element's value, or a substring of
      it for free text that carries PHI inside), ``match`` (``"equal"`` or ``"contains"``);
    - ``"pixels"``: one burned-in line: ``file``, ``line`` (a stable id,
      ``SOPInstanceUID/k``), ``box`` ``[x0, y0, x1, y1]`` (the ink box of the whole line:
      pixel columns/rows, end exclusive), ``glyphs`` (one such ink box per visible character,
      in reading order, in the final image orientation; together they hold all the line's
      ink), ``text`` (what was drawn), ``kind`` (``name``, ``id``, ``date``, ``datetime``,
      ``institution`` or ``marker``), ``grey`` (``"max"``, ``"min"`` or ``"mid"``),
      ``stored_value`` (the stored pixel value the glyphs were drawn with; every glyph box
      holds at least one pixel of exactly that value, anti-aliased edges lie between it and
      the background), ``angle`` (0, 90, 180 or 270: the counter-clockwise turn of the line;
      90 reads bottom to top), ``font`` (``HERSHEY_SIMPLEX``, ``HERSHEY_COMPLEX+ITALIC``, …,
      ``DejaVuSans``, ``DejaVuSansMono``, ``DejaVuSerif``, ``PillowDefault``), ``height``
      (capital letter or digit height in pixels), ``aa`` (anti-aliased), ``style``
      (``"classic"`` or ``"hard"``, see ``synthesize(difficulty=...)``) and, for date and
      date-time lines, ``format`` (e.g. ``"*dd.mm.yyyy"``, ``"dd-MON-yyyy"``; see
      :data:`cxrkit.sources.synth.hardlines.DATE_FORMATS`). A long line that holds a name and
      a birth date (``FAMILY GIVEN  DOB mm/dd/yyyy``) is of kind ``name`` with the date's
      ``format``. Hard images also carry PHI that no header holds: an id after ``ID:``
      (category ``id``), an institution abbreviation with a department (``hospital``) and a
      person's name, with diacritics as written or folded to ASCII (``name``);
    - ``"report"``: ``file``, ``accession``, ``start``/``end`` (character offsets into the
      report text: the CSV ``report_text`` cell, or the HL7 OBX-5 lines joined with
      ``"\\n"``), ``value``;
    - ``"hl7"``: ``file``, ``message`` (0-based), ``field`` (e.g. ``"PID-5"``), ``value``;
    - ``"csv"``: ``file``, ``row`` (0-based data row), ``column``, ``value``;
    - ``"path"``: ``file``, ``part`` (the folder or file name that carries the value), ``value``.

    Every object also has ``category`` (see :data:`CATEGORIES`). Entries of category ``time``
    are times of day: planted so that a leak audit can find them, but kept by de-identification
    (S2: dates shift, times of day do not). The second message of the first HL7
    file is corrupt on purpose and has no entries here (``studies.csv`` marks its study
    ``report_status`` = ``corrupt``). Of the broken files (``images.csv`` column ``broken``),
    truncated and not-DICOM ones have only their ``path`` entries.

``markers.jsonl``
    Burned-in text that must be *kept* (orientation markers, PORTABLE, technique strings), in
    the ``"pixels"`` form above with ``category`` ``"keep"``.

``studies.csv``, ``images.csv``
    The cohort: which source patient, study and accession each file belongs to, its view,
    transfer syntax, photometric interpretation and bits stored, whether it is a chest image,
    broken, or without a report.

``labels.csv``, ``sections.jsonl``
    The intended CheXpert-style label of each observation per report, and the intended
    sections of each report.

``study_admissions.csv``
    ``accession, mrn, hadm_id``: the admission of ``ehr/admissions.csv`` each study was taken
    in, empty for an outpatient study (see :mod:`cxrkit.sources.synth.ehr`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

#: Categories of planted PHI. ``keep`` marks text that is not PHI and must survive.
CATEGORIES = (
    "name",
    "mrn",
    "id",
    "accession",
    "date",
    "datetime",
    "time",
    "age",
    "phone",
    "pager",
    "email",
    "url",
    "address",
    "city",
    "state",
    "country",
    "zip",
    "hospital",
    "unit",
    "year",
    "uid",
    "device",
    "station",
    "free_text",
    "keep",
)


@dataclass(frozen=True)
class TextPHI:
    """A PHI span in a report text: ``text[start:end] == value``."""

    start: int
    end: int
    category: str
    value: str


@dataclass(frozen=True)
class SynthReport:
    """A synthetic radiology report and what it is meant to contain.

    Attributes
    ----------
    text
        The full RIS report (all segments, signature included), lines of at most 79 characters.
    phi
        Every PHI span in ``text``.
    labels
        Intended label per CheXpert observation name (``1.0``, ``0.0``, ``-1.0`` or ``None``
        for no mention), computed from the sentences placed in ``label_section``.
    sections
        Intended section texts of the body, keyed by normalised section name (``impression``,
        ``findings``, ``comparison``, ``indication``, ``history``, ``technique``,
        ``examination``, ``addendum``, ``last_paragraph`` …), each an exact substring of ``text``.
    label_section
        The section name whose text a labeler should read (impression, else findings, else
        last_paragraph, else comparison).
    """

    text: str
    phi: tuple[TextPHI, ...]
    labels: dict[str, float | None]
    sections: dict[str, str]
    label_section: str


def phi_strings(truth: Path) -> set[str]:
    """Every planted PHI value of ``truth/phi.jsonl`` of 4 characters or more, and each word
    of 4 letters or more of a name: what must never reach a console, a log or a release."""
    values: set[str] = set()
    with (Path(truth) / "phi.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            value = str(item.get("value") or item.get("text") or "")
            values.add(value)
            if item["category"] == "name":
                values.update(re.findall(r"[A-Za-z]{4,}", value))
    return {v for v in values if len(v) >= 4}
