"""The 14 CheXpert observations, their column orders and label values (S12, S14).

Two orders are in use: MIMIC-CXR's label files (``mimic-cxr-2.0.0-chexpert.csv.gz``,
``-negbio.csv.gz``, the test-set file) list the labels alphabetically, and the CheXpert
labeler's own output (``labeled_reports.csv``) uses a clinical order starting with
``No Finding``.

Examples
--------
>>> LABELS[:3]
('Atelectasis', 'Cardiomegaly', 'Consolidation')
>>> CHEXPERT_ORDER[0]
'No Finding'
>>> format_value(UNCERTAIN), format_value(None)
('-1.0', '')
"""

from __future__ import annotations

#: The 14 labels in MIMIC-CXR file order (alphabetical).
LABELS: tuple[str, ...] = (
    "Atelectasis",
    "Cardiomegaly",
    "Consolidation",
    "Edema",
    "Enlarged Cardiomediastinum",
    "Fracture",
    "Lung Lesion",
    "Lung Opacity",
    "No Finding",
    "Pleural Effusion",
    "Pleural Other",
    "Pneumonia",
    "Pneumothorax",
    "Support Devices",
)

#: The 14 labels in the CheXpert labeler's output order (``Reports`` comes first in its CSV).
CHEXPERT_ORDER: tuple[str, ...] = (
    "No Finding",
    "Enlarged Cardiomediastinum",
    "Cardiomegaly",
    "Lung Lesion",
    "Lung Opacity",
    "Edema",
    "Consolidation",
    "Pneumonia",
    "Atelectasis",
    "Pneumothorax",
    "Pleural Effusion",
    "Pleural Other",
    "Fracture",
    "Support Devices",
)

NO_FINDING = "No Finding"
SUPPORT_DEVICES = "Support Devices"
CARDIOMEGALY = "Cardiomegaly"

#: Label values: positive, negative, uncertain; ``None`` (a blank cell) is "not mentioned".
POSITIVE = 1.0
NEGATIVE = 0.0
UNCERTAIN = -1.0

#: A report's labels: every name of :data:`LABELS` mapped to a value or ``None``.
Labels = dict[str, float | None]


def format_value(value: float | None) -> str:
    """Write a label value as in the MIMIC/CheXpert files: ``1.0``, ``0.0``, ``-1.0`` or blank.

    Examples
    --------
    >>> format_value(1.0)
    '1.0'
    """
    return "" if value is None else repr(float(value))


def parse_value(cell: str) -> float | None:
    """Read a label cell: blank → ``None``, else the float (``"1"`` and ``"1.0"`` alike).

    Examples
    --------
    >>> parse_value(""), parse_value("-1")
    (None, -1.0)
    """
    cell = cell.strip()
    return None if cell == "" else float(cell)
