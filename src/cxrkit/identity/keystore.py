"""The keystore (S1–S3): source identifiers → pseudonyms and date shifts, in SQL.

Through SQLAlchemy Core, a SQLite file in the private workspace by default
(``<private>/keystore.sqlite``) or any PostgreSQL URL. The keystore is the crosswalk: it holds
source identifiers and must never leave the private workspace.

Pseudonyms are keyed and deterministic: candidate ``k`` for a source is drawn from
``HMAC(key, purpose, source, k)``; the first candidate not yet taken wins. The same key and the
same allocation order give the same identifiers; a source that already has an identifier keeps
it for ever. Every allocation runs in a transaction with unique constraints on both the source
and the pseudonym, so two processes allocating at once never hand out one pseudonym twice, and
two processes allocating for the same source agree on one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from cxrkit.errors import ConfigError, SourceError, WorkspaceError
from cxrkit.identity.dates import draw_shift
from cxrkit.identity.keys import KEY_FILE, keyed_digest, load_or_create_key
from cxrkit.identity.source_keys import PatientKey, StudyKey
from cxrkit.identity.uids import dicom_id

SUBJECT_RANGE = (10_000_000, 19_999_999)
STUDY_RANGE = (50_000_000, 59_999_999)
MAX_PROBES = 10_000
T = TypeVar("T")

metadata = sa.MetaData()
patients = sa.Table(
    "patients",
    metadata,
    sa.Column("source_patient", sa.String(256), primary_key=True),
    sa.Column("subject_id", sa.Integer, nullable=False, unique=True),
    sa.Column("shift_days", sa.Integer, nullable=False),
    sa.Column("split", sa.String(16), nullable=True),
)
studies = sa.Table(
    "studies",
    metadata,
    sa.Column("source_study", sa.String(256), primary_key=True),
    sa.Column("study_id", sa.Integer, nullable=False, unique=True),
    sa.Column("subject_id", sa.Integer, sa.ForeignKey("patients.subject_id"), nullable=False),
)
phi_values = sa.Table(
    "phi_values",
    metadata,
    sa.Column("subject_id", sa.Integer, sa.ForeignKey("patients.subject_id"), primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("value", sa.String(512), primary_key=True),
)
withdrawals = sa.Table(  # patients who opted out, named by id alone (under any issuer)
    "withdrawn",
    metadata,
    sa.Column("patient_id", sa.String(256), primary_key=True),
)
withdrawn_keys = sa.Table(  # patients who opted out, named by issuer and id (source_patient)
    "withdrawn_keys",
    metadata,
    sa.Column("source_patient", sa.String(256), primary_key=True),
)
images = sa.Table(
    "images",
    metadata,
    sa.Column("sop_instance_uid", sa.String(64), primary_key=True),
    sa.Column("dicom_id", sa.String(44), nullable=False, unique=True),
    sa.Column("study_id", sa.Integer, sa.ForeignKey("studies.study_id"), nullable=False),
)


@dataclass(frozen=True)
class PatientIdentity:
    """A patient's pseudonym and date shift."""

    subject_id: int
    shift_days: int


def engine_for(private: Path, url: str | None = None) -> Engine:
    """An engine for ``url``, or for the SQLite keystore file in ``private``."""
    if url is None:
        private.mkdir(mode=0o700, parents=True, exist_ok=True)
        return sa.create_engine(f"sqlite:///{private / 'keystore.sqlite'}")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    try:
        return sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise ConfigError(
            f"cannot use keystore URL scheme {url.split(':', 1)[0]!r}: {exc}"
        ) from exc


def _holds_pseudonyms(engine: Engine) -> bool:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(patients.name):
            return False
        return conn.execute(sa.select(patients.c.subject_id).limit(1)).first() is not None


def _candidate(key: bytes, purpose: str, source: str, k: int, span: tuple[int, int]) -> int:
    lo, hi = span
    digest = keyed_digest(key, purpose, f"{source}\x00{k}")
    return lo + int.from_bytes(digest[:8], "big") % (hi - lo + 1)


class Keystore:
    """Allocates and remembers pseudonyms; the only writer of the crosswalk.

    Examples
    --------
    >>> import tempfile
    >>> ks = Keystore.open(Path(tempfile.mkdtemp()))
    >>> p = ks.patient(PatientKey("HOSP", "MRN-0042"), dt.date(2015, 3, 14))
    >>> 10_000_000 <= p.subject_id <= 19_999_999
    True
    >>> ks.patient(PatientKey("HOSP", "MRN-0042"), dt.date(2016, 1, 1)) == p
    True
    """

    def __init__(
        self,
        engine: Engine,
        key: bytes,
        *,
        subject_range: tuple[int, int] = SUBJECT_RANGE,
        study_range: tuple[int, int] = STUDY_RANGE,
    ) -> None:
        self.engine = engine
        self.key = key
        self.subject_range = subject_range
        self.study_range = study_range
        metadata.create_all(engine)

    @classmethod
    def open(cls, private: Path, url: str | None = None) -> Keystore:
        """The keystore of the private workspace ``private`` (SQLite), or at ``url``.

        A new key is made only for a keystore that holds no pseudonym yet: one made with a
        key that is now missing is refused (another key would give other identifiers).
        """
        engine = engine_for(private, url)
        key_file = private / KEY_FILE
        if not key_file.exists() and _holds_pseudonyms(engine):
            raise WorkspaceError(
                f"{key_file} is missing but the keystore holds pseudonyms made with it; "
                "restore the key from backup (a new key would give other identifiers)"
            )
        return cls(engine, load_or_create_key(private))

    def patient(self, source_patient: PatientKey, first_study: dt.date) -> PatientIdentity:
        """The pseudonym and shift of a source patient, allocated at first sight.

        ``first_study`` is used only when the patient is new: the shift is drawn so that this
        date's year lands in 2100–2200, and is kept for ever after.
        """
        with self.engine.begin() as conn:
            return self._patient(conn, source_patient.stored, first_study)

    def _patient(self, conn: Connection, source: str, first: dt.date) -> PatientIdentity:
        def existing() -> PatientIdentity | None:
            row = conn.execute(
                sa.select(patients.c.subject_id, patients.c.shift_days).where(
                    patients.c.source_patient == source
                )
            ).first()
            return PatientIdentity(row[0], row[1]) if row else None

        shift = draw_shift(self.key, source, first)
        return self._allocate(
            conn,
            existing,
            lambda cand: conn.execute(
                patients.insert().values(source_patient=source, subject_id=cand, shift_days=shift)
            ),
            lambda k: _candidate(self.key, "subject_id", source, k, self.subject_range),
        )

    def study(self, key: StudyKey, subject_id: int) -> int:
        """The ``study_id`` of a source study (its accession number, or its UID).

        A study belongs to one patient for ever: a source study an earlier build gave to
        another patient raises :class:`SourceError` (kind ``study-conflict``).
        """
        source_study = key.stored
        with self.engine.begin() as conn:

            def existing() -> int | None:
                row = conn.execute(
                    sa.select(studies.c.study_id, studies.c.subject_id).where(
                        studies.c.source_study == source_study
                    )
                ).first()
                if row is not None and int(row[1]) != subject_id:
                    raise SourceError(
                        "the study belongs to another patient in the keystore",
                        kind="study-conflict",
                    )
                return int(row[0]) if row else None

            return self._allocate(
                conn,
                existing,
                lambda cand: conn.execute(
                    studies.insert().values(
                        source_study=source_study, study_id=cand, subject_id=subject_id
                    )
                ),
                lambda k: _candidate(self.key, "study_id", source_study, k, self.study_range),
            )

    def image(self, sop_instance_uid: str, study_id: int) -> str:
        """The ``dicom_id`` of an image: a keyed hash of its SOP Instance UID, recorded."""
        new = dicom_id(self.key, sop_instance_uid)
        with self.engine.begin() as conn:
            found = conn.execute(
                sa.select(images.c.dicom_id).where(images.c.sop_instance_uid == sop_instance_uid)
            ).first()
            if found:
                return str(found[0])
            try:
                with conn.begin_nested():
                    conn.execute(
                        images.insert().values(
                            sop_instance_uid=sop_instance_uid, dicom_id=new, study_id=study_id
                        )
                    )
            except IntegrityError:
                found = conn.execute(
                    sa.select(images.c.dicom_id).where(
                        images.c.sop_instance_uid == sop_instance_uid
                    )
                ).first()
                if found is None:  # pragma: no cover - a 160-bit HMAC collision
                    raise
                return str(found[0])
        return new

    def split(self, subject_id: int) -> str | None:
        """The split a patient was given by an earlier build, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(patients.c.split).where(patients.c.subject_id == subject_id)
            ).first()
        return str(row[0]) if row and row[0] else None

    def set_splits(self, splits: dict[int, str]) -> None:
        """Record the split of patients that have none yet (a split never changes, but by
        :meth:`move_to_test`)."""
        with self.engine.begin() as conn:
            for subject_id, split in sorted(splits.items()):
                conn.execute(
                    patients.update()
                    .where(patients.c.subject_id == subject_id, patients.c.split.is_(None))
                    .values(split=split)
                )

    def move_to_test(self, subject_ids: Iterable[int]) -> int:
        """Put patients in the test split, whatever split they had (``--test-set``: their
        reports were labeled by hand); return how many changed split."""
        wanted = sorted(set(subject_ids))
        with self.engine.begin() as conn:
            changed = 0
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                result = conn.execute(
                    patients.update()
                    .where(
                        patients.c.subject_id.in_(chunk),
                        sa.or_(patients.c.split.is_(None), patients.c.split != "test"),
                    )
                    .values(split="test")
                )
                changed += result.rowcount
        return changed

    def study_subjects(self, study_ids: Iterable[int]) -> dict[int, int]:
        """The subject_id of every released study_id the keystore handed out (others absent)."""
        wanted = sorted(set(study_ids))
        found: dict[int, int] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                query = sa.select(studies.c.study_id, studies.c.subject_id).where(
                    studies.c.study_id.in_(wanted[start : start + 500])
                )
                found.update((int(r[0]), int(r[1])) for r in conn.execute(query))
        return found

    def remember_phi(self, subject_id: int, values: set[tuple[str, str]]) -> None:
        """Keep a patient's known PHI values (for the leak audit of ``cxrkit verify``)."""
        with self.engine.begin() as conn:
            query = sa.select(phi_values.c.kind, phi_values.c.value).where(
                phi_values.c.subject_id == subject_id
            )
            known = {(r[0], r[1]) for r in conn.execute(query)}
            new = sorted({(k, v[:512]) for k, v in values if v} - known)
            if new:
                conn.execute(
                    phi_values.insert(),
                    [{"subject_id": subject_id, "kind": k, "value": v} for k, v in new],
                )

    def issuers(self) -> set[str]:
        """The assigning authorities of the source patients held (those stored with one)."""
        with self.engine.connect() as conn:
            keys = [str(r[0]) for r in conn.execute(sa.select(patients.c.source_patient))]
        return {PatientKey.parse(k).issuer for k in keys if "|" in k}

    def patient_count(self) -> int:
        """How many patients the keystore holds."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(patients)).scalar_one())

    def withdraw(self, patient_ids: Iterable[str], patient_keys: Iterable[PatientKey] = ()) -> None:
        """Record patients who opted out, by source patient id alone (any issuer) or by
        source patient key (issuer and id); they stay withdrawn for ever."""
        with self.engine.begin() as conn:
            for table, column, values in (
                (withdrawals, withdrawals.c.patient_id, patient_ids),
                (withdrawn_keys, withdrawn_keys.c.source_patient, (k.stored for k in patient_keys)),
            ):
                known = {str(r[0]) for r in conn.execute(sa.select(column))}
                new = sorted(set(values) - known)
                if new:
                    conn.execute(table.insert(), [{column.name: v} for v in new])

    def withdrawn(self) -> tuple[set[str], set[PatientKey]]:
        """The patients withdrawn by any build: source patient ids, source patient keys."""
        with self.engine.connect() as conn:
            ids = {str(r[0]) for r in conn.execute(sa.select(withdrawals.c.patient_id))}
            rows = conn.execute(sa.select(withdrawn_keys.c.source_patient))
            keys = {PatientKey.parse(str(r[0])) for r in rows}
        return ids, keys

    def released_ids(self) -> tuple[set[str], set[tuple[int, int]]]:
        """Every dicom_id and every (subject_id, study_id) this keystore ever handed out."""
        with self.engine.connect() as conn:
            dicom_ids = {str(r[0]) for r in conn.execute(sa.select(images.c.dicom_id))}
            query = sa.select(studies.c.subject_id, studies.c.study_id)
            pairs = {(int(r[0]), int(r[1])) for r in conn.execute(query)}
        return dicom_ids, pairs

    def known_phi(self) -> list[tuple[int, str, str]]:
        """Every PHI value the crosswalk knows: (subject_id, kind, value)."""
        query = sa.select(phi_values.c.subject_id, phi_values.c.kind, phi_values.c.value)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def _allocate(
        self,
        conn: Connection,
        existing: Callable[[], T | None],
        insert: Callable[[int], object],
        candidate: Callable[[int], int],
    ) -> T:
        """Return the existing value, or insert the first free candidate and return it.

        Each try runs in a savepoint: a unique violation means either another transaction
        took this candidate (try the next) or allocated this very source (use theirs).
        """
        for k in range(MAX_PROBES):
            found = existing()
            if found is not None:
                return found
            try:
                with conn.begin_nested():
                    insert(candidate(k))
            except IntegrityError:
                continue
            found = existing()
            if found is not None:
                return found
        raise ConfigError("no free pseudonym after many tries: the identifier range is exhausted")
