"""Is a line of burned-in text PHI? The study's deny-list, PHI patterns, the keep-list (S5).

A token is PHI if it fuzzily matches an original header value of its study (:class:`PixelDenyList`:
names and their parts, identifiers, accession, dates and times in common formats) or looks
like a date, a time, an identifier or a ``FAMILY, GIVEN`` name. Matching folds the letters
OCR confuses (O/0, I/1/l/L, S/5, B/8) and forgives one edit in longer values; tesseract does
not read the DICOM name separator ``^``, so names are matched by their parts.

A line is kept only if every token in it is on the :class:`KeepList` (orientation markers,
positions, technique strings; ``_tables/burned_in_keep.txt``) and none is PHI. Other legible
text is removed too: in doubt, remove.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import pydicom
from pydicom.valuerep import PersonName

from cxrkit.dicom import tuning
from cxrkit.dicom.ocr import Word
from cxrkit.errors import ConfigError

_FOLD = str.maketrans({"0": "O", "1": "I", "L": "I", "5": "S", "8": "B", "|": "I", "!": "I"})
_DIGITS = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1", "S": "5", "B": "8"})

PERSON_KEYWORDS = (
    "PatientName",
    "OtherPatientNames",
    "PatientBirthName",
    "PatientMotherBirthName",
    "ReferringPhysicianName",
    "PerformingPhysicianName",
    "OperatorsName",
    "NameOfPhysiciansReadingStudy",
    "RequestingPhysician",
    "ResponsiblePerson",
)
ID_KEYWORDS = ("PatientID", "OtherPatientIDs", "AccessionNumber", "StudyID", "RequestedProcedureID")
PLACE_KEYWORDS = ("InstitutionName", "StationName", "InstitutionAddress")
DATE_KEYWORDS = (
    "PatientBirthDate",
    "StudyDate",
    "SeriesDate",
    "AcquisitionDate",
    "ContentDate",
    "InstanceCreationDate",
)
TIME_KEYWORDS = ("StudyTime", "SeriesTime", "AcquisitionTime", "ContentTime")
DATE_FORMATS = (
    "%Y%m%d",
    "%m%d%Y",
    "%d%m%Y",
    "%m%d%y",
    "%d%m%y",
    "%d%b%Y",
    "%b%d%Y",
    "%Y%b%d",
    "%d%B%Y",
    "%B%d%Y",
)

_PATTERNS = {
    "date": re.compile(
        r"\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b|\b(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\b"
    ),
    "time": re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b"),
    "identifier": re.compile(r"\d{4,}|\b(?=\w*\d\w*\d\w*\d)[A-Z0-9]{5,}\b", re.IGNORECASE),
    "name": re.compile(r"\b[A-Z][A-Za-z'-]+\s*,\s*[A-Z][A-Za-z'-]*|[A-Za-z]{2,}[\^~*][A-Za-z]"),
}
_MONTH = re.compile(r"\b(JAN|FEB|MAR|APR|MAY|JUNE?|JULY?|AUG|SEPT?|OCT|NOV|DEC)[A-Z]*\b")


def fold(text: str) -> str:
    """``text`` upper-cased with OCR confusables folded: O/0, I/1/l/L, S/5, B/8.

    Examples
    --------
    >>> fold("0RTEGA"), fold("Ortega"), fold("l58O"), fold("Quill") == fold("QUILL")
    ('ORTEGA', 'ORTEGA', 'ISBO', True)
    """
    return text.upper().translate(_FOLD)


def compact(text: str) -> str:
    """``text`` folded, with everything but letters and digits removed.

    Examples
    --------
    >>> compact("DOB: 06.16.1976")
    'DOBO6I6I976'
    """
    return re.sub(r"[^A-Z0-9]", "", fold(text))


def edits_within(a: str, b: str, limit: int) -> bool:
    """Whether the edit distance of ``a`` and ``b`` is at most ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return False
        prev = cur
    return prev[-1] <= limit


def within_text(needle: str, hay: str, limit: int) -> bool:
    """Whether ``needle`` occurs in ``hay`` with at most ``limit`` edits (Sellers' algorithm)."""
    if limit == 0 or len(needle) <= limit:
        return needle in hay
    prev = [0] * (len(hay) + 1)
    for i, cn in enumerate(needle, 1):
        cur = [i]
        for j, ch in enumerate(hay, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (cn != ch)))
        prev = cur
    return min(prev) <= limit


def _allowed_edits(n: int) -> int:
    t = tuning.TUNING.words
    return 0 if n < t.one_edit_length else 1 if n < t.two_edit_length else 2


def _strings(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str | PersonName):
        return [str(value)]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return [str(value)]


def _date_strings(value: str) -> set[str]:
    try:
        day = dt.datetime.strptime(value.strip()[:8], "%Y%m%d").date()
    except ValueError:
        return {compact(value)} if value.strip() else set()
    return {compact(day.strftime(f)) for f in DATE_FORMATS}


def _time_strings(value: str) -> set[str]:
    digits = re.sub(r"\D", "", value.split(".", maxsplit=1)[0])
    return {compact(digits)} if len(digits) >= tuning.TUNING.words.time_min_digits else set()


@dataclass(frozen=True)
class PixelDenyList:
    """The original header values of a study: PHI to look for in its pixels.

    ``words`` are single folded words matched token by token (name parts, identifiers);
    ``strings`` are compact folded values matched inside a whole line (full names,
    identifiers, dates and times in common formats).
    """

    words: frozenset[str] = frozenset()
    strings: frozenset[str] = frozenset()

    @classmethod
    def from_dataset(cls, ds: pydicom.Dataset, extra: Iterable[str] = ()) -> PixelDenyList:
        """Collect the deny-list from ``ds`` (read it before header de-identification).

        Examples
        --------
        >>> ds = pydicom.Dataset()
        >>> ds.PatientName, ds.PatientID = "Ortega^Maria^R", "02777330"
        >>> ds.PatientBirthDate = "19750213"
        >>> deny = PixelDenyList.from_dataset(ds)
        >>> sorted(deny.words)[:3], compact("13 FEB 1975") in deny.strings
        (['MARIA', 'O277733O', 'ORTEGA'], True)
        """
        t = tuning.TUNING.words
        words: set[str] = set()
        strings: set[str] = set()
        for kw in PERSON_KEYWORDS:
            for name in _strings(ds.get(kw)):
                parts = [p for p in re.split(r"[\^=\s,.]+", fold(name)) if len(p) >= t.min_word]
                words.update(parts)
                strings.add("".join(parts[:2]))
        for value in [*_id_values(ds), *extra]:
            words.update(w for w in re.split(r"\s+", fold(value)) if len(w) >= t.min_word)
            strings.add(compact(value))
        for kw in PLACE_KEYWORDS:
            strings.update(compact(v) for v in _strings(ds.get(kw)))
        for kw in DATE_KEYWORDS:
            for v in _strings(ds.get(kw)):
                strings.update(_date_strings(v))
        for kw in TIME_KEYWORDS:
            for v in _strings(ds.get(kw)):
                strings.update(_time_strings(v))
        return cls(frozenset(words), frozenset(s for s in strings if len(s) >= t.min_string))

    def matches_word(self, word: str) -> bool:
        """Whether the folded ``word`` is one of the deny-list's words, within OCR error."""
        t = tuning.TUNING.words
        w = re.sub(r"[^A-Z0-9]", "", fold(word))
        if len(w) < t.min_word:
            return False
        if w in self.words:
            return True
        limit = _allowed_edits(len(w))
        fuzzy = (d for d in self.words if len(d) >= t.one_edit_length)
        return limit > 0 and any(edits_within(w, d, limit) for d in fuzzy)

    def matches_line(self, line: str) -> bool:
        """Whether a deny-list string occurs in ``line`` (compacted), within OCR error."""
        c = compact(line)
        return any(within_text(s, c, _allowed_edits(len(s))) for s in self.strings)


def _id_values(ds: pydicom.Dataset) -> list[str]:
    out = [v for kw in ID_KEYWORDS for v in _strings(ds.get(kw))]
    for item in ds.get("OtherPatientIDsSequence", []):
        out += _strings(item.get("PatientID"))
    return [v for v in out if v.strip()]


@dataclass(frozen=True)
class KeepList:
    """Burned-in text that is kept: folded words and technique patterns."""

    words: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def default(cls) -> KeepList:
        """The shipped keep-list, ``cxrkit/dicom/_tables/burned_in_keep.txt``.

        Examples
        --------
        >>> keep = KeepList.default()
        >>> compact("PORTABLE") in keep.words, keep.keeps("Semi-Upright")
        (True, True)
        >>> keep.keeps("72 kVp 3.2 mAs"), keep.keeps("72 kVp DOE")
        (True, False)
        """
        return _default_keep()

    @classmethod
    def from_file(cls, path: Path) -> KeepList:
        """A keep-list read from ``path`` in the format of the shipped file."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read the keep-list {path}: {exc.strerror}") from exc
        return cls.from_lines(text.splitlines(), origin=str(path))

    @classmethod
    def from_lines(cls, lines: Iterable[str], *, origin: str = "keep-list") -> KeepList:
        """A keep-list from entries: words, or ``re: PATTERN`` lines."""
        words: set[str] = set()
        patterns = []
        for raw in lines:
            entry = raw.split("#", 1)[0].strip()
            if entry.startswith("re:"):
                try:
                    patterns.append(re.compile(entry[3:].strip(), re.IGNORECASE))
                except re.error as exc:
                    raise ConfigError(f"bad pattern in {origin}: {entry!r} ({exc})") from exc
            elif entry:
                words.add(compact(entry))
        return cls(frozenset(words), tuple(patterns))

    def keeps(self, line: str) -> bool:
        """Whether every token of ``line`` is kept (technique strings count as kept)."""
        rest = line
        for pattern in self.patterns:
            rest = pattern.sub(" ", rest)
        tokens = [compact(t) for t in rest.split()]
        tokens = [t for t in tokens if t]
        if not tokens and rest == line:
            return False
        return all(self._keeps_word(t) for t in tokens)

    def _keeps_word(self, token: str) -> bool:
        if token in self.words:
            return True
        least = tuning.TUNING.words.keep_fuzzy_length
        return len(token) >= least and any(
            edits_within(token, w, 1) for w in self.words if len(w) >= least
        )


@functools.cache
def _default_keep() -> KeepList:
    text = (files("cxrkit.dicom") / "_tables" / "burned_in_keep.txt").read_text(encoding="utf-8")
    return KeepList.from_lines(text.splitlines(), origin="burned_in_keep.txt")


@functools.cache
def _phi_labels() -> frozenset[str]:
    text = (files("cxrkit.dicom") / "_tables" / "burned_in_phi.txt").read_text(encoding="utf-8")
    entries = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return frozenset(compact(e) for e in entries if e)


class Verdict(enum.Enum):
    """What a line of burned-in text is."""

    PHI = "phi"  # matches the deny-list or a PHI pattern: removed
    TEXT = "text"  # legible text that is neither PHI nor kept: removed (in doubt, remove)
    KEEP = "keep"  # every token is on the keep-list: kept
    NOISE = "noise"  # nothing legible: not text


def _digitised(line: str) -> str:
    """Tokens holding two digits or more with letter look-alikes read as digits."""
    least = tuning.TUNING.words.digitise_min_digits
    return " ".join(
        t.translate(_DIGITS) if sum(c.isdigit() for c in t) >= least else t for t in line.split()
    )


def phi_kind(
    words: Iterable[Word], deny: PixelDenyList, keep: KeepList | None = None
) -> str | None:
    """The kind of PHI in a line (``name``, ``identifier``, ``date``, ``time``, ``label``),
    or None. Names the kind only, never the text, so it is safe to report.

    Examples
    --------
    >>> deny = PixelDenyList(frozenset({"ORTEGA"}), frozenset())
    >>> phi_kind([Word("0RTEGA,", 80.0), Word("MARlA", 70.0)], deny)
    'name'
    >>> phi_kind([Word("PORTABLE", 90.0)], deny) is None
    True
    """
    items = list(words)
    line = " ".join(w.text for w in items)
    if any(deny.matches_word(w.text) for w in items) or deny.matches_line(line):
        return "name" if any(deny.matches_word(w.text) for w in items) else "identifier"
    rest = line
    for pattern in (keep or KeepList.default()).patterns:
        rest = pattern.sub(" ", rest)
    for variant in (rest, _digitised(rest)):
        for kind, pattern in _PATTERNS.items():
            if pattern.search(variant):
                return kind
        if _MONTH.search(variant.upper()) and re.search(r"\d", variant):
            return "date"
    labels = _phi_labels()
    if any(compact(w.text) in labels for w in items):
        return "label"
    return None


def classify_line(words: Iterable[Word], deny: PixelDenyList, keep: KeepList) -> Verdict:
    """The :class:`Verdict` of one OCR'd line.

    Examples
    --------
    >>> deny, keep = PixelDenyList(), KeepList.default()
    >>> classify_line([Word("PORTABLE", 91.0)], deny, keep).value
    'keep'
    >>> classify_line([Word("DOB:", 90.0), Word("13", 88.0), Word("FEB", 85.0)], deny, keep).value
    'phi'
    >>> classify_line([Word("CHEST", 90.0), Word("PAIN", 90.0)], deny, keep).value
    'text'
    """
    items = [w for w in words if re.search(r"[A-Za-z0-9]", w.text)]
    if not items:
        return Verdict.NOISE
    if phi_kind(items, deny, keep) is not None:
        return Verdict.PHI
    line = " ".join(w.text for w in items)
    if keep.keeps(line):
        return Verdict.KEEP
    t = tuning.TUNING.words
    confident = [w for w in items if w.confidence >= t.min_confidence]
    legible = sum(len(re.sub(r"[^A-Za-z0-9]", "", w.text)) for w in confident)
    return Verdict.TEXT if legible >= t.legible_min_chars else Verdict.NOISE
