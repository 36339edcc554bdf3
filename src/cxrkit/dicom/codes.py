"""Code items in kept sequences: public coding schemes kept, local ones pseudonymised (S4).

A code item (Code Value, Coding Scheme Designator, Code Meaning …) survives de-identification
in the sequences the profile keeps (procedure, view, anatomy, reason codes …). A hospital's
own coding scheme is named after it ("99XYZMC", "XYZ") and its code values are its own, so:

- a **public** scheme (a designator of ``_tables/coding_schemes.txt``: DICOM PS3.16 Table 8-1
  and variant spellings such as ``RADLEX_PLAYBOOK`` or ``ICD-10``) keeps designator and value;
- any other scheme is **local**: its designator becomes :data:`LOCAL_SCHEME`, its Code Value a
  keyed pseudonym (the same local code gives the same value in every image and build of the
  workspace), and every attribute that describes the scheme (version, context, mapping
  resource) is removed. Its Code Meaning has already been through the descriptor lookup
  tables of the profile: it is the homogenised value or gone.
"""

from __future__ import annotations

import functools
from importlib.resources import files

from pydicom.dataset import Dataset

from cxrkit.identity.keys import keyed_digest

#: The one designator of every local code in a release (a ``99`` private designator).
LOCAL_SCHEME = "99CXRKIT"
#: Attributes of a code item that describe its scheme: removed from local codes.
SCHEME_DETAILS = (
    "CodingSchemeVersion",
    "ContextIdentifier",
    "ContextUID",
    "MappingResource",
    "MappingResourceUID",
    "MappingResourceName",
    "ContextGroupVersion",
    "ContextGroupLocalVersion",
    "ContextGroupExtensionFlag",
    "ContextGroupExtensionCreatorUID",
    "LongCodeValue",
    "URNCodeValue",
    "EquivalentCodeSequence",
)


@functools.cache
def public_schemes() -> frozenset[str]:
    """The designators of public coding schemes, upper-cased.

    Examples
    --------
    >>> {"DCM", "SCT", "RADLEX_PLAYBOOK", "NCIT"} <= public_schemes()
    True
    """
    text = (files("cxrkit.dicom") / "_tables" / "coding_schemes.txt").read_text("utf-8")
    words = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return frozenset(w.upper() for w in words if w)


def is_public(designator: str) -> bool:
    """Whether ``designator`` names a public coding scheme (compared ignoring case).

    Examples
    --------
    >>> is_public("SCT"), is_public("radlex"), is_public("99XYZMC"), is_public("XYZ")
    (True, True, False, False)
    """
    return designator.strip().upper() in public_schemes()


def local_designators(ds: Dataset) -> frozenset[str]:
    """The Coding Scheme Designators of local schemes anywhere in an original header: the
    hospital's own abbreviations, which the leak audit then looks for in the release.

    Examples
    --------
    >>> from pydicom.sequence import Sequence
    >>> ds, item = Dataset(), Dataset()
    >>> item.CodingSchemeDesignator = "99XYZMC"
    >>> ds.ProcedureCodeSequence = Sequence([item])
    >>> sorted(local_designators(ds))
    ['99XYZMC']
    """
    found = set()
    for elem in ds.iterall():
        if elem.keyword == "CodingSchemeDesignator":
            value = str(elem.value or "").strip()
            if value and value != LOCAL_SCHEME and not is_public(value):
                found.add(value)
    return frozenset(found)


def local_code_value(key: bytes, designator: str, value: str) -> str:
    """The keyed pseudonym of a local code: ``L`` and 12 hexadecimal digits (an SH value).

    Examples
    --------
    >>> v = local_code_value(bytes(32), "99XYZMC", "XR123")
    >>> len(v), v == local_code_value(bytes(32), "99XYZMC", "XR123"), v.startswith("L")
    (13, True, True)
    """
    digest = keyed_digest(key, "local code", f"{designator.strip()}\x00{value.strip()}")
    return "L" + digest.hex()[:12].upper()


def clean_code_item(item: Dataset, key: bytes) -> None:
    """Keep a public code as it is; replace a local one's scheme and value (in place).

    ``item`` is a de-identified dataset that carries a Coding Scheme Designator.
    """
    designator = str(item.get("CodingSchemeDesignator", "") or "")
    if is_public(designator):
        return
    for keyword in SCHEME_DETAILS:
        if keyword in item:
            delattr(item, keyword)
    if "CodeValue" in item:
        item.CodeValue = local_code_value(key, designator, str(item.CodeValue or ""))
    item.CodingSchemeDesignator = LOCAL_SCHEME
