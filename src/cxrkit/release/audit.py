"""The leak audit of ``cxrkit verify --private``: every PHI value the crosswalk knows, searched
for in every header element at every depth, every report, every file and folder name, and the
OCR of every image's text.

The crosswalk (keystore) holds the source identifiers (MRNs, accession numbers, original
UIDs) and the identifying values a build read (names, birth and study dates, institutions).
The designators of the source's local coding schemes (the hospital's own abbreviation, such
as "99XYZMC") are searched for too, as whole words (category ``scheme``).
A hit is reported by category and release path, never with the value.

Matching: identifiers, UIDs, places and dates (in the usual written forms) as substrings,
ignoring case; person names as full names in any order, and family names as whole words —
in reports only where they read as names (capitalised, and either not an ordinary English
word or after a title such as "Dr."), since "Hope" or "May" are words too. New ``2.25.`` UIDs
are digit strings by construction: digits inside them are not leaks.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import os
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import sqlalchemy as sa
from pydicom.dataset import Dataset

from cxrkit.errors import ConfigError
from cxrkit.identity.keystore import Keystore, images, patients, studies
from cxrkit.identity.source_keys import PatientKey, StudyKey
from cxrkit.release.tables import release_files
from cxrkit.sources.discover import read_dataset

TITLES = r"(?:Dr|Mr|Mrs|Ms|Miss|Prof)\.?\s+"
NEW_UID = re.compile(r"2\.25\.\d+")
TEXT_VRS = {
    "AE",
    "AS",
    "CS",
    "DA",
    "DS",
    "DT",
    "IS",
    "LO",
    "LT",
    "PN",
    "SH",
    "ST",
    "TM",
    "UC",
    "UI",
    "UR",
    "UT",
}


def _common_words() -> frozenset[str]:
    text = (files("cxrkit.release") / "_data" / "name_words.txt").read_text("utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


@dataclass(frozen=True)
class Leak:
    category: str  # name, id, uid, date, place, scheme
    place: str  # header, report, path, pixels
    where: str  # release path


@dataclass(frozen=True)
class Needles:
    """Compiled patterns per category."""

    plain: dict[str, re.Pattern[str]]  # category -> case-insensitive substring alternation
    names_anywhere: re.Pattern[str] | None  # full names and uncommon family names
    names_titled: re.Pattern[str] | None  # common-word family names after a title
    names_every: re.Pattern[str] | None  # every full and family name: headers and paths
    by_subject: dict[int, tuple[str, ...]]  # each patient's values, for the pixel audit


def _date_forms(value: str) -> list[str]:
    try:
        d = dt.datetime.strptime(value.strip()[:8], "%Y%m%d").date()
    except ValueError:
        return [value]
    return [f"{d:%Y%m%d}", f"{d:%Y-%m-%d}", f"{d:%m/%d/%Y}", f"{d.month}/{d.day}/{d:%Y}"]


def _name_parts(value: str) -> list[str]:
    return [p for p in re.split(r"[\^,\s.]+", value) if len(p) >= 3]


def _alternation(values: set[str], *, words: bool = False) -> re.Pattern[str] | None:
    if not values:
        return None
    body = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    return re.compile(rf"\b(?:{body})\b" if words else f"(?:{body})", re.IGNORECASE)


def collect(keystore: Keystore) -> Needles:
    """Every value the crosswalk knows, compiled into matchers."""
    found: dict[str, set[str]] = {"id": set(), "uid": set(), "date": set(), "place": set()}
    schemes: set[str] = set()
    full, families = set(), set()
    by_subject: dict[int, set[str]] = {}
    for subject_id, kind, value in keystore.known_phi():
        if kind != "scheme":  # a scheme's name is not written on images
            by_subject.setdefault(subject_id, set()).add(value)
        if kind == "name":
            parts = _name_parts(value)
            families.update(parts[:1])
            if len(parts) >= 2:
                full.update(
                    {f"{parts[1]} {parts[0]}", f"{parts[0]}, {parts[1]}", f"{parts[0]}^{parts[1]}"}
                )
        elif kind == "date":
            found["date"].update(_date_forms(value))
        elif kind == "scheme" and len(value) >= 3:
            schemes.add(value)
        elif kind in found and len(value) >= 4:
            found[kind].add(value)
    with keystore.engine.connect() as conn:
        found["id"].update(
            PatientKey.parse(r[0]).mrn for r in conn.execute(sa.select(patients.c.source_patient))
        )
        found["id"].update(
            StudyKey.parse(r[0]).value for r in conn.execute(sa.select(studies.c.source_study))
        )
        found["uid"].update(r[0] for r in conn.execute(sa.select(images.c.sop_instance_uid)))
    ids = {v for v in found.pop("id") if len(v) >= 5}
    plain = {k: p for k, v in found.items() if (p := _alternation(v))}
    # Short numbers turn up by chance inside shifted dates and long numbers: whole tokens only.
    for key, values, words in (
        ("id", {v for v in ids if not v.isdigit() or len(v) >= 9}, False),
        ("id-number", {v for v in ids if v.isdigit() and len(v) < 9}, True),
        ("scheme", schemes, True),  # a local coding scheme's designator: a whole word
    ):
        if (p := _alternation(values, words=words)) is not None:
            plain[key] = p
    common = {f for f in families if f.lower() in _common_words()}
    anywhere = _alternation(full | (families - common), words=True)
    titled = (
        re.compile(TITLES + f"(?:{'|'.join(map(re.escape, sorted(common)))})\\b", re.IGNORECASE)
        if common
        else None
    )
    every = _alternation(full | families, words=True)
    subjects = {k: tuple(sorted(v)) for k, v in by_subject.items()}
    return Needles(plain, anywhere, titled, every, subjects)


def _search(text: str, needles: Needles, *, names_in_prose: bool) -> list[str]:
    hits = [k.split("-")[0] for k, p in needles.plain.items() if p.search(text)]
    if not names_in_prose:  # headers and paths hold no prose: any family name is a leak
        if needles.names_every is not None and needles.names_every.search(text):
            hits.append("name")
        return hits
    if needles.names_anywhere is not None:  # a name in prose is capitalised
        pattern = needles.names_anywhere
        hits += ["name" for m in pattern.finditer(text) if m.group(0)[:1].isupper()][:1]
    if needles.names_titled is not None and needles.names_titled.search(text):
        hits.append("name")
    return hits


def _header_text(ds: Dataset) -> str:
    values = []
    for elem in [*ds.file_meta, *ds.iterall()] if hasattr(ds, "file_meta") else ds.iterall():
        if elem.VR in TEXT_VRS and elem.value is not None:
            values.append(str(elem.value))
    return NEW_UID.sub("2.25.UID", "\n".join(values))


def _audit_files(root: Path, rels: list[str], needles: Needles) -> list[Leak]:
    leaks = []
    for rel in rels:
        if rel.endswith(".txt"):
            text = (root / rel).read_text(encoding="utf-8")
            leaks += [Leak(c, "report", rel) for c in _search(text, needles, names_in_prose=True)]
        elif ".dcm" in rel:
            text = _header_text(read_dataset(root / rel, pixels=False))
            leaks += [Leak(c, "header", rel) for c in _search(text, needles, names_in_prose=False)]
    return leaks


def _audit_pixels(
    root: Path, rels: list[str], by_subject: dict[int, tuple[str, ...]]
) -> list[Leak]:
    """OCR each image's text candidates; a line showing its own patient's values is a leak."""
    from cxrkit.dicom.scrub import PixelDenyList, find_pixel_phi  # noqa: PLC0415 - OCR only here

    leaks = []
    for rel in rels:
        subject = int(rel.split("/")[2][1:])
        values = [re.sub(r"[\^,]", " ", v) for v in by_subject.get(subject, ())]
        deny = PixelDenyList.from_dataset(Dataset(), extra=values)
        ds = read_dataset(root / rel)
        if find_pixel_phi(ds.pixel_array, deny=deny):
            leaks.append(Leak("text", "pixels", rel))
    return leaks


def audit(
    root: Path,
    private: Path,
    *,
    ocr: bool = True,
    workers: int | None = None,
    keystore_url: str | None = None,
) -> list[Leak]:
    """Search the release in ``root`` for every PHI value the keystore in ``private`` knows."""
    if not (private / "secret.key").exists():
        raise ConfigError(f"{private} is not a private workspace (no secret.key)")
    keystore = Keystore.open(private, keystore_url)
    needles = collect(keystore)
    if not needles.by_subject:
        raise ConfigError(
            "the keystore knows no PHI values, so an audit would prove nothing: check --private "
            "and --keystore (they must be the ones the build used)"
        )
    rels = release_files(root)
    leaks = [
        Leak(c, "path", rel) for rel in rels for c in _search(rel, needles, names_in_prose=False)
    ]
    leaks += _audit_files(root, rels, needles)
    if ocr:
        dicoms = [r for r in rels if ".dcm" in r]
        chunks = [
            dicoms[i :: max(1, workers or os.cpu_count() or 1)]
            for i in range(max(1, workers or os.cpu_count() or 1))
        ]
        with cf.ProcessPoolExecutor(max_workers=len(chunks)) as pool:
            for found in pool.map(
                _audit_pixels, [root] * len(chunks), chunks, [needles.by_subject] * len(chunks)
            ):
                leaks += found
    return sorted(set(leaks), key=lambda x: (x.where, x.place, x.category))
