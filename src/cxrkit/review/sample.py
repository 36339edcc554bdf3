"""The review sample (S21): a release's items, a keyed stratified draw, its frozen manifest.

- :func:`release_items` lists a release's images (``files/…/s<study>/<dicom_id>.dcm``) or
  reports (``files/…/s<study>.txt``), each with its stratum: "manufacturer / model / view" for
  an image (from the released DICOM header where the tables lack them; "unknown" for a part
  neither holds), the view of the study's first image for a report ("report" when it has none);
- :func:`draw_sample` ranks every item by HMAC-SHA256 of the review key and its id (the same
  key gives the same sample; without the key the sample cannot be predicted) and takes from
  each stratum its share of the size (largest remainder; every stratum at least one item
  where the size allows);
- :func:`manifest_text` freezes a sample and its parameters as text, :func:`manifest_sha256`
  hashes it, :func:`read_manifest` reads it back;
- :func:`reader_order` gives each reader their own keyed order of the items.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_partial
from pydicom.tag import BaseTag, Tag

from cxrkit.errors import ConfigError, DataFileError
from cxrkit.loaders.files import find_file, read_csv, require_columns
from cxrkit.release.assemble import METADATA, RECORD_LIST, STUDY_LIST

KINDS = ("image", "report", "labels")
UNKNOWN = "unknown"
#: The stratum of a report whose study has no image in the metadata table.
REPORT_STRATUM = "report"
_HEADER_TAGS = ("Manufacturer", "ManufacturerModelName", "ViewPosition")
_HEADER_TAG_IDS: list[BaseTag | int] = [Tag(keyword) for keyword in _HEADER_TAGS]
_LAST_HEADER_TAG = max(_HEADER_TAG_IDS)
_MANIFEST_TITLE = "# cxrkit review sample manifest"
_MANIFEST_COLUMNS = ("kind", "item_id", "stratum")


@dataclass(frozen=True)
class SampleItem:
    """One item to review.

    ``kind`` is "image", "report" or "labels" (a report labelled for the 14 observations);
    ``item_id`` the release-relative path of the image or report; ``stratum`` its stratum.
    """

    kind: str
    item_id: str
    stratum: str


def _part(value: object) -> str:
    text = " ".join(str(value or "").split())
    return text or UNKNOWN


def _table(out: Path, name: str, columns: list[str]) -> list[dict[str, str]]:
    path = find_file(out, name)
    assert path is not None  # required=True raises instead
    frame = read_csv(path, out, dtype=str, keep_default_na=False)
    require_columns(frame, columns, path, out)
    return [{c: str(row[c]) for c in columns} for row in frame[columns].to_dict("records")]


def _past_header_tags(tag: BaseTag, vr: str | None, length: int) -> bool:
    """Stop parsing after the last element :func:`_header` reads (top-level tags ascend)."""
    return bool(tag > _LAST_HEADER_TAG)


def _header(out: Path, rel: str) -> dict[str, str]:
    """The header values of :data:`_HEADER_TAGS` of a released image.

    Parsing stops at the first element after them (pixels never read): half the time of
    ``dcmread(stop_before_pixels=True, specific_tags=…)`` on a full header.
    """
    try:
        with (out / rel).open("rb") as handle:
            ds = read_partial(handle, stop_when=_past_header_tags, specific_tags=_HEADER_TAG_IDS)
    except (OSError, InvalidDicomError, ValueError, EOFError) as exc:
        raise DataFileError(f"{rel} cannot be read as DICOM ({type(exc).__name__})") from None
    return {tag: str(ds.get(tag, "") or "") for tag in _HEADER_TAGS}


def _views(out: Path) -> dict[str, str]:
    """dicom_id → ViewPosition from the metadata table."""
    rows = _table(out, METADATA, ["dicom_id", "ViewPosition"])
    return {r["dicom_id"]: r["ViewPosition"] for r in rows}


def _image_items(out: Path) -> list[SampleItem]:
    views = _views(out)
    items = []
    for row in _table(out, RECORD_LIST, ["dicom_id", "path"]):
        header = _header(out, row["path"])
        view = views.get(row["dicom_id"]) or header["ViewPosition"]
        parts = (header["Manufacturer"], header["ManufacturerModelName"], view)
        items.append(SampleItem("image", row["path"], " / ".join(_part(p) for p in parts)))
    return items


def _report_items(out: Path, kind: str) -> list[SampleItem]:
    views = _views(out)
    first: dict[str, tuple[str, str]] = {}  # study_id → (dicom_id, view) of its first image
    for row in _table(out, RECORD_LIST, ["study_id", "dicom_id"]):
        entry = (row["dicom_id"], views.get(row["dicom_id"], ""))
        if row["study_id"] not in first or entry < first[row["study_id"]]:
            first[row["study_id"]] = entry
    items = []
    for row in _table(out, STUDY_LIST, ["study_id", "path"]):
        study = first.get(row["study_id"])
        items.append(SampleItem(kind, row["path"], _part(study[1]) if study else REPORT_STRATUM))
    return items


def release_items(out: Path, kind: str) -> list[SampleItem]:
    """Every item of ``kind`` in the release at ``out``, sorted by item id.

    Images come from ``cxr-record-list.csv.gz`` (their view from the metadata table, their
    manufacturer and model from the released header, read without the pixels); reports and
    "labels" items from ``cxr-study-list.csv.gz``.

    Raises
    ------
    ConfigError
        For an unknown kind.
    DataFileError
        When a table is missing or lacks a column, or a listed image cannot be read.
    """
    if kind not in KINDS:
        raise ConfigError(f"unknown item kind {kind!r}; use one of {', '.join(KINDS)}")
    items = _image_items(out) if kind == "image" else _report_items(out, kind)
    return sorted(items, key=lambda item: item.item_id)


def _rank(key: bytes, *parts: str) -> bytes:
    """HMAC-SHA256 of ``parts`` (NUL-separated) under ``key``: a keyed, unpredictable rank."""
    return hmac.new(key, "\0".join(parts).encode("utf-8"), hashlib.sha256).digest()


def allocate(sizes: Mapping[str, int], size: int) -> dict[str, int]:
    """How many items each stratum gives to a sample of ``size``.

    Proportional to the strata's sizes, rounded by largest remainder; every non-empty stratum
    gets at least one when ``size`` is at least the number of strata (taken from the strata
    furthest above their quota). With fewer places than strata, the largest strata get one
    each. Ties go by stratum name.

    Examples
    --------
    >>> allocate({"a": 90, "b": 9, "c": 1}, 10)
    {'a': 8, 'b': 1, 'c': 1}
    >>> allocate({"a": 5, "b": 3}, 4), allocate({"a": 5, "b": 3, "c": 4}, 2)
    ({'a': 3, 'b': 1}, {'a': 1, 'b': 0, 'c': 1})
    """
    strata = sorted(s for s, n in sizes.items() if n > 0)
    total = sum(sizes[s] for s in strata)
    size = min(size, total)
    if size < len(strata):
        chosen = sorted(strata, key=lambda s: (-sizes[s], s))[:size]
        return {s: int(s in chosen) for s in strata}
    quota = {s: size * sizes[s] / total for s in strata}
    counts = {s: max(1, math.floor(quota[s])) for s in strata}
    while sum(counts.values()) < size:  # max/min keep the first of equals: name order
        grow = max((s for s in strata if counts[s] < sizes[s]), key=lambda s: quota[s] - counts[s])
        counts[grow] += 1
    while sum(counts.values()) > size:
        shrink = min((s for s in strata if counts[s] > 1), key=lambda s: quota[s] - counts[s])
        counts[shrink] -= 1
    return counts


def draw_sample(items: Sequence[SampleItem], size: int, key: bytes) -> list[SampleItem]:
    """A keyed, stratified random sample of ``size`` items, sorted by item id.

    Each item's rank is HMAC-SHA256(key, item id); each stratum gives its
    :func:`allocate`-d number of items of lowest rank. A size at or above the number of items
    gives them all.

    Examples
    --------
    >>> items = [SampleItem("image", f"i{n}", "PA" if n < 8 else "LATERAL") for n in range(10)]
    >>> picked = draw_sample(items, 5, b"k" * 32)
    >>> len(picked), sorted({i.stratum for i in picked}), picked == draw_sample(items, 5, b"k" * 32)
    (5, ['LATERAL', 'PA'], True)
    """
    if size < 0:
        raise ConfigError(f"the sample size must not be negative, got {size}")
    ids = [item.item_id for item in items]
    if len(set(ids)) != len(ids):
        raise ConfigError("the items to sample from hold an item id twice")
    if size >= len(items):
        return sorted(items, key=lambda item: item.item_id)
    strata: dict[str, list[SampleItem]] = defaultdict(list)
    for item in items:
        strata[item.stratum].append(item)
    counts = allocate({s: len(members) for s, members in strata.items()}, size)
    picked = []
    for stratum, members in strata.items():
        ranked = sorted(members, key=lambda item: _rank(key, "sample", item.item_id))
        picked.extend(ranked[: counts[stratum]])
    return sorted(picked, key=lambda item: item.item_id)


def reader_order(item_ids: Sequence[str], key: bytes, reader: str) -> list[str]:
    """The order in which ``reader`` sees the items: by HMAC-SHA256(key, reader, item id).

    Each reader has their own order; the same key and reader give the same order (a reload
    resumes it).

    Examples
    --------
    >>> ids = [f"i{n}" for n in range(20)]
    >>> a, b = reader_order(ids, b"k", "ann"), reader_order(ids, b"k", "bob")
    >>> sorted(a) == sorted(b) == sorted(ids), a == b, a == reader_order(ids, b"k", "ann")
    (True, False, True)
    """
    return sorted(item_ids, key=lambda item_id: _rank(key, "order", reader, item_id))


def _one_line(name: str, value: str) -> None:
    if "\n" in value or "\r" in value or "\n" in name or ":" in name:
        raise ConfigError(f"manifest parameter {name!r} must be one line (and a name without ':')")


def manifest_text(sample: Sequence[SampleItem], params: Mapping[str, str]) -> str:
    """The frozen manifest of a sample: its parameters, then one CSV line per item.

    ``params`` (e.g. kind, target rate, confidence, size, when it was drawn) are written as
    ``# name: value`` lines sorted by name, then a ``kind,item_id,stratum`` CSV table sorted by
    kind and item id; lines end with ``\n``. The same sample and parameters give the same
    text, hence the same :func:`manifest_sha256`. Never put the sampling key in ``params``.

    Examples
    --------
    >>> text = manifest_text([SampleItem("report", "files/p1/p1/s2.txt", "PA")], {"size": "1"})
    >>> print(text, end="")
    # cxrkit review sample manifest
    # size: 1
    kind,item_id,stratum
    report,files/p1/p1/s2.txt,PA
    """
    lines = [_MANIFEST_TITLE]
    for name in sorted(params):
        _one_line(name, params[name])
        lines.append(f"# {name}: {params[name]}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_MANIFEST_COLUMNS)
    for item in sorted(sample, key=lambda i: (i.kind, i.item_id)):
        writer.writerow((item.kind, item.item_id, item.stratum))
    return "\n".join(lines) + "\n" + buffer.getvalue()


def manifest_sha256(text: str) -> str:
    """The SHA-256 (hex) of a manifest's UTF-8 bytes.

    Examples
    --------
    >>> manifest_sha256("")[:12]
    'e3b0c44298fc'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_manifest(text: str) -> tuple[dict[str, str], list[SampleItem]]:
    """The parameters and items of a manifest written by :func:`manifest_text`.

    Examples
    --------
    >>> sample = [SampleItem("image", "files/a.dcm", "X / Y / PA")]
    >>> read_manifest(manifest_text(sample, {"kind": "image"})) == ({"kind": "image"}, sample)
    True
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\n") != _MANIFEST_TITLE:
        raise DataFileError("not a cxrkit review sample manifest (first line)")
    params: dict[str, str] = {}
    body = 1
    while body < len(lines) and lines[body].startswith("# "):
        name, _, value = lines[body][2:].rstrip("\n").partition(": ")
        params[name] = value
        body += 1
    return params, _manifest_items(lines[body:])


def _manifest_items(lines: Iterable[str]) -> list[SampleItem]:
    reader = csv.reader(lines)
    if tuple(next(reader, ())) != _MANIFEST_COLUMNS:
        raise DataFileError("the manifest's item table has no kind,item_id,stratum header")
    try:
        return [SampleItem(kind, item_id, stratum) for kind, item_id, stratum in reader]
    except ValueError:
        raise DataFileError("a manifest item line does not have three fields") from None
