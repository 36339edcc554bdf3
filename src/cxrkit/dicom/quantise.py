"""An int8 copy of the learned text detector, made at first use and cached (S5).

PP-OCR's DBNet, which :mod:`cxrkit.dicom.learned` runs, comes as a float model in the
``rapidocr-onnxruntime`` wheel. Its static int8 copy (onnxruntime's ``quantize_static``: QDQ
format, unsigned 8-bit activations, signed 8-bit weights per output channel) runs about 1.6
times as fast on a CPU with 8-bit dot-product instructions (``docs/burned-in.md``, "int8
models"; the CRNN recogniser's copy read too many strings differently and is not used).
Nothing derived from the wheel's files is shipped: :func:`session` makes the copy on this
machine the first time it is asked for, from the wheel's own float model and calibration
inputs that cxrkit draws itself (:mod:`cxrkit.dicom.calibration`: synthetic radiographs with
made-up burned-in text, fixed seeds), and keeps it in a cache folder:

- the folder is ``$CXRKIT_MODEL_CACHE`` when set, else the user cache folder of platformdirs
  (``~/.cache/cxrkit/models`` on Linux);
- a file's name holds a hash of the float model's bytes, the onnxruntime version and
  :data:`RECIPE` (this module's recipe: calibration set and quantiser settings), so a new
  wheel, runtime or recipe makes a new copy instead of reusing a stale one;
- it is written to a temporary file in the same folder and renamed into place, so two
  worker processes that make it at once each leave a whole file and a reader never sees a
  half-written one.

Making a copy takes some seconds of one core (a warning says so, and how long it took).
Whatever goes wrong — no ``onnx`` package, an unwritable folder, a quantiser error, a copy
that does not load — :func:`session` logs a warning and returns ``None``, and the caller
runs the float model: the int8 copy is only ever a speed-up, never a reason for a scrub to
fail. No log line names an image or any text read from one.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import platformdirs
from numpy.typing import NDArray

log = logging.getLogger(__name__)

#: The version of the recipe (calibration inputs and quantiser settings): raise it whenever
#: either changes, so that cached copies made by the old recipe are not reused.
RECIPE = 2
#: The environment variable that names the cache folder.
CACHE_ENV = "CXRKIT_MODEL_CACHE"
#: The network's first convolutions (with the operations between them) stay float: they run
#: at the input's full resolution on the raw contrast, where 8-bit activations lost faint
#: lines (an upside-down name on bright anatomy, a mid-grey name: found by the float overview,
#: not by a copy quantised throughout); from the fourth convolution on, all is quantised.
FLOAT_CONVS = 3
#: The opset the float models are converted to first: per-channel weights need opset 13.
OPSET = 13

#: One calibration input: the network's input name → its array.
Feed = dict[str, NDArray[np.float32]]


def cache_dir() -> Path:
    """The folder of the int8 copies: ``$CXRKIT_MODEL_CACHE`` or the user cache folder."""
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given)
    return Path(platformdirs.user_cache_dir("cxrkit")) / "models"


def cache_key(source: Path) -> str:
    """A hash of ``source``'s bytes, the onnxruntime version and :data:`RECIPE`."""
    h = hashlib.sha256(source.read_bytes())
    h.update(f"onnxruntime {ort.__version__} recipe {RECIPE}".encode())
    return h.hexdigest()[:16]


def cached_path(source: Path) -> Path:
    """Where the int8 copy of ``source`` is (or will be) kept."""
    return cache_dir() / f"{source.stem}.int8.{cache_key(source)}.onnx"


def session(
    source: Path,
    feeds: Callable[[], Sequence[Feed]],
    options: ort.SessionOptions,
) -> ort.InferenceSession | None:
    """An onnxruntime session of the int8 copy of the float model ``source``, the copy taken
    from the cache or made now and cached; ``None``, after a warning, when it cannot be made
    or loaded (the caller runs the float model).

    ``feeds`` gives the calibration inputs (called only when the copy is made).
    """
    try:
        target = cached_path(source)
        if not target.exists():
            # one process makes it (calibration holds a few GB); the others wait, then load it
            with _locked(target.with_name(target.name + ".lock")):
                if not target.exists():
                    _make_logged(source, target, feeds)
        return ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
    except Exception as err:  # a speed-up only: whatever fails, the float model runs
        log.warning(
            "the int8 copy of %s is not available (%s: %s); the float model runs instead",
            source.name,
            type(err).__name__,
            err,
        )
        return None


def _make_logged(
    source: Path,
    target: Path,
    feeds: Callable[[], Sequence[Feed]],
) -> None:
    started = time.monotonic()
    log.warning(
        "making the int8 copy of %s once (first use; cached in %s)", source.name, target.parent
    )
    make(source, target, feeds())
    took = time.monotonic() - started
    log.warning("made the int8 copy of %s in %.1f s", source.name, took)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if need be) while the block runs."""
    try:
        import fcntl  # noqa: PLC0415 - POSIX only
    except ImportError:  # pragma: no cover - elsewhere each process makes its own copy
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def make(source: Path, target: Path, feeds: Sequence[Feed]) -> None:
    """Quantise ``source`` with ``feeds`` as calibration inputs; write ``target`` atomically."""
    # imported only when a copy is made (once per machine): they take a while to load
    import onnx  # noqa: PLC0415
    from onnx import version_converter  # noqa: PLC0415
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static  # noqa: PLC0415
    from onnxruntime.quantization.shape_inference import quant_pre_process  # noqa: PLC0415

    from cxrkit.release.layout import write_atomic  # noqa: PLC0415

    target.parent.mkdir(parents=True, exist_ok=True)
    model = onnx.load(str(source))
    with tempfile.TemporaryDirectory(prefix="cxrkit-int8-") as tmp:
        converted, prepared, out = (Path(tmp) / n for n in ("v13.onnx", "pre.onnx", "q.onnx"))
        onnx.save(version_converter.convert_version(model, OPSET), str(converted))
        quant_pre_process(str(converted), str(prepared), skip_symbolic_shape=True)
        stem = _stem(onnx.load(str(prepared)))
        quantize_static(
            str(prepared),
            str(out),
            _Reader(feeds),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=stem,
        )
        result = onnx.load(str(out))
        # the model's own metadata is kept (rapidocr keeps a recogniser's characters there)
        del result.metadata_props[:]
        result.metadata_props.extend(model.metadata_props)
        write_atomic(target, result.SerializeToString())


def _stem(model: Any) -> list[str]:
    """The names of the graph's nodes before its ``FLOAT_CONVS + 1``-th convolution."""
    convs = [i for i, n in enumerate(model.graph.node) if n.op_type == "Conv"]
    end = convs[FLOAT_CONVS] if len(convs) > FLOAT_CONVS else 0
    return [n.name for n in model.graph.node[:end]]


class _Reader:
    """onnxruntime's calibration data reader over a list of feeds."""

    def __init__(self, feeds: Sequence[Feed]) -> None:
        self._feeds: Iterator[Feed] = iter(feeds)

    def get_next(self) -> Feed | None:
        return next(self._feeds, None)
