"""The labelers' vocabulary: phrase files compiled once into token tries (see vocabulary/README).

Matching works on lower-cased word tokens. Each token is first reduced to a canonical form
(a prefix stem such as ``opaci*``, or the singular of a plural) so that one phrase covers its
spellings; phrases are then found by a single left-to-right longest-match walk of a token trie.

Examples
--------
>>> vocab = load_vocabulary()
>>> vocab.canon("pneumothoraces"), vocab.canon("opacities")
('pneumothorax', 'opaci*')
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from importlib import resources

from cxrkit.errors import DataFileError
from cxrkit.labels.schema import LABELS

#: Cue stages in the order they are tried (S12: pre-negation uncertainty, negation, post-negation
#: uncertainty), then, for ambiguous mentions only, size words (positive) and stability words
#: (uncertain).
STAGES: tuple[str, ...] = (
    "uncertain_preneg",
    "negation",
    "uncertain_postneg",
    "enlargement",
    "uncertain_ambiguous",
)
PSEUDO = "pseudo"
#: A stage of its own, tried after the others: a past finding ("prior infection") is no mention
#: of a mention flagged ``acute``.
HISTORICAL = "historical"
_FLAGS = frozenset({"ambiguous", "hedged", "heart_failure", "negative_only", "acute"})
_WORD_RE = re.compile(r"[a-z0-9]+\*?")


@dataclass(frozen=True)
class Mention:
    """What a mention phrase stands for: its labels (none for an unmention) and its flags."""

    labels: tuple[str, ...]
    flags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Cue:
    """A cue phrase: its stage (:data:`STAGES` or ``pseudo``) and the sides it governs."""

    stage: str
    forward: bool
    backward: bool
    #: ``>>``: the cue governs the rest of its sentence, across clauses and verbs ("in the
    #: appropriate clinical setting, this is compatible with pneumonia").
    sentence: bool = False


class Node:
    """A token-trie node: ``children`` by canonical token, ``payload`` when a phrase ends here."""

    __slots__ = ("children", "payload")

    def __init__(self) -> None:
        self.children: dict[str, Node] = {}
        self.payload: object | None = None


@dataclass(frozen=True)
class Vocabulary:
    """Compiled phrase tries and the token canonicaliser they were built with."""

    mentions: Node
    cues: Node
    prefixes: tuple[str, ...]
    words: frozenset[str]
    #: Benign causes that explain a mention away ("nodular density *consistent with* a
    #: granuloma"): payload = the labels they explain; and the canonical words that link a
    #: mention to its cause ("consistent", "represent*").
    causes: Node = field(default_factory=Node)
    links: frozenset[str] = frozenset()
    #: The link words that only suggest the cause ("may", "likely"): the mention is uncertain.
    hedge_links: frozenset[str] = frozenset()
    #: The labels that have causes (only their mentions are searched for one).
    explainable: frozenset[str] = frozenset()
    _cache: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def canon(self, token: str) -> str:
        """Return the canonical form of a lower-case token (prefix stem or singular)."""
        hit = self._cache.get(token)
        if hit is None:
            hit = _canon(token, self.prefixes, self.words)
            if len(self._cache) < 500_000:
                self._cache[token] = hit
        return hit


def _canon(token: str, prefixes: tuple[str, ...], words: frozenset[str]) -> str:
    for stem in prefixes:  # longest first
        if token.startswith(stem):
            return stem + "*"
    if token in words or len(token) < 4:
        return token
    for suffix, repl in (("ces", "x"), ("ies", "y"), ("es", ""), ("s", "")):
        if token.endswith(suffix) and token[: -len(suffix)] + repl in words:
            return token[: -len(suffix)] + repl
    return token


def _lines(relpath: str) -> list[str]:
    """Non-comment, non-blank lines of a vocabulary file."""
    try:
        text = resources.files("cxrkit.labels").joinpath("vocabulary", relpath).read_text("utf-8")
    except FileNotFoundError as exc:  # pragma: no cover - packaging error
        raise DataFileError(f"vocabulary file {relpath!r} is missing; reinstall cxrkit") from exc
    return [s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#")]


def _file_stem(label: str) -> str:
    return label.lower().replace(" ", "_")


def _mention_lines(
    clear_lungs: bool, calcified_nodules: bool = False
) -> list[tuple[str, str, frozenset[str]]]:
    """(label or "", phrase, flags) for every mention and unmention line."""
    out: list[tuple[str, str, frozenset[str]]] = []
    sources = [(label, f"mention/{_file_stem(label)}.txt") for label in LABELS]
    sources.append(("", "unmention/all.txt"))
    if clear_lungs:
        sources.append(("Lung Opacity", "optional/lung_clear.txt"))
    if calcified_nodules:
        sources.append(("Lung Lesion", "optional/calcified_nodule.txt"))
    for label, path in sources:
        for line in _lines(path):
            phrase, _, flag_text = line.partition(";")
            flags = frozenset(flag_text.split())
            if not flags <= _FLAGS:
                raise DataFileError(
                    f"unknown flag in {path}: {line!r}; use one of {sorted(_FLAGS)}"
                )
            out.append((label, phrase.strip(), flags))
    return out


def _cue_lines() -> list[tuple[str, str, str]]:
    """(stage, direction, phrase) for every cue line."""
    out: list[tuple[str, str, str]] = []
    for stage in (*STAGES, HISTORICAL, PSEUDO):
        for line in _lines(f"cues/{stage}.txt"):
            direction, _, phrase = line.partition(" ")
            if direction not in {">", "<", "<>", ">>"}:
                raise DataFileError(
                    f"cue {line!r} in cues/{stage}.txt must start with >, >>, < or <>"
                )
            out.append((stage, direction, phrase.strip()))
    return out


def _insert(root: Node, key: list[str]) -> Node:
    node = root
    for tok in key:
        node = node.children.setdefault(tok, Node())
    return node


def _cause_lines() -> tuple[list[str], list[tuple[str, str]]]:
    """The link words and the (label, cause phrase) lines of ``explained/``."""
    links = _lines("explained/links.txt")
    causes = [
        (label, phrase)
        for label in LABELS
        if resources.files("cxrkit.labels")
        .joinpath("vocabulary", "explained", f"{_file_stem(label)}.txt")
        .is_file()
        for phrase in _lines(f"explained/{_file_stem(label)}.txt")
    ]
    return links, causes


@functools.cache
def load_vocabulary(*, clear_lungs: bool = False, calcified_nodules: bool = False) -> Vocabulary:
    """Compile the packaged vocabulary (cached: the files are read once per process).

    Parameters
    ----------
    clear_lungs
        Also read ``optional/lung_clear.txt`` ("lungs are clear" → Lung Opacity 0.0).
    calcified_nodules
        Also read ``optional/calcified_nodule.txt`` (a calcified nodule is a Lung Lesion).

    Examples
    --------
    >>> load_vocabulary().mentions.children["effusion"].payload
    Mention(labels=('Pleural Effusion',), flags=frozenset())
    """
    mention_lines = _mention_lines(clear_lungs, calcified_nodules)
    cue_lines = _cue_lines()
    link_lines, cause_lines = _cause_lines()
    raw = [w for _, p, _ in mention_lines for w in _WORD_RE.findall(p)]
    raw += [w for _, _, p in cue_lines for w in _WORD_RE.findall(p)]
    raw += [w for p in link_lines for w in _WORD_RE.findall(p.partition(";")[0])]
    raw += [w for _, p in cause_lines for w in _WORD_RE.findall(p)]
    prefixes = tuple(sorted({w[:-1] for w in raw if w.endswith("*")}, key=len, reverse=True))
    words = frozenset(w for w in raw if not w.endswith("*"))
    # a plural listed next to its singular ("volumes", "volume") is read as the singular
    words = words - {w for w in words if (c := _canon(w, (), words - {w})) != w and c in words}
    links = {
        _canon(word.strip().rstrip("*"), prefixes, words): "hedged" in flag
        for word, _, flag in (line.partition(";") for line in link_lines)
    }
    vocab = Vocabulary(
        Node(),
        Node(),
        prefixes,
        words,
        Node(),
        frozenset(links),
        frozenset(w for w, hedged in links.items() if hedged),
        frozenset(label for label, _ in cause_lines),
    )
    for label, phrase in cause_lines:
        node = _insert(vocab.causes, [vocab.canon(w.rstrip("*")) for w in _WORD_RE.findall(phrase)])
        explained = node.payload if isinstance(node.payload, frozenset) else frozenset()
        node.payload = explained | {label}
    for label, phrase, flags in mention_lines:
        node = _insert(
            vocab.mentions, [vocab.canon(w.rstrip("*")) for w in _WORD_RE.findall(phrase)]
        )
        old = node.payload if isinstance(node.payload, Mention) else Mention(())
        labels = old.labels + ((label,) if label and label not in old.labels else ())
        node.payload = Mention(labels, old.flags | flags)
    for stage, direction, phrase in cue_lines:
        node = _insert(vocab.cues, [vocab.canon(w) for w in _WORD_RE.findall(phrase)])
        cues = node.payload if isinstance(node.payload, tuple) else ()
        node.payload = (
            *cues,
            Cue(stage, ">" in direction, "<" in direction, sentence=direction == ">>"),
        )
    return vocab


def find_phrases(tokens: list[str], root: Node) -> list[tuple[int, int, object]]:
    """Leftmost-longest, non-overlapping phrase matches of a trie in canonical tokens.

    Returns ``(start, end, payload)`` token spans, end exclusive.

    Examples
    --------
    >>> vocab = load_vocabulary()
    >>> [(s, e) for s, e, _ in find_phrases(["no", "pleural", "effusion"], vocab.mentions)]
    [(2, 3)]
    """
    out: list[tuple[int, int, object]] = []
    children = root.children
    i, n = 0, len(tokens)
    while i < n:
        node = children.get(tokens[i])
        if node is None:
            i += 1
            continue
        best_end, best = (i + 1, node.payload) if node.payload is not None else (0, None)
        j = i + 1
        while j < n:
            nxt = node.children.get(tokens[j])
            if nxt is None:
                break
            node, j = nxt, j + 1
            if node.payload is not None:
                best_end, best = j, node.payload
        if best is None:
            i += 1
            continue
        out.append((i, best_end, best))
        i = best_end
    return out
