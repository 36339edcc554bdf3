"""Keyed replacements of DICOM UIDs and the ``dicom_id`` file stem (S1, S4).

A new UID is ``2.25.`` followed by the integer of a UUID whose 122 free bits come from a keyed
HMAC of the original UID, laid out as a version-8 (custom) UUID (RFC 9562): the same original
always maps to the same new UID, in every place it is referenced. UIDs the DICOM standard
itself defines (SOP classes, transfer syntaxes, coding schemes …) are kept.
"""

from __future__ import annotations

from pydicom.uid import UID

from cxrkit.identity.keys import keyed_digest


def is_well_known(uid: str) -> bool:
    """Whether ``uid`` is defined by the DICOM standard (kept by de-identification)."""
    return not UID(uid).is_private


def new_uid(key: bytes, original: str) -> str:
    """The keyed ``2.25.<uuid-int>`` replacement of ``original``; well-known UIDs unchanged.

    Examples
    --------
    >>> key = bytes(32)
    >>> new = new_uid(key, "1.2.999.4242.1.20150314.1")
    >>> new.startswith("2.25.") and len(new) <= 64
    True
    >>> new == new_uid(key, "1.2.999.4242.1.20150314.1")
    True
    >>> new_uid(key, "1.2.840.10008.5.1.4.1.1.1")
    '1.2.840.10008.5.1.4.1.1.1'
    """
    original = original.strip().rstrip("\x00")
    if is_well_known(original):
        return original
    value = int.from_bytes(keyed_digest(key, "uid", original)[:16], "big")
    value = (value & ~(0xF << 76)) | (8 << 76)  # version 8 (RFC 9562)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # variant 10xx
    return f"2.25.{value}"


def dicom_id(key: bytes, sop_instance_uid: str) -> str:
    """The 40-hex-character file stem of an image, in five dash-separated groups of 8.

    Examples
    --------
    >>> d = dicom_id(bytes(32), "1.2.3.4")
    >>> len(d), d.count("-"), all(len(g) == 8 for g in d.split("-"))
    (44, 4, True)
    """
    h = keyed_digest(key, "dicom_id", sop_instance_uid.strip().rstrip("\x00")).hex()[:40]
    return "-".join(h[i : i + 8] for i in range(0, 40, 8))
