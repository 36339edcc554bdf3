"""The main body of a synthetic report: FINAL REPORT and its sections.

About 80% of bodies have an IMPRESSION (most with FINDINGS before it), 13% FINDINGS only and
7% neither — then the text after COMPARISON is unlabeled paragraphs and the last one is what a
labeler reads (S11). Section headers vary in case and are now and then misspelled;
their text starts on the header line, on the next line or after a blank line.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from cxrkit.sources.synth.model import Exam, Study
from cxrkit.sources.synth.report_phi import choose_filled
from cxrkit.sources.synth.report_slots import Slots
from cxrkit.sources.synth.report_text import Piece, TextWriter, close_mark, open_mark, plain
from cxrkit.sources.synth.sentences import OTHER, Bank, Composer, Sentence, plan_targets

#: Share of bodies with an impression, with findings only, and with neither.
LAYOUTS = (("impression", 0.80), ("findings", 0.13), ("neither", 0.07))
#: The centred title line of the body, as in MIMIC-CXR.
FINAL_REPORT = " " * 33 + "FINAL REPORT"


@dataclass
class Content:
    """The sentences of one body, by section, and which of them a labeler reads."""

    layout: str
    findings: list[list[Sentence]] = field(default_factory=list)
    impression: list[Sentence] = field(default_factory=list)
    free: list[list[Sentence]] = field(default_factory=list)

    @property
    def label_section(self) -> str:
        if self.layout == "impression":
            return "impression"
        return "findings" if self.layout == "findings" else "last_paragraph"

    @property
    def labeled(self) -> list[Sentence]:
        if self.layout == "impression":
            return self.impression
        if self.layout == "findings":
            return [s for para in self.findings for s in para]
        return self.free[-1]


def _split(rng: random.Random, sentences: list[Sentence]) -> list[list[Sentence]]:
    if len(sentences) > 3 and rng.random() < 0.25:
        cut = rng.randint(1, len(sentences) - 1)
        return [sentences[:cut], sentences[cut:]]
    return [sentences]


def _sentences(
    comp: Composer, rng: random.Random, kind: str, targets: list[tuple[str, float]]
) -> tuple[list[Sentence], list[Sentence]]:
    """The findings and the summary (impression or last paragraph) of one body."""
    if kind in ("normal", "devices"):
        comp.plan[OTHER] = 0.0
    other = (
        rng.randint(1, 2) if kind == "other" else int(kind == "abnormal" and rng.random() < 0.15)
    )
    findings = comp.section(
        targets, "findings", negatives=rng.randint(1, 4), neutral=rng.randint(0, 2), other=other
    )
    findings = comp.order(findings)
    summary = comp.section(
        targets,
        "impression",
        negatives=rng.choice((0, 0, 1)),
        other=int(kind == "other"),
        repeat=findings,
    )
    if kind != "abnormal" or rng.random() < 0.3:
        extra = comp.summary()
        summary = [*summary, extra] if extra is not None else summary
    return findings, summary or findings[:1]


def compose(bank: Bank, rng: random.Random, exam: Exam) -> Content:
    """Choose the layout and the sentences of every section of one body."""
    layout = rng.choices([k for k, _ in LAYOUTS], [w for _, w in LAYOUTS])[0]
    body = "chest" if exam.is_chest else "other"
    devices = any(word in exam.name for word in ("LINE", "TUBE", "PICC"))
    kind, targets = plan_targets(rng, body, devices=devices)
    findings, summary = _sentences(Composer(bank, rng, body), rng, kind, targets)
    content = Content(layout)
    if layout == "neither":
        rest = [s for s in findings if s not in summary]
        content.free = [findings] if not rest or rng.random() < 0.6 else [rest, summary]
    elif layout == "findings" or rng.random() < 0.8:
        content.findings = _split(rng, findings)
    if layout == "impression":
        content.impression = summary
    return content


class BodyStyle:
    """Per-report habits: sentence spacing, header placement, misspellings."""

    def __init__(self, bank: Bank, rng: random.Random) -> None:
        self.rng = rng
        self.headers = bank.data["headers"]
        self.gap = rng.choice(("  ", "  ", " "))
        self.long = rng.choice(("below", "below", "inline", "inline", "next"))
        self.numbered = rng.random() < 0.15

    def header(self, key: str) -> str:
        misspelled = self.headers["misspelled"].get(key)
        if misspelled and self.rng.random() < 0.05:
            return str(misspelled)
        return str(self.rng.choice(self.headers[key]))

    def sentences(self, sentences: list[Sentence], extra: list[Piece] | None = None) -> list[Piece]:
        pieces: list[Piece] = []
        for s in sentences:
            pieces.extend((plain(self.gap), plain(s.text)) if pieces else (plain(s.text),))
        if extra:
            pieces.extend([plain(self.gap), *extra] if pieces else extra)
        return pieces


def write_section(
    w: TextWriter,
    key: str,
    header: str,
    paragraphs: list[list[Piece]],
    *,
    how: str = "inline",
    joined: bool = False,
) -> None:
    """Write a section; its text (between the markers) is recorded under ``key``."""
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        return
    paragraphs[0] = [open_mark(key), *paragraphs[0]]
    paragraphs[-1] = [*paragraphs[-1], close_mark(key)]
    if how == "inline":
        w.para([plain(header + "  "), *paragraphs[0]])
    else:
        w.para([plain(header)])
        if how == "below":
            w.blank()
        w.para(paragraphs[0])
    for para in paragraphs[1:]:
        if not joined:
            w.blank()
        w.para(para)
    w.blank()


def _intro(w: TextWriter, slots: Slots, bank: Bank, style: BodyStyle, study: Study) -> None:
    rng = style.rng
    short = "inline" if rng.random() < 0.85 else "next"
    if rng.random() < 0.95:
        write_section(
            w, "examination", style.header("examination"), [[plain(study.exam.name)]], how=short
        )
    key = "history" if rng.random() < 0.15 else "indication"
    if rng.random() < 0.95:
        text = choose_filled(bank.templates("body", key), slots, rng)
        write_section(w, key, style.header(key), [text], how=short)
    if rng.random() < 0.85:
        text = choose_filled(bank.templates("body", "technique"), slots, rng)
        write_section(w, "technique", style.header("technique"), [text], how=short)
    if rng.random() < 0.92:
        none = not study.prior_dates and rng.random() < 0.5
        table = "comparison_none" if none else "comparison"
        text = choose_filled(bank.templates("body", table), slots, rng)
        write_section(w, "comparison", style.header("comparison"), [text], how=short)


def _impression(
    w: TextWriter, content: Content, style: BodyStyle, note: list[Piece] | None
) -> None:
    if style.numbered and len(content.impression) > 1:
        items = [[plain(f"{i}. {s.text}")] for i, s in enumerate(content.impression, 1)]
        if note:
            items[-1] = [*items[-1], plain(style.gap), *note]
        write_section(
            w, "impression", style.header("impression"), items, how=style.long, joined=True
        )
        return
    write_section(
        w,
        "impression",
        style.header("impression"),
        [style.sentences(content.impression, note)],
        how=style.long,
    )


def write_body(
    w: TextWriter, slots: Slots, bank: Bank, rng: random.Random, study: Study
) -> Content:
    """Write the FINAL REPORT body (without signature); return what it contains."""
    content = compose(bank, rng, study.exam)
    style = BodyStyle(bank, rng)
    w.line([plain(FINAL_REPORT)])
    _intro(w, slots, bank, style, study)
    roll = rng.random()
    note = (
        choose_filled(bank.templates("body", "notification"), slots, rng)
        if (content.layout != "neither" and roll < 0.3)
        else None
    )
    inline_note = note if roll < 0.15 else None
    paragraphs = [style.sentences(p) for p in content.findings]
    if content.layout == "findings" and inline_note:
        paragraphs[-1] = style.sentences(content.findings[-1], inline_note)
    write_section(w, "findings", style.header("findings"), paragraphs, how=style.long)
    if content.layout == "impression":
        _impression(w, content, style, inline_note)
    if note and not inline_note:
        write_section(w, "notification", style.header("notification"), [note])
    for para in content.free:
        w.para(style.sentences(para))
        w.blank()
    return content
