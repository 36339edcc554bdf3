"""Typed keys of source patients and studies, and their stored form in the keystore.

A patient of the source is named by the assigning authority of its id (the Issuer of Patient
ID, ``""`` when absent) and the id itself; a study by its accession number or, without one,
its Study Instance UID. The code passes these as :class:`PatientKey` and :class:`StudyKey`;
only the keystore turns them into the strings it stores (``issuer|id``, ``acc:…``,
``uid:…``), and those strings never change, since existing keystores hold them.

Keys order as their stored forms do, so work sorted by key is allocated in the same order as
before the keys were typed (the order decides pseudonyms when two candidates collide).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

#: An issuer's ``|`` and ``\\`` escaped, then ``|``, then the patient id.
_STORED_PATIENT = re.compile(r"((?:[^\\|]|\\.)*)\|(.*)", re.DOTALL)


@dataclass(frozen=True)
class PatientKey:
    """One source patient: the Issuer of Patient ID (``""`` when absent) and the Patient ID.

    Ids are compared exactly (case, leading zeros and inner spaces count).

    Examples
    --------
    >>> PatientKey("HOSP", "0042").stored, PatientKey("", "0042").stored
    ('HOSP|0042', '|0042')
    >>> PatientKey("A|B", "C").stored == PatientKey("A", "B|C").stored
    False
    >>> PatientKey.parse(PatientKey("A|B", "C").stored)
    PatientKey(issuer='A|B', mrn='C')
    """

    issuer: str
    mrn: str

    @property
    def stored(self) -> str:
        """The keystore's form: the issuer with ``|`` and ``\\`` escaped, ``|``, the id."""
        escaped = self.issuer.replace("\\", "\\\\").replace("|", "\\|")
        return f"{escaped}|{self.mrn}"

    @classmethod
    def parse(cls, stored: str) -> PatientKey:
        """The key whose :attr:`stored` form is ``stored``; a string without an unescaped
        ``|`` (a keystore written before issuers were kept) is an id without issuer."""
        match = _STORED_PATIENT.fullmatch(stored)
        if match is None:
            return cls("", stored)
        return cls(re.sub(r"\\(.)", r"\1", match.group(1)), match.group(2))

    def __lt__(self, other: PatientKey) -> bool:
        return self.stored < other.stored


@dataclass(frozen=True, order=True)
class StudyKey:
    """One source study: its accession number, or its Study Instance UID when it has none.

    Examples
    --------
    >>> StudyKey.of("A1", "1.2.3").stored, StudyKey.of("", "1.2.3").stored
    ('acc:A1', 'uid:1.2.3')
    >>> StudyKey.parse("acc:A1") == StudyKey("acc", "A1")
    True
    """

    kind: Literal["acc", "uid"]
    value: str

    @classmethod
    def of(cls, accession: str, study_uid: str) -> StudyKey:
        """The key of a study with this accession number (``""``: none) and UID."""
        return cls("acc", accession) if accession else cls("uid", study_uid)

    @property
    def accession(self) -> str | None:
        """The accession number, or None for a study known by its UID only."""
        return self.value if self.kind == "acc" else None

    @property
    def stored(self) -> str:
        """The keystore's form: ``acc:`` or ``uid:`` and the value."""
        return f"{self.kind}:{self.value}"

    @classmethod
    def parse(cls, stored: str) -> StudyKey:
        """The key whose :attr:`stored` form is ``stored``; a string without a kind (not
        written by a build) is taken whole as an accession number."""
        kind, sep, value = stored.partition(":")
        return cls("uid" if kind == "uid" else "acc", value if sep else stored)
