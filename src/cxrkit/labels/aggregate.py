"""Per-report aggregation of classified mentions into the 14 label values (S12).

Examples
--------
>>> from cxrkit.labels.schema import POSITIVE, NEGATIVE
>>> labels = aggregate([Finding("Edema", NEGATIVE), Finding("Cardiomegaly", POSITIVE)])
>>> labels["Edema"], labels["Cardiomegaly"], labels["No Finding"]
(0.0, 1.0, None)
"""

from __future__ import annotations

from dataclasses import dataclass

from cxrkit.labels.schema import (
    CARDIOMEGALY,
    LABELS,
    NEGATIVE,
    NO_FINDING,
    POSITIVE,
    SUPPORT_DEVICES,
    UNCERTAIN,
    Labels,
)


@dataclass(frozen=True)
class LabelerOptions:
    """Switches for the published CheXpert behaviours (all on by default, as published).

    Attributes
    ----------
    negative_uncertain_wins
        A label with both a negative and an uncertain mention is uncertain *even when it also
        has a positive one* (the CheXpert aggregation). Off: positive beats everything.
    heart_failure_cardiomegaly
        A positive or uncertain "chf" / "heart failure" also adds an uncertain Cardiomegaly.
    no_finding_blank
        "No Finding" is only ``1.0`` or blank. Off: ``0.0`` when another finding blocks it.
    ambiguous_needs_size_word
        An ambiguous mention ("the heart", "cardiac silhouette", "contour") with no cue counts
        only when a size word says so ("enlarged", "widened"); "the heart and lungs have
        [changed]" is then no mention. Off: it is positive, as in the CheXpert labeler.
    clear_lungs
        Read a negated "lung(s)" as a negative Lung Opacity ("lungs are clear" → 0.0). Off by
        default because the CheXpert labeler leaves Lung Opacity blank there.
    calcified_nodule_lesion
        Read a "calcified nodule" as a Lung Lesion. Off by default: the CheXpert annotation
        directions ignore calcified nodules and granulomas (they block "No Finding" either
        way); on for gold annotated like ChestX-ray14 / Open-I, where the word "nodule" often
        makes a Nodule label whatever its calcification.
    """

    negative_uncertain_wins: bool = True
    heart_failure_cardiomegaly: bool = True
    no_finding_blank: bool = True
    ambiguous_needs_size_word: bool = True
    clear_lungs: bool = False
    calcified_nodule_lesion: bool = False


DEFAULT_OPTIONS = LabelerOptions()


@dataclass(frozen=True)
class Finding:
    """One classified mention: a label (or ``No Finding`` for a blocker), its value, the
    mention's flags."""

    label: str
    value: float
    flags: frozenset[str] = frozenset()


def _resolve(values: set[float], negative_uncertain_wins: bool) -> float:
    if len(values) == 1:
        return next(iter(values))
    if negative_uncertain_wins and NEGATIVE in values and UNCERTAIN in values:
        return UNCERTAIN
    if POSITIVE in values:
        return POSITIVE
    return UNCERTAIN


def aggregate(findings: list[Finding], options: LabelerOptions = DEFAULT_OPTIONS) -> Labels:
    """Combine a report's classified mentions into one value per label.

    Positive beats uncertain beats negative, except that negative + uncertain gives uncertain
    (see :class:`LabelerOptions`). "No Finding" is positive when no finding other than a
    support device is positive or uncertain, blockers included.

    Examples
    --------
    >>> aggregate([Finding("Pneumothorax", 0.0), Finding("Pneumothorax", -1.0)])["Pneumothorax"]
    -1.0
    """
    seen: dict[str, set[float]] = {}
    blocked = False
    for f in findings:
        present = f.value != NEGATIVE
        if present and f.label != SUPPORT_DEVICES:
            blocked = True
        if f.label == NO_FINDING:
            continue
        seen.setdefault(f.label, set()).add(f.value)
        if present and options.heart_failure_cardiomegaly and "heart_failure" in f.flags:
            seen.setdefault(CARDIOMEGALY, set()).add(UNCERTAIN)
    labels: Labels = dict.fromkeys(LABELS)
    for name, values in seen.items():
        labels[name] = _resolve(values, options.negative_uncertain_wins)
    if not blocked:
        labels[NO_FINDING] = POSITIVE
    elif not options.no_finding_blank:
        labels[NO_FINDING] = NEGATIVE
    return labels
