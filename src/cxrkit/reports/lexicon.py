"""The word lists of report de-identification, read once from ``_data/`` (see its README).

Each loader is cached: the files are read and compiled at first use, never at import.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

__all__ = ["Lexicon", "known_words", "lexicon", "read_lines"]


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


def _vocabulary_words(folder: Traversable) -> Iterator[str]:
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _vocabulary_words(entry)
        elif entry.name.endswith(".txt"):
            for line in entry.read_text("utf-8").splitlines():
                if not line.lstrip().startswith("#"):
                    yield from re.findall(r"[a-z]+", line.split(" ; ")[0].lower())


@functools.cache
def known_words() -> frozenset[str]:
    """English and medical words, lower case: the English words of Faker's ``en_US`` lorem
    provider, the labeler's vocabulary, the section headers of the report rules and the
    report words of ``cxrkit/release/_data/census_words.txt``.

    The census of ``cxrkit verify --census`` shows the capitalised words of a release that are
    not among them; the name rules take an unknown capitalised word after "Patient" for a
    name.

    Examples
    --------
    >>> sorted({"effusion", "history", "rosa"} & known_words())
    ['effusion', 'history']
    """
    from faker.providers.lorem.en_US import Provider  # noqa: PLC0415 - a word list only

    package = files("cxrkit")
    text = (package / "release" / "_data" / "census_words.txt").read_text("utf-8")
    own = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
    vocabulary = _vocabulary_words(package / "labels" / "vocabulary")
    headers = re.findall(r"[a-z]+", " ".join(read_lines("section_headers.txt")).lower())
    return frozenset(w for w in (*Provider.word_list, *own, *vocabulary, *headers) if w)
