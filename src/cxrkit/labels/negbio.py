"""The NegBio-style labeler (S13): negation and uncertainty from the scope of cue phrases over a
shallow parse.

Where the CheXpert-style labeler (:mod:`cxrkit.labels.chexpert`) gives each cue a window of
tokens, this one first chunks a sentence into noun-phrase chunks joined by *links* — a
coordination ("and", "or", ","), a preposition ("of", "in", "for") or a verb group ("is",
"has been") — and lets a cue govern chunks along the parse:

- a *modifier* cue ("no", "possible", "concerning for") governs the chunk it opens and the chunks
  coordinated with it or attached to it by a preposition ("no evidence *of* X *or* Y");
- a *predicate* cue after a verb group ("… are normal", "… cannot be excluded") governs the
  subject: the chunks before the verb group, along coordinations and prepositions;
- clause marks, contrast words and a second verb group end every path.

Mentions and aggregation are shared with the CheXpert-style labeler; the cue stages are tried in
the same order.

Examples
--------
>>> labels = label_text("The heart, mediastinum and hila are normal. Possible left effusion.")
>>> labels["Cardiomegaly"], labels["Enlarged Cardiomediastinum"], labels["Pleural Effusion"]
(0.0, 0.0, -1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

from cxrkit.labels.aggregate import DEFAULT_OPTIONS, Finding, LabelerOptions, aggregate
from cxrkit.labels.chexpert import (
    ARTICLES,
    CLAUSE_OPENERS,
    EXAM_WORDS,
    FILLERS,
    LINKING,
    PARTICIPLES,
    find_mentions,
    sentence_end,
)
from cxrkit.labels.schema import NEGATIVE, NO_FINDING, POSITIVE, UNCERTAIN, Labels
from cxrkit.labels.text import BOUNDARIES, tokenize
from cxrkit.labels.vocabulary import (
    HISTORICAL,
    Cue,
    Mention,
    Vocabulary,
    find_phrases,
    load_vocabulary,
)

#: Clause marks, contrast words and exceptions ("normal *except* for slight cardiomegaly") end
#: every path, as they end a CheXpert-style window.
_BREAK = BOUNDARIES | {"but", "however", "although", "though", "whereas", "while", "which", "who"}
_BREAK |= {"except", "aside", "apart"}
_COORD = frozenset({"and", "or", ",", "nor"})
_PREP = frozenset({"of", "in", "at", "for", "within", "to", "on", "along", "from", "about"})
_VERB = FILLERS | {"there"}
#: Verb-group words; the other fillers are adverbs ("grossly", "otherwise", "mildly").
_VERB_WORDS = frozenset(
    {"is", "are", "was", "were", "has", "have", "had", "remains", "remain", "be", "been"}
    | {"being", "appears", "appear", "appeared", "seems", "seem", "there"}
)

#: Link kinds between consecutive chunks (``comma``: a comma alone, no "and" / "or";
#: ``article``: a coordination before "a" / "an"; ``clause``: before "the", "there", …).
COORD, COMMA, PREP, VERB, BREAK = "coord", "comma", "prep", "verb", "break"
ARTICLE, CLAUSE = "article", "clause"
#: "with" ends a noun phrase like a verb group, but what precedes it is no subject of the
#: predicate after it ("stable cardiomegaly *with* clear lungs").
WITH = "with"
#: An adverb alone between two chunks ("lungs *grossly* clear") links like a verb group, but
#: does not turn a "with" into one ("findings with grossly clear lungs").
ADVERB = "adverb"


@dataclass(frozen=True)
class Chunk:
    """A run of content tokens ``[start, end)`` and the link to the next chunk."""

    start: int
    end: int
    link: str


_RANK = {PREP: 0, COMMA: 1, COORD: 2, ARTICLE: 3, CLAUSE: 4, ADVERB: 5, WITH: 6, VERB: 7, BREAK: 8}
_PREDICATE_LINKS = frozenset({PREP, VERB, ADVERB})


def _kind(tok: str, prev: str, nxt: str) -> str | None:
    if tok in _BREAK or (tok == "otherwise" and (prev == "," or prev in BOUNDARIES)):
        return BREAK  # ", otherwise …" opens a clause about everything else
    if tok == "," and prev in PARTICIPLES:
        return VERB  # "no effusion seen, dense nodule …": the phrase is closed
    if tok in _COORD and nxt in CLAUSE_OPENERS:
        return ARTICLE if nxt in ARTICLES else CLAUSE
    if tok == ",":
        return COMMA
    if tok in _COORD:
        return COORD
    if tok in _PREP or (tok == "with" and prev in LINKING):
        return PREP  # "consistent with" continues the noun phrase
    if tok == "with":
        return WITH
    if tok in _VERB:
        return VERB if tok in _VERB_WORDS else ADVERB
    return None


def chunk(tokens: list[str], cue_spans: list[tuple[int, int]]) -> list[Chunk]:
    """Shallow parse: content chunks and the strongest link word between neighbours.

    A cue span is a chunk of its own, so that it can govern the chunks around it; chunks
    that touch get a ``prep`` (tight) link.

    Examples
    --------
    >>> [(c.start, c.end, c.link) for c in chunk("no effusion or ptx".split(), [(0, 1)])]
    [(0, 1, 'prep'), (1, 2, 'coord'), (3, 4, 'break')]
    >>> [c.link for c in chunk("cardiomegaly , otherwise normal".split(), [(3, 4)])]
    ['break', 'break']
    """
    starts = dict(cue_spans)
    spans: list[list[int]] = []  # [start, end, is_cue]
    links: list[str] = []
    pending: str | None = None
    i, n = 0, len(tokens)
    while i < n:
        if i in starts:
            kind = None
        else:
            kind = _kind(
                tokens[i], tokens[i - 1] if i else ".", tokens[i + 1] if i + 1 < n else "."
            )
        if kind is not None:
            # a comma before an adverb keeps the comma: "stable heart size, moderately enlarged
            # and tortuous aorta" does not make the heart size a subject of "enlarged"
            stronger = pending is None or _RANK[kind] > _RANK[pending]
            if spans and stronger and not (pending == COMMA and kind == ADVERB):
                pending = kind
            i += 1
            continue
        end = starts.get(i, i + 1)
        if spans and pending is None and not spans[-1][2] and i not in starts:
            spans[-1][1] = end
        else:
            if spans:
                links.append(pending or PREP)
            spans.append([i, end, int(i in starts)])
        pending, i = None, end
    links.append(BREAK)
    return [Chunk(s, e, link) for (s, e, _), link in zip(spans, links, strict=False)]


def _walk(chunks: list[Chunk], k: int, step: int, allowed: frozenset[str]) -> list[int]:
    """Chunks reachable from chunk ``k`` in direction ``step`` through ``allowed`` links.

    Walking back (a subject), a bare comma is crossed only inside a list that an "and" / "or"
    closes: "the heart, mediastinum and hila are normal", not "cardiomegaly, lungs clear".
    """
    out: list[int] = []
    j = k
    listed = False
    while 0 <= j + step < len(chunks):
        link = chunks[j].link if step > 0 else chunks[j - 1].link
        if link not in allowed or (step < 0 and link == COMMA and not listed):
            break
        listed = listed or link == COORD
        j += step
        out.append(j)
    return out


_NP = frozenset({COORD, COMMA, PREP})
#: A hedge also governs a coordinated phrase with an article ("atelectasis or an early
#: pneumonia"); a negation does not ("no pneumothorax and a small effusion").
_HEDGED_NP = _NP | {ARTICLE}
_HISTORICAL_NP = frozenset({COORD, PREP})


def governed(
    chunks: list[Chunk],
    k: int,
    cue: Cue,
    cue_chunks: frozenset[int],
    complements: frozenset[int] = frozenset(),
) -> set[int]:
    """Chunk ids governed by the cue that is chunk ``k`` (``cue_chunks``: every cue's chunk;
    ``complements``: prepositional phrases right after a predicate cue, "similar *to the prior
    exam*")."""
    out: set[int] = set()
    if cue.forward:
        # a cue governs across the verb group right after it ("may *be* compatible with",
        # "does not *appear to be* a pneumothorax")
        first = k + 1 if chunks[k].link in {VERB, ADVERB} and k + 1 < len(chunks) else k
        out.update([first] if first > k else [])
        allowed = _NP if cue.stage == "negation" else _HEDGED_NP
        if cue.stage == HISTORICAL:  # a noun phrase: "compared to prior, pneumonia …" is current
            allowed = _HISTORICAL_NP
        out.update(_walk(chunks, first, 1, allowed))
    # a coordinated predicate before the cue is passed, with its complement: "… are stable and
    # within normal limits", "… are similar to the prior exam and within normal limits"
    while cue.backward and k > 1 and chunks[k - 1].link == COORD:
        j = k - 1 if k - 1 not in complements else k - 2
        if j not in cue_chunks:
            break
        k = j
    # the subject: across at most one verb group right before the cue, then its noun phrase
    if cue.backward and k > 0 and chunks[k - 1].link in _PREDICATE_LINKS:
        out.add(k - 1)
        out.update(_walk(chunks, k - 1, -1, _NP))
    return out


_VALUE = {"uncertain_preneg": UNCERTAIN, "negation": NEGATIVE, "uncertain_postneg": UNCERTAIN}


def classify_tokens(
    tokens: list[str], vocab: Vocabulary, options: LabelerOptions = DEFAULT_OPTIONS
) -> list[Finding]:
    """Classified mentions of a token stream, NegBio-style."""
    canon, mentions = find_mentions(tokens, vocab)
    if not mentions:
        return []
    cues = [
        (s, e, [c for c in p if isinstance(c, Cue)])  # type: ignore[attr-defined]
        for s, e, p in find_phrases(canon, vocab.cues)
    ]
    chunks = chunk(tokens, [(s, e) for s, e, _ in cues])
    at = {c.start: k for k, c in enumerate(chunks)}
    owner = [-1] * len(tokens)
    for k, c in enumerate(chunks):
        owner[c.start : c.end] = [k] * (c.end - c.start)
    stage_of: dict[int, dict[str, bool]] = {}
    cue_chunks = frozenset(at[s] for s, _, _ in cues)
    predicates = frozenset(at[s] for s, _, found in cues if any(c.backward for c in found))
    complements = frozenset(
        j
        for j in range(1, len(chunks))
        if j - 1 in predicates
        and j not in cue_chunks
        and chunks[j - 1].link == PREP
        and tokens[chunks[j].start - 1] in _PREP
        and not any(chunks[j].start <= m < chunks[j].end for m, _, _ in mentions)
    )
    for s, e, found in cues:
        for cue in found:
            if cue.stage == HISTORICAL and e < len(tokens) and tokens[e] in EXAM_WORDS:
                continue  # "the prior radiograph": an earlier examination, no past finding
            if cue.sentence:  # the rest of the sentence, across clauses and verb groups
                stop = sentence_end(tokens, e)
                gov = {k for k in range(at[s] + 1, len(chunks)) if chunks[k].start < stop}
            else:
                gov = governed(chunks, at[s], cue, cue_chunks, complements)
            for g in gov:
                stage_of.setdefault(g, {})[cue.stage] = True
    out: list[Finding] = []
    for s, _e, mention in mentions:
        stages = stage_of.get(owner[s], {})
        value = _value(stages, mention, options)
        if value is None or ("negative_only" in mention.flags and value != NEGATIVE):
            continue
        labels = mention.labels
        if value != NEGATIVE and "acute" in mention.flags and stages.get(HISTORICAL):
            labels = (NO_FINDING,)  # a past infection: no current one, but a blocker
        out.extend(Finding(label, value, mention.flags) for label in labels)
    return out


def _value(stages: dict[str, bool], mention: Mention, options: LabelerOptions) -> float | None:
    for stage, value in _VALUE.items():
        if stages.get(stage):
            return value
    if "ambiguous" in mention.flags:
        if stages.get("enlargement"):
            return POSITIVE
        if stages.get("uncertain_ambiguous"):
            return UNCERTAIN
        return None if options.ambiguous_needs_size_word else POSITIVE
    return UNCERTAIN if "hedged" in mention.flags else POSITIVE


def label_text(text: str, options: LabelerOptions = DEFAULT_OPTIONS) -> Labels:
    """Label one report text NegBio-style.

    Examples
    --------
    >>> label_text("No evidence of pneumothorax or effusion.")["Pneumothorax"]
    0.0
    """
    vocab = load_vocabulary(
        clear_lungs=options.clear_lungs, calcified_nodules=options.calcified_nodule_lesion
    )
    return aggregate(classify_tokens(tokenize(text), vocab, options), options)
