"""The de-identification profile, compiled from PS3.15 Table E.1-1 (S4).

cxrkit applies one option set: the Basic Application Level Confidentiality Profile with the
options Clean Descriptors, Retain Longitudinal Temporal Information with Modified Dates, Clean
Pixel Data and Clean Graphics. For each row of the table the action is resolved once:

============================  ============================================================
table entry                   cxrkit action
============================  ============================================================
Modified Dates option ``C``   ``DATE``: DA and the date of DT shifted; TM kept; other VRs removed
Clean Descriptors ``C``       ``CLEAN``: free text kept only through a lookup table
                              (``_tables/descriptors.toml``); sequences cleaned item by item
Clean Graphics ``C``          ``REMOVE`` (graphics are removed, the conservative cleaning)
``X``                         ``REMOVE``
``Z``, ``X/Z``, ``X/Z/D``     ``EMPTY`` (zero length; a sequence with no items)
``D``, ``X/D``, ``Z/D``       ``DUMMY`` (a VR-valid dummy value; a sequence is cleaned)
``U``, ``X/Z/U*``             ``UID`` (keyed replacement; a sequence is cleaned, UIDs mapped)
``K``                         ``KEEP``
============================  ============================================================

Tags in neither the table nor ``_tables/keep.txt`` get ``REMOVE`` (default deny); so do all
private groups and the repeating groups 50xx (curves) and 60xx (overlays).
"""

from __future__ import annotations

import csv
import enum
import functools
import json
import tomllib
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from pydicom.datadict import tag_for_keyword


class Action(enum.Enum):
    REMOVE = "X"
    EMPTY = "Z"
    DUMMY = "D"
    UID = "U"
    KEEP = "K"
    DATE = "C-date"
    CLEAN = "C-descriptor"


BASIC_ACTIONS = {
    "X": Action.REMOVE,
    "Z": Action.EMPTY,
    "X/Z": Action.EMPTY,
    "X/Z/D": Action.EMPTY,
    "D": Action.DUMMY,
    "X/D": Action.DUMMY,
    "Z/D": Action.DUMMY,
    "U": Action.UID,
    "X/Z/U*": Action.UID,
    "K": Action.KEEP,
    "C": Action.CLEAN,
}

#: Repeating groups removed whole (PS3.5 7.6): curves (50xx, retired) and overlays (60xx).
CURVE_GROUPS = range(0x5000, 0x50FF + 1)
OVERLAY_GROUPS = range(0x6000, 0x60FF + 1)
#: The mask of a tag without ``x`` wildcards: it names one attribute.
EXACT_TAG = 0xFFFFFFFF

#: The option set, as coded in De-identification Method Code Sequence (CID 7050, scheme DCM).
METHOD_CODES = (
    ("113100", "Basic Application Confidentiality Profile"),
    ("113105", "Clean Descriptors Option"),
    ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
    ("113101", "Clean Pixel Data Option"),
    ("113103", "Clean Graphics Option"),
)


@dataclass(frozen=True)
class Profile:
    """Actions by tag, for exact tags and for tag patterns such as ``(60xx,3000)``."""

    exact: dict[int, Action]
    masked: tuple[tuple[int, int, Action], ...]  # (mask, value, action)
    descriptors: dict[str, dict[str, str]]  # keyword -> {normalised value: written form}

    def action(self, tag: int) -> Action:
        """The action for ``tag`` (a 32-bit ``0xGGGGEEEE``); default deny."""
        group = tag >> 16
        if group & 1 or group in CURVE_GROUPS or group in OVERLAY_GROUPS:
            return Action.REMOVE  # private groups, curves, overlays
        found = self.exact.get(tag)
        if found is not None:
            return found
        for mask, value, act in self.masked:
            if tag & mask == value:
                return act
        return Action.REMOVE


def _table_path(name: str) -> Any:
    return files("cxrkit.dicom") / "_tables" / name


def resolve(row: dict[str, str]) -> Action:
    """The action of one Table E.1-1 row under cxrkit's option set."""
    if row.get("rtnLongModifDatesOpt") == "C":
        return Action.DATE
    if row.get("cleanDescOpt") == "C":
        return Action.CLEAN
    if row.get("cleanGraphOpt") == "C":
        return Action.REMOVE
    return BASIC_ACTIONS[row["basicProfile"]]


def _parse_tag(text: str) -> tuple[int, int]:
    """``(GGGG,EEEE)`` with ``x`` wildcards as (mask, value)."""
    digits = text.strip("()").replace(",", "").upper()
    mask = int("".join("0" if c == "X" else "F" for c in digits), 16)
    value = int(digits.replace("X", "0"), 16)
    return mask, value


def table_rows() -> list[dict[str, str]]:
    """Every row of Table E.1-1 (2024b data plus the 2026c additions)."""
    rows: list[dict[str, str]] = json.loads(
        _table_path("ps3.15_table_E.1-1_innolitics_rev2024b.json").read_text("utf-8")
    )
    text = _table_path("ps3.15_table_E.1-1_additions_2024b_to_2026c.csv").read_text("utf-8")
    for extra in csv.DictReader(text.splitlines()):
        rows.append(
            {
                "tag": extra["tag"],
                "name": extra["name"],
                "basicProfile": extra["basic_profile_action"],
            }
        )
    return rows


def keep_list() -> list[str]:
    """Keywords of ``_tables/keep.txt``."""
    words = []
    for line in _table_path("keep.txt").read_text("utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.append(word)
    return words


def _descriptors() -> dict[str, dict[str, str]]:
    data = tomllib.loads(_table_path("descriptors.toml").read_text("utf-8"))
    out = {}
    for keyword, tables in data["attributes"].items():
        values: dict[str, str] = {}
        for table in tables.split("|"):
            values.update((normalise(v), v) for v in data[table])
        out[keyword] = values
    return out


def normalise(text: str) -> str:
    """Upper case, blanks collapsed: the form descriptor lookups compare."""
    return " ".join(text.upper().split())


@functools.cache
def compile_profile() -> Profile:
    """The compiled profile (built once per process)."""
    exact: dict[int, Action] = {}
    masked: list[tuple[int, int, Action]] = []
    for keyword in keep_list():
        tag = tag_for_keyword(keyword)
        if tag is None:
            raise ValueError(f"keep.txt names an unknown DICOM keyword: {keyword}")
        exact[tag] = Action.KEEP
    descriptors = _descriptors()
    for keyword in descriptors:  # kept attributes that a lookup table cleans
        tag = tag_for_keyword(keyword)
        if tag is not None and exact.get(tag) is Action.KEEP:
            exact[tag] = Action.CLEAN
    for row in table_rows():
        if "ODD" in row["tag"].upper():
            continue  # "(gggg,eeee) where gggg is odd": private groups, removed in action()
        mask, value = _parse_tag(row["tag"])
        action = resolve(row)
        if mask == EXACT_TAG:
            exact[value] = action
        else:
            masked.append((mask, value, action))
    return Profile(exact, tuple(masked), descriptors)
