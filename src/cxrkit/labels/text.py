"""Report text → tokens with sentence and clause boundaries, without any model download.

The labelers read a report as one stream of lower-case tokens in which sentence ends
(``.``, ``?``, ``!``) and clause marks (``;``, ``:``, parentheses) are tokens of their own;
every cue's scope stops at them. Abbreviations with a slash are expanded first ("w/o" →
"without", "and/or" → "or", "x/y" → "x or y", as the CheXpert labeler cleans its input).

Examples
--------
>>> tokenize("No PTX w/o effusion. 2.5 cm nodule")
['no', 'ptx', 'without', 'effusion', '.', '2.5', 'cm', 'nodule']
>>> split_sentences("1. Stable mild cardiomegaly. 2. Hyperexpanded but clear lungs.")
['Stable mild cardiomegaly.', 'Hyperexpanded but clear lungs.']
"""

from __future__ import annotations

import re

#: Tokens that end every scope: sentence ends and clause marks.
BOUNDARIES = frozenset({".", ";", ":", "?", "!", "(", ")"})

_EXPAND = (
    (re.compile(r"\bw/o\b"), " without "),
    (re.compile(r"\bw/"), " with "),
    (re.compile(r"\br/o\b"), " rule out "),
    (re.compile(r"\band/or\b"), " or "),
    (re.compile(r"(?<=[a-z])/(?=[a-z])"), " or "),
)
_TOKEN_RE = re.compile(r"\d+\.\d+|[a-z0-9]+|[.;:?!,()]")
_SENTENCE_RE = re.compile(r"(?<=[.?!])\s+|\n\s*\n")
_ENUM_RE = re.compile(r"^\s*\d+[.)]\s*$")


def tokenize(text: str) -> list[str]:
    """Split a report into lower-case word, number and punctuation tokens.

    Examples
    --------
    >>> tokenize("Left-sided PICC; no ptx.")
    ['left', 'sided', 'picc', ';', 'no', 'ptx', '.']
    """
    low = text.lower()
    if "/" in low:
        for pattern, repl in _EXPAND:
            low = pattern.sub(repl, low)
    return _TOKEN_RE.findall(low)


def split_sentences(text: str) -> list[str]:
    """Split a report into sentences (for display and tests; the labelers use :func:`tokenize`).

    List numbers ("1.", "2)") are dropped; blank-line paragraphs always end a sentence.

    Examples
    --------
    >>> split_sentences("No effusion. Heart size normal")
    ['No effusion.', 'Heart size normal']
    """
    parts = (" ".join(p.split()) for p in _SENTENCE_RE.split(text))
    return [p for p in parts if p and not _ENUM_RE.match(p)]
