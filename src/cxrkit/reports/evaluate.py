"""Evaluate report de-identification: token recall on a synthetic export, over-redaction on
Open-I (S10, S21).

Recall is token-level, as in the MIMIC-CXR evaluation: a planted PHI token (a run of letters
and digits inside a ``truth/phi.jsonl`` report span) counts as caught when it lies inside a
span that is replaced by ``___``. Times of day are not PHI and are not counted.
Over-redaction is the share of the other tokens of PHI-free text that are replaced.
"""

from __future__ import annotations

import json
import re
import tarfile
import xml.etree.ElementTree as ET
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pydicom

from cxrkit.reports.deid import find_text_phi
from cxrkit.reports.deny import TextDenyList
from cxrkit.reports.intake import read_reports
from cxrkit.reports.patterns import Span
from cxrkit.reports.sections import parse_sections

__all__ = [
    "OverRedaction",
    "Recall",
    "dicom_deny_lists",
    "openi_reports",
    "over_redaction",
    "recall_on_export",
]

_TOKEN = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class Recall:
    """Planted PHI tokens caught, per category, and the tokens missed (for debugging)."""

    caught: int
    total: int
    by_category: dict[str, tuple[int, int]]
    missed: tuple[tuple[str, str, str], ...] = field(repr=False)
    other_removed: int = 0
    other_total: int = 0

    @property
    def recall(self) -> float:
        return self.caught / self.total if self.total else 1.0

    @property
    def over_redaction(self) -> float:
        """Share of the tokens that are not planted PHI that were replaced all the same."""
        return self.other_removed / self.other_total if self.other_total else 0.0


@dataclass(frozen=True)
class OverRedaction:
    """Tokens of PHI-free text removed, out of the tokens that were not ``XXXX``."""

    removed: int
    total: int
    reports: int
    examples: tuple[str, ...] = field(repr=False)

    @property
    def rate(self) -> float:
        return self.removed / self.total if self.total else 0.0


def _covered(spans: list[Span], start: int, end: int) -> bool:
    i = bisect_right([s.start for s in spans], start) - 1
    return i >= 0 and spans[i].end >= end


def dicom_deny_lists(root: Path) -> dict[str, TextDenyList]:
    """Deny-lists from the DICOM headers under ``root/dicom``, keyed by AccessionNumber."""
    out: dict[str, TextDenyList] = {}
    for path in sorted((root / "dicom").rglob("*")):
        if not path.is_file():
            continue
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:  # broken files are the DICOM intake's business, not ours
            continue
        accession = str(ds.get("AccessionNumber", ""))
        if accession:
            deny = TextDenyList.from_dicom(ds)
            out[accession] = out[accession] | deny if accession in out else deny
    return out


def recall_on_export(root: Path, *, use_ris: bool = True, use_dicom: bool = True) -> Recall:
    """Token recall of :func:`~cxrkit.reports.deid.find_text_phi` on a ``cxrkit synth`` export.

    Parameters
    ----------
    root
        The export root (with ``reports/``, ``dicom/`` and ``truth/``).
    use_ris, use_dicom
        Feed the per-study deny-list from the RIS record and from the DICOM headers; with
        both off, only the generic patterns and name contexts work (``cxrkit deid-text``).
    """
    intake = read_reports(root)
    records = {(r.source, r.accession): r for r in intake.reports}
    dicom = dicom_deny_lists(root) if use_dicom else {}
    truth: dict[tuple[str, str], list[dict[str, object]]] = {}
    for line in (root / "truth" / "phi.jsonl").read_text("utf-8").splitlines():
        entry = json.loads(line)
        if entry["where"] == "report" and entry["category"] != "time":
            truth.setdefault((entry["file"], entry["accession"]), []).append(entry)
    caught, total = Counter[str](), Counter[str]()
    missed: list[tuple[str, str, str]] = []
    other = [0, 0]
    for key, entries in sorted(truth.items()):
        record = records[key]
        deny = record.deny_list() if use_ris else TextDenyList()
        if key[1] in dicom:
            deny = deny | dicom[key[1]]
        spans = find_text_phi(record.text, deny)
        for entry in entries:
            start, category = int(str(entry["start"])), str(entry["category"])
            for tok in _TOKEN.finditer(str(entry["value"])):
                total[category] += 1
                if _covered(spans, start + tok.start(), start + tok.end()):
                    caught[category] += 1
                else:
                    context = record.text[max(0, start - 30) : start + 40].replace("\n", "/")
                    missed.append((category, tok.group(), context))
        _count_other(record.text, spans, entries, other)
    return Recall(
        caught=sum(caught.values()),
        total=sum(total.values()),
        by_category={c: (caught[c], total[c]) for c in sorted(total)},
        missed=tuple(missed),
        other_removed=other[0],
        other_total=other[1],
    )


def _count_other(
    text: str, spans: list[Span], entries: list[dict[str, object]], counts: list[int]
) -> None:
    """Add the removed and total tokens of ``text`` outside every planted span."""
    planted = sorted((int(str(e["start"])), int(str(e["end"]))) for e in entries)
    starts = [p[0] for p in planted]
    for tok in _TOKEN.finditer(text):
        i = bisect_right(starts, tok.start()) - 1
        if i >= 0 and planted[i][1] >= tok.end():
            continue
        counts[1] += 1
        counts[0] += _covered(spans, tok.start(), tok.end())


def openi_reports(tgz: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """``(uid, {label: text})`` of each Open-I XML report in ``NLMCXR_reports.tgz``."""
    with tarfile.open(tgz, "r:gz") as archive:
        for member in archive:
            if not member.name.endswith(".xml"):
                continue
            handle = archive.extractfile(member)
            if handle is None:
                continue
            root = ET.parse(handle).getroot()
            uid = root.find("uId")
            parts = {
                str(node.get("Label", "")).lower(): (node.text or "").strip()
                for node in root.iter("AbstractText")
            }
            yield (uid.get("id", member.name) if uid is not None else member.name), parts


def over_redaction(tgz: Path, limit: int | None = None) -> OverRedaction:
    """Share of non-``XXXX`` tokens that de-identification removes from Open-I reports."""
    removed = total = reports = 0
    examples: list[str] = []
    for _, parts in openi_reports(tgz):
        text = "\n".join(f"{label.upper()}: {body}" for label, body in parts.items() if body)
        spans = find_text_phi(text)
        for tok in _TOKEN.finditer(text):
            if "XXXX" in tok.group():
                continue
            total += 1
            if _covered(spans, tok.start(), tok.end()):
                removed += 1
                examples.append(text[max(0, tok.start() - 25) : tok.end() + 25])
        reports += 1
        if limit is not None and reports >= limit:
            break
    return OverRedaction(removed, total, reports, tuple(examples))


#: Header styles used to glue Open-I's labeled parts into free text.
HEADER_STYLES: dict[str, str] = {
    "upper_colon": " {HEADER}:  {text}",
    "lower_colon": " {header}: {text}",
    "no_leading_space": "{HEADER}: {text}",
    "header_alone": " {HEADER}:\n {text}",
    "header_alone_no_colon": "{HEADER}\n{text}",
    "title_case": " {Header}:  {text}",
}
_OPENI_ORDER = ("comparison", "indication", "findings", "impression")


def glue_openi(parts: dict[str, str], style: str) -> str:
    """Open-I's labeled parts as one free-text report in a header ``style``.

    Examples
    --------
    >>> glue_openi({"findings": "Clear.", "impression": "Normal."}, "lower_colon")
    ' findings: Clear.\\n \\n impression: Normal.'
    """
    template = HEADER_STYLES[style]
    paragraphs = [
        template.format(HEADER=name.upper(), header=name, Header=name.title(), text=parts[name])
        for name in _OPENI_ORDER
        if parts.get(name)
    ]
    return "\n \n".join(paragraphs)


def openi_section_accuracy(tgz: Path) -> dict[str, tuple[int, int]]:
    """Per header style: ``(exact, total)`` findings and impression recovered from Open-I.

    Exact means equal after whitespace normalisation; an absent part must come back empty.
    """
    results = {style: [0, 0] for style in HEADER_STYLES}
    for _, parts in openi_reports(tgz):
        for style in HEADER_STYLES:
            sections = parse_sections(glue_openi(parts, style))
            for name in ("findings", "impression"):
                want = " ".join(parts.get(name, "").split())
                results[style][1] += 1
                results[style][0] += " ".join(sections.get(name).split()) == want
    return {style: (ok, total) for style, (ok, total) in results.items()}
