"""The optional PyTorch wrapper (extra ``torch``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (extra 'torch')")

from torch.utils.data import DataLoader  # noqa: E402

from cxrkit.loaders import load  # noqa: E402
from cxrkit.loaders.torchdata import TorchDataset  # noqa: E402


def test_items_are_float_tensors_with_nan_labels(nih_root: Path) -> None:
    ds = load("nih-cxr14", nih_root, labels=["Cardiomegaly", "Fracture"], size=64)
    wrapped = TorchDataset(ds)
    assert isinstance(wrapped, torch.utils.data.Dataset)
    assert len(wrapped) == len(ds)
    image, labels = wrapped[0]  # 00000001_000.png, Cardiomegaly
    assert image.dtype == torch.float32 and tuple(image.shape) == (1, 64, 64)
    assert 0.0 <= float(image.min()) < float(image.max()) <= 1.0
    assert labels[0].item() == 1.0 and torch.isnan(labels[1])


def test_dataloader_batches_and_transform(nih_root: Path) -> None:
    ds = load("nih-cxr14", nih_root, size=32)
    on_disk = {p.name for p in (nih_root / "images").glob("*.png")}
    ds = ds.subset(ds.table["image_id"].isin(on_disk).to_numpy())
    wrapped = TorchDataset(ds, transform=lambda a: torch.from_numpy(a.astype(np.int16)))
    images, labels = next(iter(DataLoader(wrapped, batch_size=4)))
    assert tuple(images.shape) == (4, 32, 32) and images.dtype == torch.int16
    assert tuple(labels.shape) == (4, len(ds.labels))
