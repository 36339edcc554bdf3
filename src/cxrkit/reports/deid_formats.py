"""Annotated reports for ``cxrkit evaluate-deid``: BRAT standoff, i2b2 2014 XML, cxrkit truth.

Each reader returns :class:`AnnotatedDoc` objects: a document name (relative to the input),
its text, and its PHI annotations as character fragments with the annotation's own type. The
types are mapped to common categories by :func:`common_category`
(``_data/phi_categories.txt``).

- **BRAT standoff**: a folder of ``NAME.txt`` + ``NAME.ann``; ``T`` lines
  ``T1<TAB>TYPE START END[;START END…]<TAB>text`` (discontinuous spans joined by ``;``);
  other lines (attributes, relations, notes) are ignored.
- **i2b2 2014**: ``.xml`` files ``<deIdi2b2><TEXT><![CDATA[…]]></TEXT><TAGS><NAME id=…
  start=… end=… text=… TYPE=…/>…</TAGS></deIdi2b2>``; the type is the ``TYPE`` attribute,
  else the tag name.
- **cxrkit truth**: a ``cxrkit synth`` export: ``truth/phi.jsonl`` report entries and the
  report texts they point into (RIS CSV cells, HL7 OBX lines).
"""

from __future__ import annotations

import functools
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from cxrkit.errors import SourceError
from cxrkit.reports.lexicon import read_lines

#: The common categories, in report order.
COMMON_CATEGORIES = (
    "name",
    "date",
    "id",
    "location",
    "institution",
    "contact",
    "age",
    "other",
)
FORMATS = ("brat", "i2b2", "cxrkit")


@dataclass(frozen=True)
class Annotation:
    """One PHI annotation: its own type and its character fragments ``[start, end)``."""

    type: str
    fragments: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class AnnotatedDoc:
    name: str
    text: str
    annotations: tuple[Annotation, ...]


@functools.cache
def _category_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for line in read_lines("phi_categories.txt"):
        kind, _, category = line.split("#", 1)[0].strip().partition(" ")
        table[kind.upper()] = category.strip()
    return table


def common_category(kind: str) -> str | None:
    """The common category of an annotation type; ``None`` for types that are not scored.

    Examples
    --------
    >>> common_category("DOCTOR"), common_category("medicalrecord"), common_category("time")
    ('name', 'id', None)
    >>> common_category("SOMETHING_NEW")
    'other'
    """
    category = _category_table().get(kind.strip().upper(), "other")
    return None if category == "-" else category


def detect_format(path: Path) -> str:
    """``brat``, ``i2b2`` or ``cxrkit`` from what ``path`` holds."""
    if path.is_dir() and (path / "truth" / "phi.jsonl").is_file():
        return "cxrkit"
    if path.suffix.lower() == ".xml" or (path.is_dir() and any(path.rglob("*.xml"))):
        return "i2b2"
    if path.suffix.lower() in (".ann", ".txt") or (path.is_dir() and any(path.rglob("*.ann"))):
        return "brat"
    raise SourceError(
        f"{path} holds no annotated reports: give a BRAT folder (.txt + .ann), i2b2 2014 "
        "XML files, or a cxrkit synth export (truth/phi.jsonl)"
    )


def read_annotated(path: Path, fmt: str | None = None) -> list[AnnotatedDoc]:
    """Every annotated document under ``path`` in format ``fmt`` (detected when ``None``)."""
    if not path.exists():
        raise SourceError(f"{path} does not exist")
    fmt = fmt or detect_format(path)
    reader = {"brat": read_brat, "i2b2": read_i2b2, "cxrkit": read_cxrkit_truth}[fmt]
    return reader(path)


def _files(path: Path, suffix: str) -> list[Path]:
    return [path] if path.is_file() else sorted(path.rglob(f"*{suffix}"))


def _name(path: Path, root: Path) -> str:
    return path.name if root.is_file() else path.relative_to(root).as_posix()


def read_brat(path: Path) -> list[AnnotatedDoc]:
    """BRAT standoff documents (``.txt`` with its ``.ann``) under ``path``."""
    docs = []
    for txt in _files(path.with_suffix(".txt") if path.is_file() else path, ".txt"):
        ann = txt.with_suffix(".ann")
        if not ann.is_file():
            continue
        with txt.open(encoding="utf-8", newline="") as handle:  # offsets count "\r\n" as 2
            text = handle.read()
        found = [_brat_line(line, ann.name, n) for n, line in enumerate(_lines(ann), start=1)]
        annotations = tuple(a for a in found if a is not None)
        docs.append(AnnotatedDoc(_name(txt, path), text, annotations))
    if not docs:
        raise SourceError(f"{path} holds no BRAT document (a .txt file with its .ann file)")
    return docs


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _brat_line(line: str, where: str, number: int) -> Annotation | None:
    if not line.startswith("T"):
        return None
    fields = line.split("\t")
    kind, _, offsets = fields[1].partition(" ") if len(fields) > 1 else ("", "", "")
    try:
        fragments = tuple(
            (int(a), int(b)) for a, b in (part.split() for part in offsets.split(";"))
        )
    except ValueError:
        raise SourceError(f"{where} line {number}: not a BRAT text-bound annotation") from None
    return Annotation(kind, fragments)


def read_i2b2(path: Path) -> list[AnnotatedDoc]:
    """i2b2 2014 de-identification XML documents under ``path``."""
    docs = []
    for xml in _files(path, ".xml"):
        try:
            root = ET.parse(xml).getroot()
        except ET.ParseError as exc:
            raise SourceError(f"{_name(xml, path)} is not XML ({exc.msg})") from None
        text_node, tags = root.find("TEXT"), root.find("TAGS")
        if text_node is None:
            raise SourceError(f"{_name(xml, path)} has no <TEXT>: not an i2b2 2014 document")
        annotations = []
        for tag in list(tags) if tags is not None else []:
            try:
                span = ((int(tag.attrib["start"]), int(tag.attrib["end"])),)
            except (KeyError, ValueError):
                raise SourceError(f"{_name(xml, path)}: a <{tag.tag}> without start/end") from None
            annotations.append(Annotation(tag.attrib.get("TYPE") or tag.tag, span))
        docs.append(AnnotatedDoc(_name(xml, path), text_node.text or "", tuple(annotations)))
    return docs


def read_cxrkit_truth(root: Path) -> list[AnnotatedDoc]:
    """The reports of a ``cxrkit synth`` export with their ``truth/phi.jsonl`` spans."""
    from cxrkit.reports.intake import read_reports  # noqa: PLC0415 - only for this format

    texts = {(r.source, r.accession): r.text for r in read_reports(root).reports}
    spans: dict[tuple[str, str], list[Annotation]] = {key: [] for key in texts}
    for line in (root / "truth" / "phi.jsonl").read_text("utf-8").splitlines():
        entry = json.loads(line)
        key = (str(entry.get("file")), str(entry.get("accession")))
        if entry["where"] == "report" and key in spans:
            fragment = ((int(entry["start"]), int(entry["end"])),)
            spans[key].append(Annotation(str(entry["category"]), fragment))
    return [
        AnnotatedDoc(f"{source}#{accession}", texts[source, accession], tuple(found))
        for (source, accession), found in sorted(spans.items())
    ]
