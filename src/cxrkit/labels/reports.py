"""Label many reports: the CheXpert labeler's CSV in and out, and the rows of S14's files.

Examples
--------
>>> rows = label_studies([("10000032", "50414267", "No pneumothorax.")])
>>> rows[0]["study_id"], rows[0]["Pneumothorax"], rows[0]["No Finding"]
('50414267', 0.0, 1.0)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from pathlib import Path

from cxrkit.errors import ConfigError
from cxrkit.labels.aggregate import DEFAULT_OPTIONS, LabelerOptions
from cxrkit.labels.chexpert import label_text as label_chexpert
from cxrkit.labels.negbio import label_text as label_negbio
from cxrkit.labels.schema import CHEXPERT_ORDER, LABELS, Labels, format_value
from cxrkit.sources.textfile import read_column

#: The labelers by name.
LABELERS: dict[str, Callable[[str, LabelerOptions], Labels]] = {
    "chexpert": label_chexpert,
    "negbio": label_negbio,
}


def get_labeler(name: str) -> Callable[[str, LabelerOptions], Labels]:
    """The labeling function called ``name`` (``chexpert`` or ``negbio``).

    Examples
    --------
    >>> get_labeler("negbio")("No effusion.")["Pleural Effusion"]
    0.0
    """
    try:
        return LABELERS[name]
    except KeyError:
        raise ConfigError(f"unknown labeler {name!r}; use one of {sorted(LABELERS)}") from None


def label_reports(
    texts: Iterable[str], *, labeler: str = "chexpert", options: LabelerOptions = DEFAULT_OPTIONS
) -> list[Labels]:
    """Label report texts; a blank text gets no labels at all (every value ``None``).

    Examples
    --------
    >>> label_reports(["Mild cardiomegaly.", ""])[1]["No Finding"] is None
    True
    """
    fn = get_labeler(labeler)
    empty: Labels = dict.fromkeys(LABELS)
    return [fn(t, options) if t.strip() else dict(empty) for t in texts]


def label_study(text: str) -> dict[str, Labels]:
    """A study's labels by every labeler (``chexpert``, ``negbio``) from its label text (the
    impression, else the findings, else the last paragraph); none for a blank text.

    Examples
    --------
    >>> label_study("No pneumothorax.")["negbio"]["Pneumothorax"], label_study(" ")
    (0.0, {})
    """
    if not text.strip():
        return {}
    return {name: fn(text, DEFAULT_OPTIONS) for name, fn in LABELERS.items()}


def label_studies(
    rows: Iterable[tuple[str, str, str]], *, labeler: str = "chexpert"
) -> list[dict[str, str | float | None]]:
    """Rows of ``mimic-cxr-2.0.0-chexpert.csv.gz`` / ``-negbio.csv.gz`` (S14).

    Parameters
    ----------
    rows
        ``(subject_id, study_id, text)``, the text being the impression, else the findings,
        else the last paragraph. A study whose text is blank gets no row.
    labeler
        ``chexpert`` or ``negbio``.

    Returns
    -------
    list of dict
        ``subject_id``, ``study_id`` and the 14 labels in :data:`~cxrkit.labels.schema.LABELS`
        order, values ``1.0`` / ``0.0`` / ``-1.0`` / ``None``.

    Examples
    --------
    See the module docstring.
    """
    fn = get_labeler(labeler)
    out: list[dict[str, str | float | None]] = []
    for subject_id, study_id, text in rows:
        if not text.strip():
            continue
        labels = fn(text, DEFAULT_OPTIONS)
        row: dict[str, str | float | None] = {"subject_id": subject_id, "study_id": study_id}
        row.update((name, labels[name]) for name in LABELS)
        out.append(row)
    return out


def format_study_rows(rows: Iterable[dict[str, str | float | None]]) -> str:
    """CSV text of :func:`label_studies` rows (header ``subject_id,study_id,<14 labels>``).

    Examples
    --------
    >>> format_study_rows([]).splitlines()[0][:38]
    'subject_id,study_id,Atelectasis,Cardio'
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["subject_id", "study_id", *LABELS])
    for row in rows:
        values = [row[name] for name in LABELS]
        writer.writerow(
            [row["subject_id"], row["study_id"], *(format_value(v) for v in values)]  # type: ignore[arg-type]
        )
    return buf.getvalue()


def read_reports_csv(path: str | Path) -> list[str]:
    """Read the CheXpert labeler's input: a headerless one-column CSV (multi-line cells quoted),
    UTF-8 or another text encoding (:func:`~cxrkit.sources.textfile.read_column`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.csv"
    >>> _ = p.write_text('No effusion.\\n"Line one.\\n\\nLine two."\\n')
    >>> read_reports_csv(p)
    ['No effusion.', 'Line one.\\n\\nLine two.']
    """
    return read_column(Path(path))[0]


def format_labeled_csv(texts: list[str], labels: list[Labels]) -> str:
    """The CheXpert labeler's output: ``Reports`` + its 14 columns, ``\\n`` line ends.

    Examples
    --------
    >>> format_labeled_csv(["No effusion"], [label_chexpert("No effusion")]).splitlines()[1]
    'No effusion,1.0,,,,,,,,,,0.0,,,'
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["Reports", *CHEXPERT_ORDER])
    for text, row in zip(texts, labels, strict=True):
        writer.writerow([text, *(format_value(row[name]) for name in CHEXPERT_ORDER)])
    return buf.getvalue()
