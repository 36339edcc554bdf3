"""Split (S18): test = patients with a manually labeled report (given), validate = a keyed
random set of N patients, train = the rest; by patient, and never changed once given."""

from __future__ import annotations

from collections.abc import Iterable

from cxrkit.identity.keys import keyed_digest

SPLITS = ("train", "validate", "test")


def assign_splits(
    subjects: Iterable[int], existing: dict[int, str], test: set[int], n_validate: int, key: bytes
) -> dict[int, str]:
    """The split of every subject: existing ones kept, new ones drawn.

    Examples
    --------
    >>> s = assign_splits([1, 2, 3, 4], {}, {4}, 1, bytes(32))
    >>> sorted(s.values())
    ['test', 'train', 'train', 'validate']
    >>> assign_splits([1, 2, 3, 4, 5], s, set(), 1, bytes(32)) == {**s, 5: "train"}
    True
    """
    out = {s: existing[s] for s in subjects if existing.get(s)}
    new = sorted(s for s in subjects if s not in out)
    for s in new:
        if s in test:
            out[s] = "test"
    need = max(0, n_validate - sum(1 for v in out.values() if v == "validate"))
    pool = sorted(
        (s for s in new if s not in out), key=lambda s: keyed_digest(key, "validate-split", str(s))
    )
    for s in pool[:need]:
        out[s] = "validate"
    for s in pool[need:]:
        out[s] = "train"
    return out
