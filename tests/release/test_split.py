"""The split (by patient): listed patients to test, a keyed draw of N to validate, the rest
to train; a patient's split never changes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cxrkit.release.split import assign_splits

KEY = bytes(range(32))


def test_listed_patients_go_to_test_and_n_are_drawn_for_validate() -> None:
    subjects = list(range(10_000_000, 10_000_010))
    splits = assign_splits(subjects, {}, {10_000_003, 10_000_007}, 3, KEY)
    assert {s for s, v in splits.items() if v == "test"} == {10_000_003, 10_000_007}
    assert sum(1 for v in splits.values() if v == "validate") == 3
    assert sum(1 for v in splits.values() if v == "train") == 5


def test_the_draw_is_keyed_and_independent_of_the_input_order() -> None:
    subjects = list(range(100, 140))
    one = assign_splits(subjects, {}, set(), 5, KEY)
    assert assign_splits(list(reversed(subjects)), {}, set(), 5, KEY) == one
    other = assign_splits(subjects, {}, set(), 5, bytes(32))
    assert {s for s, v in other.items() if v == "validate"} != {
        s for s, v in one.items() if v == "validate"
    }


def test_existing_splits_are_kept_and_count_towards_validate() -> None:
    existing = {1: "validate", 2: "train", 3: "test"}
    splits = assign_splits([1, 2, 3, 4, 5], existing, {2}, 2, KEY)
    assert {s: splits[s] for s in existing} == existing  # listing 2 later changes nothing
    assert sum(1 for v in splits.values() if v == "validate") == 2


def test_more_validate_patients_than_new_ones_takes_them_all() -> None:
    assert assign_splits([1, 2], {}, set(), 5, KEY) == {1: "validate", 2: "validate"}


@given(
    st.sets(st.integers(1, 500), max_size=30),
    st.sets(st.integers(1, 500), max_size=5),
    st.integers(0, 10),
)
def test_every_patient_gets_exactly_one_split(
    subjects: set[int], test: set[int], n_validate: int
) -> None:
    splits = assign_splits(sorted(subjects), {}, test, n_validate, KEY)
    assert set(splits) == subjects
    assert set(splits.values()) <= {"train", "validate", "test"}
    assert {s for s, v in splits.items() if v == "test"} == subjects & test
