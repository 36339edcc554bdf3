"""The CheXpert-style labeler (S12): mentions, cue scopes in the CheXpert order, aggregation.

A mention is classified by the first cue stage whose scope covers it: pre-negation uncertainty
("no new", "cannot exclude"), negation ("no", "without", "is normal"), post-negation uncertainty
("possible", "may", "versus"), and, for ambiguous mentions only ("heart size", "contour"),
stability ("stable", "unchanged"). A cue governs the tokens after it (``>``), before it (``<``)
or both, up to the scope's end: a sentence or clause boundary, a contrast word ("but", "which"),
a verb that closes the governed noun phrase ("is", "with"), or a conjunction that opens a new
clause ("and the …").

Examples
--------
>>> labels = label_text("Heart size normal and lungs are clear. No edema or pneumonia.")
>>> labels["Cardiomegaly"], labels["Edema"], labels["Pneumonia"], labels["No Finding"]
(0.0, 0.0, 0.0, 1.0)
"""

from __future__ import annotations

from cxrkit.labels.aggregate import DEFAULT_OPTIONS, Finding, LabelerOptions, aggregate
from cxrkit.labels.schema import NEGATIVE, NO_FINDING, POSITIVE, UNCERTAIN, Labels
from cxrkit.labels.text import BOUNDARIES, tokenize
from cxrkit.labels.vocabulary import (
    HISTORICAL,
    STAGES,
    Cue,
    Mention,
    Node,
    Vocabulary,
    find_phrases,
    load_vocabulary,
)

_STAGE_VALUE = {
    "uncertain_preneg": UNCERTAIN,
    "negation": NEGATIVE,
    "uncertain_postneg": UNCERTAIN,
}
_CONTRAST = frozenset({"but", "however", "although", "though", "whereas", "while", "which", "who"})
_VERBS = frozenset({"is", "are", "was", "were", "has", "have", "had", "remains", "remain"})
#: Words that end a forward scope.
FORWARD_STOP = BOUNDARIES | _CONTRAST | _VERBS | {"with", "there", "except", "aside", "apart"}
#: Words that end a backward scope (once the words right before the cue are passed):
#: "small effusion, otherwise the lungs are clear" does not negate the effusion.
BACKWARD_STOP = FORWARD_STOP | {"without", "otherwise"}
#: Predicate words that may be coordinated before a backward cue and are skipped with their
#: "and": "the heart and mediastinum are *stable and* within normal limits".
COORDINATED_PREDICATES = frozenset(
    {"stable", "unchanged", "clear", "expanded", "intact", "symmetric", "stably", "similar"}
)
#: Prepositions that open a short complement of such a predicate, skipped with it: "… are
#: *similar to the comparison exam and* within normal limits".
COMPLEMENT_PREPOSITIONS = frozenset({"to", "from", "since", "compared"})
#: Words skipped right before a backward cue ("heart size *is* normal").
FILLERS = _VERBS | {
    *("be", "been", "being", "now", "again", "otherwise", "also", "still", "all", "both"),
    *("appears", "appear", "appeared", "seems", "seem", "grossly", "essentially", "overall"),
    *("currently", "completely", "largely", "nearly", "almost", "entirely", "persistently"),
    "somewhat",
    *("mildly", "moderately", "markedly", "severely", "slightly", "minimally", "significantly"),
}
#: Words that, after "and" / "or" / ",", open a new clause.
CLAUSE_OPENERS = frozenset(
    {"the", "there", "this", "these", "it", "its", "that", "a", "an", "findings", "finding"}
)
#: Articles open a new clause after a negated phrase ("no pneumothorax and a small effusion")
#: but not after a hedged one ("may represent atelectasis or an early pneumonia").
ARTICLES = frozenset({"a", "an"})
#: Words after which "with" / "to" continue the phrase instead of closing it ("no findings
#: consistent with pneumonia", "may be compatible with infection").
LINKING = frozenset({"consistent", "compatible", "associated", "related", "due", "secondary"})
_CONJ = frozenset({"and", "or", ","})
#: Participles after which a comma closes the phrase ("no effusion seen, dense nodule …").
PARTICIPLES = frozenset(
    {"seen", "identified", "noted", "demonstrated", "visualized", "present", "appreciated"}
    | {"evident", "detected"}
)

Scope = tuple[int, int]


def _stops(tokens: list[str], i: int, start: int, negation: bool) -> bool:
    tok = tokens[i]
    if tok in FORWARD_STOP:
        return not (tok == "with" and i > start and tokens[i - 1] in LINKING)
    opener = tokens[i + 1] if tok in _CONJ and i + 1 < len(tokens) else ""
    return opener in CLAUSE_OPENERS and (negation or opener not in ARTICLES)


def forward_end(tokens: list[str], start: int, *, negation: bool = True) -> int:
    """Index where a forward scope starting at ``start`` ends (exclusive).

    ``negation`` off (a hedging cue): an article after "and" / "or" does not end the scope.
    A comma ends it after a participle ("no effusion seen, dense nodule …").
    """
    n = len(tokens)
    i = start
    while i < n:
        if _stops(tokens, i, start, negation) or (
            tokens[i] == "," and i > start and tokens[i - 1] in PARTICIPLES
        ):
            return i
        i += 1
    return n


def _complement_start(tokens: list[str], and_at: int, in_mention: list[bool]) -> int | None:
    """Index of the preposition of a short predicate complement ending right before ``and``
    ("similar *to the comparison exam* and"), when a coordinated predicate comes before it.
    A complement that holds a mention is none ("stable compared to prior cardiomegaly")."""
    for j in range(and_at - 1, max(0, and_at - 6), -1):
        tok = tokens[j]
        if tok in BACKWARD_STOP or tok == "," or in_mention[j]:
            return None
        if tok in COMPLEMENT_PREPOSITIONS and j > 0 and tokens[j - 1] in COORDINATED_PREDICATES:
            return j
    return None


def backward_start(
    tokens: list[str], end: int, in_mention: list[bool], *, comma: bool, strict: bool
) -> int | None:
    """Start of the scope of a backward cue at ``end``, or ``None`` when it governs nothing.

    The cue governs the phrase right before it, past any filler words and coordinated
    predicates ("are stable and"). A ``strict`` cue (a one-word attributive adjective such as
    "normal" before a noun) with no filler before it governs something only when the word right
    before it belongs to a mention ("cardiomegaly and normal mediastinum" does not negate
    cardiomegaly). ``comma``
    makes a comma end the scope; otherwise a comma is crossed only inside a list that an "and"
    / "or" closes ("the heart, mediastinum and hila are normal", but not "mild cardiomegaly,
    lungs otherwise clear").
    """
    i = end - 1
    while i >= 0:
        if tokens[i] in FILLERS:
            i -= 1
        elif tokens[i] == "and" and i > 0 and tokens[i - 1] in COORDINATED_PREDICATES:
            i -= 2
        elif tokens[i] == "and" and (j := _complement_start(tokens, i, in_mention)) is not None:
            i = j - 2
        else:
            break
    if i < 0 or (strict and i == end - 1 and not in_mention[i]):
        return None
    listed = False
    while i >= 0:
        tok = tokens[i]
        if tok in BACKWARD_STOP or (tok == "," and (comma or not listed)):
            break
        if tok in _CONJ and tokens[i + 1] in CLAUSE_OPENERS:
            break
        listed = listed or tok in {"and", "or", "nor"}
        i -= 1
    return i + 1


#: Words after which "prior" / "previous" names an earlier examination, not a past finding
#: ("compared with the prior radiograph pneumonia has improved"): no historical scope.
EXAM_WORDS = frozenset(
    {"study", "studies", "exam", "exams", "examination", "examinations", "radiograph"}
    | {"radiographs", "film", "films", "ct", "image", "images", "imaging", "comparison", "to"}
    | {"chest", "x", "xray", "view", "views", "scan", "scans", "one", "ones", "day", "days"}
)


def historical_end(tokens: list[str], start: int) -> int:
    """End of a historical cue's scope: its noun phrase, up to a comma ("compared to prior,
    pneumonia has improved" is current); empty before an examination word."""
    if start < len(tokens) and tokens[start] in EXAM_WORDS:
        return start
    end = forward_end(tokens, start)
    return next((i for i in range(start, end) if tokens[i] == ","), end)


def sentence_end(tokens: list[str], start: int) -> int:
    """Index of the first boundary token (sentence end, clause mark) from ``start``."""
    for i in range(start, len(tokens)):
        if tokens[i] in BOUNDARIES:
            return i
    return len(tokens)


def cue_scopes(
    tokens: list[str], canon: list[str], vocab: Vocabulary, in_mention: list[bool]
) -> dict[str, list[Scope]]:
    """Every cue's scope, by stage. Negation scopes run back over commas ("the heart,
    mediastinum and hila are normal"); the other backward scopes stop at a comma."""
    scopes: dict[str, list[Scope]] = {stage: [] for stage in (*STAGES, HISTORICAL)}
    for start, end, payload in find_phrases(canon, vocab.cues):
        for cue in payload:  # type: ignore[attr-defined]
            if not isinstance(cue, Cue) or cue.stage not in scopes:
                continue
            if cue.sentence:
                scopes[cue.stage].append((end, sentence_end(tokens, end)))
            elif cue.stage == HISTORICAL:
                scopes[cue.stage].append((end, historical_end(tokens, end)))
            elif cue.forward:
                neg = cue.stage == "negation"
                scopes[cue.stage].append((end, forward_end(tokens, end, negation=neg)))
            if cue.backward:
                comma = cue.stage != "negation"
                # a one-word cue that ends its phrase is predicative ("heart size and
                # vascularity normal."), not attributive ("and normal mediastinum")
                last = end == len(tokens) or tokens[end] in BOUNDARIES or tokens[end] == ","
                strict = end - start == 1 and not last
                begin = backward_start(tokens, start, in_mention, comma=comma, strict=strict)
                if begin is not None:
                    scopes[cue.stage].append((begin, start))
    return scopes


def _covered(span: Scope, scopes: list[Scope]) -> bool:
    s, e = span
    return any(a <= s and e <= b for a, b in scopes)


def classify_mention(
    span: Scope, mention: Mention, scopes: dict[str, list[Scope]], options: LabelerOptions
) -> float | None:
    """The value of one mention: the first stage whose scope covers it, else positive.

    ``None`` means "no mention" (an ambiguous phrase that says nothing about size).
    """
    for stage in ("uncertain_preneg", "negation", "uncertain_postneg"):
        if _covered(span, scopes[stage]):
            return _STAGE_VALUE[stage]
    if "ambiguous" in mention.flags:
        if _covered(span, scopes["enlargement"]):
            return POSITIVE
        if _covered(span, scopes["uncertain_ambiguous"]):
            return UNCERTAIN
        return None if options.ambiguous_needs_size_word else POSITIVE
    return UNCERTAIN if "hedged" in mention.flags else POSITIVE


#: Words that open a sentence about the previous one ("Nodular opacity. *This* may represent a
#: nipple shadow."): the search for a cause that explains a mention away continues into it.
ANAPHORS = frozenset({"this", "these", "it", "they"})
#: Words that end the search for a cause ("does *not* represent a granuloma", "*rather than*").
_CAUSE_STOP = frozenset({"no", "not", "without", "rather", "than", "nor", "but", "however"})


def _match_at(canon: list[str], i: int, root: Node) -> tuple[int, object | None]:
    """The longest phrase of a trie that starts at ``i``: (end, payload), or (i, None)."""
    node, j = root, i
    best: tuple[int, object | None] = (i, None)
    while j < len(canon) and (nxt := node.children.get(canon[j])) is not None:
        node, j = nxt, j + 1
        if node.payload is not None:
            best = (j, node.payload)
    return best


def explained_labels(
    tokens: list[str], canon: list[str], end: int, labels: tuple[str, ...], vocab: Vocabulary
) -> tuple[frozenset[str], bool]:
    """The labels of a mention ending at ``end`` that a benign cause explains away, and whether
    the explanation is only suggested (then the mention is uncertain rather than dropped).

    The cause must follow in the same sentence, or in the next one when it opens with "this" /
    "these" / "it" / "they", after a link word ("consistent", "represent*"; hedged: "may",
    "likely"): "nodular densities consistent with nipple shadows", "nodular opacity. This may
    represent overlapping structures." A negation, a contrast word, another mention of the same
    label before the link or any other finding after it ends the search ("does not represent a
    nipple", "mass, likely metastasis, with rib fractures").
    """
    if not vocab.causes.children or not labels:
        return frozenset(), False
    linked = hedged = False
    wanted = frozenset(labels)
    i, n = end, len(tokens)
    while i < n:
        tok = tokens[i]
        if tok in BOUNDARIES:
            if tok == "." and i + 1 < n and tokens[i + 1] in ANAPHORS:
                i += 2
                continue
            break
        if tok in _CAUSE_STOP:
            break
        if linked:
            _, cause = _match_at(canon, i, vocab.causes)
            if isinstance(cause, frozenset) and cause & wanted:
                return cause & wanted, hedged
        mention_end, mention = _match_at(canon, i, vocab.mentions)
        if canon[i] in vocab.links:
            linked = True
            hedged = hedged or canon[i] in vocab.hedge_links
        elif isinstance(mention, Mention):
            if linked or wanted & set(mention.labels):
                # another finding after the link explains it ("likely metastasis and rib
                # fractures"); another mention of the label has its own cues
                break
            i = max(i + 1, mention_end)
            continue
        i += 1
    return frozenset(), False


def find_mentions(
    tokens: list[str], vocab: Vocabulary
) -> tuple[list[str], list[tuple[int, int, Mention]]]:
    """Canonical tokens and the mention spans in them (unmentions dropped, and the labels that
    a benign cause explains away: see :func:`explained_labels`)."""
    canon = [vocab.canon(t) for t in tokens]
    found: list[tuple[int, int, Mention]] = []
    for s, e, m in find_phrases(canon, vocab.mentions):
        if not isinstance(m, Mention) or not m.labels:
            continue
        explainable = vocab.explainable.intersection(m.labels)
        gone, hedged = (
            explained_labels(tokens, canon, e, tuple(explainable), vocab)
            if explainable
            else (frozenset(), False)
        )
        if gone:
            if hedged:  # "may represent a nipple shadow": the lesion is only possible
                found.append((s, e, Mention(tuple(sorted(gone)), m.flags | {"hedged"})))
            rest = tuple(lab for lab in m.labels if lab not in gone)
            if rest:
                found.append((s, e, Mention(rest, m.flags)))
            continue
        found.append((s, e, m))
    return canon, found


def classify_tokens(
    tokens: list[str], vocab: Vocabulary, options: LabelerOptions = DEFAULT_OPTIONS
) -> list[Finding]:
    """Classified mentions of a token stream (one :class:`Finding` per mention and label)."""
    canon, mentions = find_mentions(tokens, vocab)
    if not mentions:
        return []
    in_mention = [False] * len(tokens)
    for s, e, _ in mentions:
        in_mention[s:e] = [True] * (e - s)
    scopes = cue_scopes(tokens, canon, vocab, in_mention)
    out: list[Finding] = []
    for s, e, mention in mentions:
        value = classify_mention((s, e), mention, scopes, options)
        if value is None or ("negative_only" in mention.flags and value != NEGATIVE):
            continue
        labels = mention.labels
        if value != NEGATIVE and "acute" in mention.flags and _covered((s, e), scopes[HISTORICAL]):
            # "consistent with prior tuberculous infection": a past finding is no current one,
            # but its sequelae keep "No Finding" off, as "granulomatous infection" does
            labels = (NO_FINDING,)
        out.extend(Finding(label, value, mention.flags) for label in labels)
    return out


def label_text(text: str, options: LabelerOptions = DEFAULT_OPTIONS) -> Labels:
    """Label one report text (impression, else findings, else the last section) CheXpert-style.

    Parameters
    ----------
    text
        The text to label.
    options
        Switches for the published behaviours (:class:`~cxrkit.labels.LabelerOptions`).

    Returns
    -------
    dict
        Every label name mapped to ``1.0``, ``0.0``, ``-1.0`` or ``None`` (not mentioned).

    Examples
    --------
    >>> label_text("Cannot exclude pneumothorax.")["Pneumothorax"]
    -1.0
    """
    vocab = load_vocabulary(
        clear_lungs=options.clear_lungs, calcified_nodules=options.calcified_nodule_lesion
    )
    return aggregate(classify_tokens(tokenize(text), vocab, options), options)
