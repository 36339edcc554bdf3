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

import csv
import io
from collections.abc import Mapping

from cxrkit.errors import ConfigError

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


#: MIMIC-CXR-JPG's manual labels of test studies (``study_id`` and the 14, alphabetically).
TEST_SET_FILE = "mimic-cxr-2.1.0-test-set-labeled.csv"
TEST_SET_COLUMNS = ("study_id", *LABELS)


def label_cell(value: object) -> str:
    """A label value (1 / 0 / −1 / blank, as number or text) in the published spelling.

    Examples
    --------
    >>> label_cell("-1"), label_cell(1), label_cell(" ")
    ('-1.0', '1.0', '')
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    try:
        parsed = parse_value(str(value))
    except ValueError:
        raise ConfigError(f"{value!r} is not a label value (1, 0, -1 or blank)") from None
    if parsed not in (POSITIVE, NEGATIVE, UNCERTAIN):
        raise ConfigError(f"{value!r} is not a label value (1, 0, -1 or blank)")
    return format_value(parsed)


def format_test_set(rows: Mapping[int, Mapping[str, object]]) -> bytes:
    """The bytes of a :data:`TEST_SET_FILE`: study_id → observation → value (a missing one is
    blank); columns :data:`TEST_SET_COLUMNS`, rows by study id, values by :func:`label_cell`.

    Examples
    --------
    >>> format_test_set({7: {"Edema": "-1"}}).decode().splitlines()[1]
    '7,,,,-1.0,,,,,,,,,,'
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TEST_SET_COLUMNS)
    for study_id in sorted(rows):
        writer.writerow([study_id, *(label_cell(rows[study_id].get(lab)) for lab in LABELS)])
    return buffer.getvalue().encode("utf-8")
