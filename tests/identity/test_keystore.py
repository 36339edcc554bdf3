"""The keystore on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import itertools
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from cxrkit.errors import ConfigError, WorkspaceError
from cxrkit.identity.dates import draw_shift
from cxrkit.identity.keys import KEY_FILE, load_or_create_key
from cxrkit.identity.keystore import Keystore, engine_for
from cxrkit.identity.source_keys import PatientKey, StudyKey

DAY = dt.date(2015, 3, 14)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """``None`` for the default SQLite file, or a fresh database on the session's server."""
    if request.param == "sqlite":
        yield None
    else:
        yield request.getfixturevalue("new_pg_database")("ks")


def test_key_is_made_once_with_mode_600(tmp_path: Path) -> None:
    ws = tmp_path / "private"
    key = load_or_create_key(ws)
    assert len(key) == 32
    assert (ws / KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert load_or_create_key(ws) == key


def test_a_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    load_or_create_key(tmp_path)
    (tmp_path / KEY_FILE).chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_or_create_key(tmp_path)


def test_a_damaged_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE
    path.write_text("not hex")
    path.chmod(0o600)
    with pytest.raises(WorkspaceError, match="32-byte"):
        load_or_create_key(tmp_path)


def test_identifiers_have_the_mimic_shape(tmp_path: Path, store_url: str | None) -> None:
    ks = Keystore.open(tmp_path, store_url)
    for i in range(30):
        p = ks.patient(PatientKey("", f"MRN{i}"), DAY)
        assert 10_000_000 <= p.subject_id <= 19_999_999
        study = ks.study(StudyKey("acc", f"ACC{i}"), p.subject_id)
        assert 50_000_000 <= study <= 59_999_999
        d = ks.image(f"1.2.999.{i}", study)
        groups = d.split("-")
        assert len(groups) == 5
        assert all(len(g) == 8 and int(g, 16) >= 0 for g in groups)


def test_same_source_same_identifier_across_reopen(tmp_path: Path, store_url: str | None) -> None:
    first = Keystore.open(tmp_path, store_url)
    p = first.patient(PatientKey("", "MRN-7"), DAY)
    s = first.study(StudyKey("acc", "ACC-7"), p.subject_id)
    d = first.image("1.2.999.7", s)
    first.engine.dispose()
    again = Keystore.open(tmp_path, store_url)
    # A later first-study date does not move an existing patient's shift.
    assert again.patient(PatientKey("", "MRN-7"), dt.date(2001, 1, 1)) == p
    assert again.study(StudyKey("acc", "ACC-7"), p.subject_id) == s
    assert again.image("1.2.999.7", s) == d


def test_same_key_and_order_give_the_same_release(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    load_or_create_key(a)
    b.mkdir(mode=0o700)
    (b / KEY_FILE).write_bytes((a / KEY_FILE).read_bytes())
    (b / KEY_FILE).chmod(0o600)
    ka, kb = Keystore.open(a), Keystore.open(b)
    ids_a = [ka.patient(PatientKey("", f"M{i}"), DAY).subject_id for i in range(20)]
    ids_b = [kb.patient(PatientKey("", f"M{i}"), DAY).subject_id for i in range(20)]
    assert ids_a == ids_b
    other = Keystore.open(tmp_path / "c")
    assert [other.patient(PatientKey("", f"M{i}"), DAY).subject_id for i in range(20)] != ids_a


def test_probing_fills_a_small_range_without_collision(
    tmp_path: Path, store_url: str | None
) -> None:
    ks = Keystore(
        engine_for(tmp_path, store_url), load_or_create_key(tmp_path), subject_range=(10, 29)
    )
    ids = {ks.patient(PatientKey("", f"P{i}"), DAY).subject_id for i in range(20)}
    assert ids == set(range(10, 30))
    with pytest.raises(ConfigError, match="exhausted"):
        ks.patient(PatientKey("", "one-too-many"), DAY)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=25, unique=True))
def test_pseudonyms_are_unique_and_stable(sources: list[str]) -> None:
    import tempfile

    ws = Path(tempfile.mkdtemp())
    ks = Keystore(engine_for(ws), load_or_create_key(ws), subject_range=(100, 160))
    first = {s: ks.patient(PatientKey("", s), DAY).subject_id for s in sources}
    assert len(set(first.values())) == len(sources)
    assert {s: ks.patient(PatientKey("", s), DAY).subject_id for s in reversed(sources)} == first


def test_shift_puts_the_first_study_in_2100_to_2200() -> None:
    rng = random.Random(0)
    for i in range(500):
        first = dt.date(rng.randint(1990, 2025), rng.randint(1, 12), rng.randint(1, 28))
        days = draw_shift(bytes(32), f"P{i}", first)
        assert 2100 <= (first + dt.timedelta(days=days)).year <= 2200
    assert draw_shift(bytes(32), "P1", DAY) == draw_shift(bytes(32), "P1", DAY)


def _allocate_all(url: str, key_hex: str, sources: list[str]) -> dict[str, tuple[int, int]]:
    """One process's allocations (run in a worker process)."""
    ks = Keystore(
        engine_for(Path(), url),
        bytes.fromhex(key_hex),
        subject_range=(1, 400),
        study_range=(1, 400),
    )
    out = {}
    for s in sources:
        p = ks.patient(PatientKey("", s), DAY)
        out[s] = (p.subject_id, ks.study(StudyKey("acc", "study-" + s), p.subject_id))
    ks.engine.dispose()
    return out


def test_concurrent_allocation_on_postgresql_never_collides(
    new_pg_database: Callable[[str], str],
) -> None:
    url = new_pg_database("ks")
    key = os.urandom(32).hex()
    Keystore(engine_for(Path(), url), bytes.fromhex(key)).engine.dispose()  # create tables
    sources = [f"MRN{i:04d}" for i in range(300)]
    orders = [sources, sources[::-1], sources[150:] + sources[:150]]
    with cf.ProcessPoolExecutor(max_workers=3) as pool:
        results = list(
            pool.map(_allocate_all, itertools.repeat(url), itertools.repeat(key), orders)
        )
    assert results[0] == results[1] == results[2], "every process sees one mapping"
    subjects = [v[0] for v in results[0].values()]
    studies = [v[1] for v in results[0].values()]
    assert len(set(subjects)) == len(sources)
    assert len(set(studies)) == len(sources)
    engine = engine_for(Path(), url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from patients")).scalar() == len(sources)
    engine.dispose()


def test_a_labeled_study_s_patient_moves_to_test_and_keeps_its_ids(
    tmp_path: Path, store_url: str | None
) -> None:
    ks = Keystore.open(tmp_path, store_url)
    a, b = ks.patient(PatientKey("", "MRN-A"), DAY), ks.patient(PatientKey("", "MRN-B"), DAY)
    acc_a, acc_b = StudyKey("acc", "ACC-A"), StudyKey("acc", "ACC-B")
    study_a, study_b = ks.study(acc_a, a.subject_id), ks.study(acc_b, b.subject_id)
    ks.set_splits({a.subject_id: "train", b.subject_id: "validate"})

    assert ks.study_subjects([study_a, study_b, 59_999_999]) == {
        study_a: a.subject_id,
        study_b: b.subject_id,
    }
    assert ks.move_to_test([a.subject_id]) == 1
    assert ks.move_to_test([a.subject_id]) == 0
    assert (ks.split(a.subject_id), ks.split(b.subject_id)) == ("test", "validate")
    assert ks.patient(PatientKey("", "MRN-A"), DAY) == a
    assert ks.study(acc_a, a.subject_id) == study_a
