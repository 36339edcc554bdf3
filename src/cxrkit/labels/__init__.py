"""S12–S15: the CheXpert-style and NegBio-style report labelers and their evaluation.

Library first: :func:`label_text` labels one text, :func:`label_reports` many,
:func:`label_studies` gives the rows of ``mimic-cxr-2.0.0-chexpert.csv.gz`` /
``-negbio.csv.gz`` (S14), and :func:`evaluate` scores predictions as in S15. The vocabulary is in
data files under ``vocabulary/`` (see its README).

Examples
--------
>>> from cxrkit.labels import label_text
>>> labels = label_text("1. Left pleural effusion with adjacent atelectasis.")
>>> labels["Pleural Effusion"], labels["Atelectasis"], labels["No Finding"]
(1.0, 1.0, None)
>>> label_text("No new consolidation.", labeler="negbio")["Consolidation"]
-1.0
"""

from __future__ import annotations

from cxrkit.labels.aggregate import DEFAULT_OPTIONS, LabelerOptions
from cxrkit.labels.evaluate import (
    CHESTXRAY14_MAP,
    Scores,
    evaluate,
    format_scores,
    read_label_csv,
)
from cxrkit.labels.reports import (
    format_labeled_csv,
    format_study_rows,
    get_labeler,
    label_reports,
    label_studies,
    label_study,
    read_reports_csv,
)
from cxrkit.labels.schema import CHEXPERT_ORDER, LABELS, Labels


def label_text(
    text: str, *, labeler: str = "chexpert", options: LabelerOptions = DEFAULT_OPTIONS
) -> Labels:
    """Label one report text (impression, else findings, else the last section).

    Parameters
    ----------
    text
        The text to label.
    labeler
        ``chexpert`` (S12) or ``negbio`` (S13).
    options
        Switches for the published behaviours.

    Returns
    -------
    dict
        Every name of :data:`LABELS` mapped to ``1.0``, ``0.0``, ``-1.0`` or ``None``.

    Examples
    --------
    >>> label_text("Cannot exclude pneumothorax.")["Pneumothorax"]
    -1.0
    """
    return get_labeler(labeler)(text, options)


__all__ = [
    "CHESTXRAY14_MAP",
    "CHEXPERT_ORDER",
    "DEFAULT_OPTIONS",
    "LABELS",
    "LabelerOptions",
    "Labels",
    "Scores",
    "evaluate",
    "format_labeled_csv",
    "format_scores",
    "format_study_rows",
    "label_reports",
    "label_studies",
    "label_study",
    "label_text",
    "read_label_csv",
    "read_reports_csv",
]
