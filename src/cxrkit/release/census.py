"""``cxrkit verify OUT --census CSV``: the whole vocabulary of a release, for a reviewer.

Two kinds of rows, in one CSV (:data:`COLUMNS`):

- ``header``: every distinct text value kept in the DICOM headers of the release (file meta
  included, sequences at every depth), by attribute path (``ProcedureCodeSequence>CodeMeaning``)
  and value, with the number of images that carry it. Keyed ``2.25.`` UIDs are shown as
  ``2.25.<keyed>`` (each is unique and says nothing).
- ``report``: every distinct capitalised word of the reports that is not a known word, with
  the number of reports and of occurrences, and one example in context in which every *other*
  unknown capitalised word is masked as ``[?]``.

A word is known when its lower case is in the English and medical word lists
(:func:`cxrkit.reports.lexicon.known_words`: the English words of Faker's ``en_US`` lorem
provider, the labeler's vocabulary, the section headers of the report rules,
``_data/census_words.txt``) or when the
release itself uses it in lower case somewhere ("Clear" is known because "clear" occurs); a
hyphenated word when all its parts are.

The census only reads the release: no private workspace is needed, and it prints no value.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from cxrkit.errors import ConfigError
from cxrkit.release.layout import write_atomic
from cxrkit.release.tables import release_files
from cxrkit.release.verify import IMAGE_PATH, REPORT_PATH
from cxrkit.reports.lexicon import known_words
from cxrkit.sources.discover import read_dataset

COLUMNS = ("kind", "attribute", "vr", "value", "files", "occurrences", "example")
TEXT_VRS = frozenset(
    {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI"}
    | {"UR", "UT"}
)
MASK = "[?]"
_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Za-z]*(?:['’-][A-Za-z]+)*(?![A-Za-z0-9])")
_LOWER = re.compile(r"(?<![A-Za-z])[a-z]+(?![A-Za-z])")
_KEYED_UID = re.compile(r"2\.25\.\d+")


@dataclass(frozen=True)
class CensusSummary:
    """How many rows of each kind a census wrote."""

    header_values: int
    report_words: int


def _attribute(elem: DataElement, prefix: str) -> str:
    name = elem.keyword or f"({elem.tag.group:04X},{elem.tag.element:04X})"
    return f"{prefix}{name}"


def _text(elem: DataElement) -> str:
    values = elem.value if isinstance(elem.value, MultiValue) else [elem.value]
    text = "\\".join("" if v is None else str(v) for v in values)
    return _KEYED_UID.sub("2.25.<keyed>", text) if elem.VR == "UI" else text


def header_values(ds: Dataset, prefix: str = "") -> Iterator[tuple[str, str, str]]:
    """``(attribute path, VR, value)`` of every non-empty text element, at every depth."""
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value:
                yield from header_values(item, _attribute(elem, prefix) + ">")
        elif elem.VR in TEXT_VRS and elem.value not in (None, ""):
            yield _attribute(elem, prefix), str(elem.VR), _text(elem)


def header_census(root: Path, rels: Iterable[str]) -> list[list[object]]:
    """Rows of the header census of the images ``rels`` under ``root``."""
    images: Counter[tuple[str, str, str]] = Counter()
    occurrences: Counter[tuple[str, str, str]] = Counter()
    for rel in rels:
        ds = read_dataset(root / rel, pixels=False)
        found = [*header_values(ds.file_meta), *header_values(ds)]
        occurrences.update(found)
        images.update(set(found))
    return [["header", *key, images[key], occurrences[key], ""] for key in sorted(images)]


def _base(word: str) -> str:
    """``word`` without a possessive ``'s``."""
    return re.sub(r"['’]s$", "", word)


def _is_known(word: str, known: frozenset[str], lower_seen: set[str]) -> bool:
    parts = [p for p in re.split(r"['’-]", word.lower()) if len(p) > 1]
    return all(p in known or p in lower_seen for p in parts)


def _context(text: str, start: int, end: int, masked: list[tuple[int, int]]) -> str:
    """About 40 characters each side of ``text[start:end]``, whole words, others masked."""
    left, right = max(0, start - 40), min(len(text), end + 40)
    while 0 < left < start and not text[left - 1].isspace():
        left += 1
    while end < right < len(text) and not text[right].isspace():
        right -= 1
    pieces, at = [], left
    for a, b in masked:
        if b <= left or a >= right or (a, b) == (start, end):
            continue
        pieces.append(text[at:a] + MASK)
        at = b
    pieces.append(text[at:right])
    return " ".join("".join(pieces).split())


def report_census(root: Path, rels: Iterable[str]) -> list[list[object]]:
    """Rows of the census of the capitalised words that are not known words."""
    texts = [(rel, (root / rel).read_text(encoding="utf-8")) for rel in rels]
    lower_seen = {w for _, text in texts for w in _LOWER.findall(text)}
    known = known_words()
    reports: Counter[str] = Counter()
    occurrences: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for _, text in texts:
        unknown = [
            m for m in _WORD.finditer(text) if len(m.group()) > 1
            and not _is_known(_base(m.group()), known, lower_seen)
        ]  # fmt: skip
        spans = [m.span() for m in unknown]
        for match in unknown:
            word = _base(match.group())
            occurrences[word] += 1
            if word not in examples:
                examples[word] = _context(text, *match.span(), spans)
        reports.update({_base(m.group()) for m in unknown})
    return [
        ["report", "report text", "", word, reports[word], occurrences[word], examples[word]]
        for word in sorted(reports)
    ]


def census_rows(root: Path) -> tuple[list[list[object]], list[list[object]]]:
    """The header and report rows of the census of the release in ``root``."""
    by_kind: dict[str, list[str]] = defaultdict(list)
    for rel in release_files(root):
        if IMAGE_PATH.fullmatch(rel):
            by_kind["image"].append(rel)
        elif REPORT_PATH.fullmatch(rel):
            by_kind["report"].append(rel)
    return header_census(root, by_kind["image"]), report_census(root, by_kind["report"])


def write_census(root: Path, target: Path) -> CensusSummary:
    """Write the census of the release in ``root`` to the CSV file ``target``.

    ``target`` must lie outside the release (the census is for reviewers, never published).
    """
    if target.resolve().is_relative_to(root.resolve()):
        raise ConfigError(
            f"the census {target.name} would be written inside the release; write it elsewhere"
        )
    headers, words = census_rows(root)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([*headers, *words])
    write_atomic(target, buffer.getvalue().encode("utf-8"))
    return CensusSummary(len(headers), len(words))
