"""Synthetic radiology reports: raw RIS text full of fake PHI, and where every item of it is.

A report has MIMIC-CXR's raw shape (S9): up to four segments separated by lines of
underscores — an optional addendum, a header with patient information, the clinical
information imported from the EHR, and the main body (``FINAL REPORT`` with EXAMINATION,
INDICATION, TECHNIQUE, COMPARISON, FINDINGS, IMPRESSION), which ends with an electronic
signature. Lines are at most 79 characters and no PHI value is split across lines.

The clinical prose comes from the tagged sentence bank ``_data/sentences.toml``, so the
intended CheXpert labels of the labeled section are known exactly.
"""

from __future__ import annotations

import random

from cxrkit.sources.synth.model import Study
from cxrkit.sources.synth.report_body import write_body
from cxrkit.sources.synth.report_phi import choose_filled, fill_some
from cxrkit.sources.synth.report_slots import Slots
from cxrkit.sources.synth.report_text import (
    TextWriter,
    close_mark,
    last_paragraph,
    open_mark,
    plain,
)
from cxrkit.sources.synth.sentences import Bank, aggregate_labels, sentence_bank
from cxrkit.sources.synth.truth import SynthReport

#: Share of reports that start with an addendum segment.
ADDENDUM_RATE = 0.10

__all__ = ["write_report"]


def _addendum(w: TextWriter, slots: Slots, bank: Bank, rng: random.Random) -> None:
    templates = bank.templates("body", "addendum")
    filled = fill_some(templates, slots, rng, 2 if rng.random() < 0.3 else 1)
    pieces = [piece for sentence in filled for piece in (*sentence, plain("  "))][:-1]
    w.para([plain("ADDENDUM:  "), open_mark("addendum"), *pieces, close_mark("addendum")])
    sign = choose_filled(bank.templates("body", "addendum_sign"), slots, rng)
    if sign:
        w.blank()
        w.para(sign)


def _header(w: TextWriter, slots: Slots, bank: Bank, rng: random.Random) -> None:
    for entry in bank.data["header"]:
        if rng.random() < entry["p"]:
            w.para(choose_filled(tuple(entry["alt"]), slots, rng))


def _clinical(w: TextWriter, slots: Slots, bank: Bank, rng: random.Random) -> None:
    clinical = bank.data["clinical"]
    title = str(rng.choice(clinical["titles"]))
    filled = fill_some(tuple(clinical["lines"]), slots, rng, rng.randint(2, 4))
    if rng.random() < 0.5:
        w.para([plain(title)])
        for pieces in filled:
            w.para(pieces)
        return
    joined = [plain(title + "  ")]
    for pieces in filled:
        joined.extend([*pieces, plain("  ")])
    w.para(joined)


def _signature(w: TextWriter, slots: Slots, bank: Bank, rng: random.Random) -> None:
    template = rng.choice(bank.templates("body", "signature"))
    for line in template.split("\n"):
        w.para(choose_filled((line,), slots, rng))


def _faker_slots(study: Study, rng: random.Random) -> Slots:
    from cxrkit.sources.synth.report_faker import FakerSlots  # noqa: PLC0415 - Faker is slow to import

    return FakerSlots(study, rng, sentence_bank().words())


def _write_outside(w: TextWriter, slots: Slots, rng: random.Random) -> None:
    """The outside-institution sentences of the ``faker`` style."""
    from cxrkit.sources.synth.report_faker import write_outside as write  # noqa: PLC0415

    write(w, slots, rng)


def write_report(study: Study, rng: random.Random, style: str = "classic") -> SynthReport:
    """Write the raw RIS report of ``study``, full of fake PHI, and its truth.

    Parameters
    ----------
    study
        The study the report is about; names, identifiers, dates, providers, hospital and
        relatives written into the report are taken from it, so they match its DICOM headers
        and RIS record.
    rng
        The only source of randomness. The same study and an ``rng`` in the same state give
        an identical report.
    style
        ``"classic"`` (the project's own name and place lists) or ``"faker"`` (outside
        values from Faker, multi-word PHI written word by word and sometimes broken across
        a line, and sentences about outside institutions; see
        :mod:`~cxrkit.sources.synth.report_faker`).

    Returns
    -------
    SynthReport
        ``text`` (lines of at most 79 characters, joined with ``"\\n"``); ``phi``, every PHI
        span with ``text[start:end] == value``; ``sections``, the intended text of each body
        section (exact substrings of ``text``) plus ``last_paragraph``; ``label_section`` and
        ``labels``, the intended CheXpert label of each of the 14 observations for it.

    Examples
    --------
    >>> import random
    >>> from cxrkit.sources.synth.cohort import build_cohort
    >>> study = next(s for s in build_cohort(2, seed=1).studies if s.has_report)
    >>> report = write_report(study, random.Random(7))
    >>> report == write_report(study, random.Random(7))
    True
    >>> all(report.text[p.start : p.end] == p.value for p in report.phi)
    True
    >>> max(len(line) for line in report.text.split("\\n")) <= 79
    True
    """
    bank = sentence_bank()
    slots = Slots(study, rng, bank.words()) if style == "classic" else _faker_slots(study, rng)
    w = TextWriter()
    split, slots.split_lines = slots.split_lines, False  # header fields, signatures: never
    if rng.random() < ADDENDUM_RATE:
        _addendum(w, slots, bank, rng)
        w.separator()
    _header(w, slots, bank, rng)
    w.separator()
    slots.split_lines = split
    _clinical(w, slots, bank, rng)
    if style != "classic":
        _write_outside(w, slots, rng)
    w.separator()
    body_start = w.pos
    content = write_body(w, slots, bank, rng, study)
    body_end = w.pos
    slots.split_lines = False
    _signature(w, slots, bank, rng)
    text = w.text()
    sections = {key: text[a:b].strip() for key, (a, b) in w.sections.items()}
    sections["last_paragraph"] = last_paragraph(text, body_start, body_end)
    return SynthReport(
        text=text,
        phi=tuple(w.phi),
        labels=aggregate_labels(content.labeled),
        sections=sections,
        label_section=content.label_section,
    )
