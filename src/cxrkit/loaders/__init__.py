"""S23: loaders for MIMIC-CXR-JPG, CheXpert and NIH ChestX-ray14 on one harmonised schema.

>>> from cxrkit.loaders import load
>>> ds = load("nih-cxr14", "/data/nih", split="test", views="frontal")  # doctest: +SKIP
>>> ds.table.head()  # doctest: +SKIP
>>> sample = ds[0]; sample.image, sample.labels, sample.meta  # doctest: +SKIP

Parts: :func:`load` (``catalog``), :class:`Dataset` and :class:`Sample` (``dataset``), the
label schema, view names and uncertainty policies (``schema``), patient-wise splits
(``splits``), ROC-AUC/AUPRC with bootstrap intervals (``metrics``) and image- and study-level
evaluation of predictions (``evaluation``). The PyTorch wrapper is
``cxrkit.loaders.torchdata.TorchDataset`` (extra ``torch``). See ``docs/loaders.md``.
"""

from cxrkit.loaders.catalog import dataset_name, load
from cxrkit.loaders.dataset import Dataset, Sample, read_image
from cxrkit.loaders.evaluation import Evaluation, LabelScore, evaluate, match_predictions
from cxrkit.loaders.metrics import Interval, average_precision, bootstrap_metrics, roc_auc
from cxrkit.loaders.schema import (
    CHEXPERT_LABELS,
    apply_uncertainty,
    canonical_label,
    dataset_labels,
    harmonised_labels,
    label_schema,
)
from cxrkit.loaders.splits import patient_split, sample_patients

__all__ = [
    "CHEXPERT_LABELS",
    "Dataset",
    "Evaluation",
    "Interval",
    "LabelScore",
    "Sample",
    "apply_uncertainty",
    "average_precision",
    "bootstrap_metrics",
    "canonical_label",
    "dataset_labels",
    "dataset_name",
    "evaluate",
    "harmonised_labels",
    "label_schema",
    "load",
    "match_predictions",
    "patient_split",
    "read_image",
    "roc_auc",
    "sample_patients",
]
