"""A loaded dataset: one table row per image, samples with lazily read uint8 images."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cxrkit.errors import ConfigError, DataFileError
from cxrkit.loaders.files import relative
from cxrkit.loaders.splits import patient_split, sample_patients

Size = int | tuple[int, int]


def read_image(path: Path, *, size: Size | None = None, root: Path | None = None) -> NDArray[Any]:
    """Read an image file as a 2-D uint8 grey-level array, optionally resized with OpenCV.

    ``size`` is an edge length (square output) or ``(width, height)``; shrinking uses area
    interpolation, enlarging bilinear.

    Raises
    ------
    DataFileError
        If the file is missing or cannot be decoded; the message names it (relative to
        ``root`` when given).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "x.png"
    >>> _ = cv2.imwrite(str(path), np.zeros((8, 6), np.uint8))
    >>> read_image(path).shape, read_image(path, size=4).shape
    ((8, 6), (4, 4))
    """
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        name = relative(path, root) if root is not None else str(path)
        if not path.is_file():
            raise DataFileError(
                f"image {name} not found; check the dataset root or download the missing images"
            )
        raise DataFileError(f"image {name} cannot be decoded; the file may be truncated")
    if size is None:
        return image
    width, height = (size, size) if isinstance(size, int) else size
    shrink = width * height < image.shape[0] * image.shape[1]
    interpolation = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interpolation)


@dataclass(frozen=True)
class Sample:
    """One image of a dataset: labels and metadata now, pixels when ``.image`` is first read.

    ``labels`` maps harmonised label names to ``1.0``/``0.0``/``-1.0``/``NaN``; ``meta`` holds
    the row's other columns (``subject_id``, ``study_id``, ``view``, ``split`` …).
    """

    path: Path
    labels: dict[str, float]
    meta: dict[str, Any]
    size: Size | None = None
    root: Path | None = field(default=None, repr=False)

    @cached_property
    def image(self) -> NDArray[Any]:
        """The image as a 2-D uint8 array, read (and resized) on first access."""
        return read_image(self.path, size=self.size, root=self.root)


class Dataset:
    """A loaded MIMIC-CXR-JPG, CheXpert or NIH ChestX-ray14 dataset (see :func:`load`).

    ``table`` has one row per image with at least ``path``, ``image_id``, ``subject_id``,
    ``study_id``, ``view``, ``view_group``, ``split`` and one column per label in ``labels``.
    """

    def __init__(
        self,
        table: pd.DataFrame,
        *,
        name: str,
        root: Path,
        labels: Sequence[str],
        size: Size | None = None,
        boxes: pd.DataFrame | None = None,
    ) -> None:
        self.table = table.reset_index(drop=True)
        self.name = name
        self.root = root
        self.labels = tuple(labels)
        self.size = size
        self.boxes = boxes

    def __repr__(self) -> str:
        return f"Dataset({self.name!r}, {len(self)} images, {len(self.labels)} labels)"

    def __len__(self) -> int:
        return len(self.table)

    def __iter__(self) -> Iterator[Sample]:
        for i in range(len(self)):
            yield self[i]

    @cached_property
    def _columns(self) -> tuple[list[str], NDArray[np.float64], dict[str, list[Any]]]:
        paths = self.table["path"].astype(str).tolist()
        matrix = self.table[list(self.labels)].to_numpy(dtype=np.float64, na_value=np.nan)
        skip = {"path", *self.labels}
        meta = {c: self.table[c].tolist() for c in self.table.columns if c not in skip}
        return paths, matrix, meta

    @cached_property
    def _boxes_by_image(self) -> dict[str, list[dict[str, Any]]]:
        if self.boxes is None:
            return {}
        grouped: dict[str, list[dict[str, Any]]] = {}
        for record in self.boxes.to_dict("records"):
            row = {str(key): value for key, value in record.items()}
            grouped.setdefault(str(row["image_id"]), []).append(row)
        return grouped

    def __getitem__(self, index: int) -> Sample:
        """Return sample ``index`` (negative counts from the end); the image is read lazily."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} images")
        index %= len(self)
        paths, matrix, meta = self._columns
        row_meta = {column: values[index] for column, values in meta.items()}
        if self.boxes is not None:
            row_meta["boxes"] = self._boxes_by_image.get(str(row_meta["image_id"]), [])
        labels = dict(zip(self.labels, matrix[index].tolist(), strict=True))
        return Sample(Path(paths[index]), labels, row_meta, self.size, self.root)

    def label_matrix(self) -> NDArray[np.float64]:
        """Return the labels as an ``(images, labels)`` float array (NaN = not mentioned)."""
        return self._columns[1].copy()

    def subset(self, rows: Sequence[int] | NDArray[Any] | pd.Series) -> Dataset:
        """Return a dataset of the given rows (positions or a boolean mask), whole rows kept.

        Examples
        --------
        >>> table = pd.DataFrame({"path": ["a", "b"], "image_id": ["a", "b"], "Edema": [1.0, 0.0]})
        >>> len(Dataset(table, name="x", root=Path("."), labels=["Edema"]).subset([1]))
        1
        """
        selected = np.asarray(rows)
        table = self.table[selected] if selected.dtype == bool else self.table.iloc[selected]
        boxes = self.boxes
        if boxes is not None:
            boxes = boxes[boxes["image_id"].isin(table["image_id"])].reset_index(drop=True)
        return Dataset(
            table, name=self.name, root=self.root, labels=self.labels, size=self.size, boxes=boxes
        )

    def resized(self, size: Size | None) -> Dataset:
        """Return the same dataset whose samples' images are resized to ``size``."""
        return Dataset(
            self.table,
            name=self.name,
            root=self.root,
            labels=self.labels,
            size=size,
            boxes=self.boxes,
        )

    def sample_patients(self, n: int, *, seed: int = 0) -> Dataset:
        """Return all images (with their own labels) of ``n`` randomly drawn patients."""
        return self.subset(sample_patients(self.table, n, seed=seed))

    def patient_split(self, fractions: Mapping[str, float], *, seed: int = 0) -> dict[str, Dataset]:
        """Split by patient into parts of about ``fractions`` of the images each.

        No patient is in two parts. See :func:`cxrkit.loaders.patient_split`.
        """
        parts = patient_split(self.table, fractions, seed=seed)
        return {name: self.subset((parts == name).to_numpy()) for name in fractions}

    def require_images(self) -> None:
        """Raise :class:`DataFileError` naming the first image missing on disk (checks all)."""
        for path in self._columns[0]:
            if not Path(path).is_file():
                name = relative(Path(path), self.root)
                raise DataFileError(f"image {name} not found; download it or fix the root")


def check_size(size: Size | None) -> None:
    """Raise :class:`ConfigError` unless ``size`` is None, a positive int or a pair of them."""
    sizes = (size,) if isinstance(size, int) else (size or ())
    if size is not None and (len(sizes) not in (1, 2) or any(int(s) < 1 for s in sizes)):
        raise ConfigError(f"size {size!r} is not a positive edge length or (width, height)")
