"""The word lists of report de-identification, read once from ``_data/`` (see its README).

Each loader is cached: the files are read and compiled at first use, never at import.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib.resources import files

__all__ = ["Lexicon", "lexicon", "read_lines"]


def read_lines(name: str) -> list[str]:
    """The non-empty, non-comment lines of ``_data/<name>``, stripped.

    Examples
    --------
    >>> "HOPE" in read_lines("given_names.txt")
    True
    """
    text = (files("cxrkit.reports") / "_data" / name).read_text("utf-8")
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@dataclass(frozen=True)
class Lexicon:
    """Names, places and name contexts, upper-cased where matching ignores case.

    Attributes
    ----------
    given, family
        Census given and family names (upper case).
    common
        Ordinary words that are also names: never a name on their own (upper case).
    states
        U.S. state names (as written) mapped to their two-letter codes.
    countries
        Country names as written.
    contexts
        Name-context phrases by kind (``title``, ``before``, ``relation``, ``after``), lower
        case.
    labels
        Header-field labels whose value is PHI, lower case, mapped to the value kind
        (``name``, ``id``, ``place``).
    """

    given: frozenset[str]
    family: frozenset[str]
    common: frozenset[str]
    states: dict[str, str]
    countries: tuple[str, ...]
    contexts: dict[str, tuple[str, ...]]
    labels: dict[str, str]

    def is_name(self, word: str) -> bool:
        """``word`` is a census given or family name (any case)."""
        upper = word.upper()
        return upper in self.given or upper in self.family

    def is_common(self, word: str) -> bool:
        """``word`` is an ordinary word that is also a name (any case)."""
        return word.upper() in self.common


def _pairs(name: str) -> list[tuple[str, str]]:
    out = []
    for line in read_lines(name):
        kind, _, value = line.partition(":")
        out.append((kind.strip(), value.strip()))
    return out


@functools.cache
def lexicon() -> Lexicon:
    """The lexicon of ``_data/``, read once.

    Examples
    --------
    >>> lex = lexicon()
    >>> lex.is_name("Bell"), lex.is_common("Bell"), lex.states["Ohio"]
    (True, True, 'OH')
    """
    contexts: dict[str, list[str]] = {}
    for kind, phrase in _pairs("name_contexts.txt"):
        contexts.setdefault(kind, []).append(phrase.lower())
    states = dict(line.split("|") for line in read_lines("us_states.txt"))
    return Lexicon(
        given=frozenset(read_lines("given_names.txt")),
        family=frozenset(read_lines("family_names.txt")),
        common=frozenset(w.upper() for w in read_lines("common_words.txt")),
        states=states,
        countries=tuple(read_lines("countries.txt")),
        contexts={k: tuple(v) for k, v in contexts.items()},
        labels={label.lower(): kind for kind, label in _pairs("phi_labels.txt")},
    )
