"""An optional PyTorch ``Dataset`` over a loaded dataset (extra ``torch``: ``pip install
'cxrkit[torch]'``; the CPU build is enough).

Each item is ``(image, labels)``: a float32 tensor ``1×H×W`` scaled to 0–1 (or whatever
``transform`` returns from the uint8 array) and a float32 tensor of the labels in
``Dataset.labels`` order, NaN where not mentioned (mask it out of the loss).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cxrkit.errors import ConfigError
from cxrkit.loaders.dataset import Dataset

try:
    import torch
    from torch.utils.data import Dataset as _TorchDataset
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ConfigError(
        "cxrkit.loaders.torchdata needs PyTorch; install it with pip install 'cxrkit[torch]'"
    ) from exc


def _default_transform(image: NDArray[Any]) -> Any:
    return torch.from_numpy(image.astype(np.float32) / 255.0).unsqueeze(0)


class TorchDataset(_TorchDataset[tuple[Any, Any]]):
    """Wrap a :class:`~cxrkit.loaders.Dataset` as a ``torch.utils.data.Dataset``.

    Parameters
    ----------
    dataset
        A loaded dataset (resize it with ``load(..., size=…)`` or ``Dataset.resized``).
    transform
        Called with the uint8 array; its result is the item's image. Default: a float32
        ``1×H×W`` tensor in 0–1.

    Examples
    --------
    >>> import pandas as pd, cv2, tempfile
    >>> from pathlib import Path
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = cv2.imwrite(str(root / "a.png"), np.full((4, 4), 255, np.uint8))
    >>> table = pd.DataFrame({"path": [str(root / "a.png")], "image_id": ["a"], "Edema": [1.0]})
    >>> image, labels = TorchDataset(Dataset(table, name="x", root=root, labels=["Edema"]))[0]
    >>> tuple(image.shape), float(image.max()), labels.tolist()
    ((1, 4, 4), 1.0, [1.0])
    """

    def __init__(
        self, dataset: Dataset, *, transform: Callable[[NDArray[Any]], Any] | None = None
    ) -> None:
        self.dataset = dataset
        self.transform = transform or _default_transform
        self._labels = torch.from_numpy(dataset.label_matrix().astype(np.float32))

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        sample = self.dataset[index]
        return self.transform(sample.image), self._labels[index % len(self.dataset)]
