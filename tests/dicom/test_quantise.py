"""The int8 copies of the learned text engine: cached, keyed, atomic, never a reason to fail.

The cache tests quantise a tiny convolution network drawn here (well under a second); only
the parity test runs the real DBNet copy, from the shared cache the whole suite uses (made
once per machine, at the first scrub).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from cxrkit.dicom import learned, quantise, tuning
from cxrkit.release.layout import is_temporary


def _tiny_model(path: Path, seed: int = 0) -> Path:
    """A 3-channel 3 x 3 convolution and a ReLU (opset 12, as the wheel's models are)."""
    rng = np.random.default_rng(seed)
    weight = numpy_helper.from_array(rng.normal(0, 0.5, (4, 3, 3, 3)).astype(np.float32), "w")
    bias = numpy_helper.from_array(np.zeros(4, np.float32), "b")
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
            helper.make_node("Relu", ["c"], ["y"]),
        ],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])],
        [weight, bias],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)])
    model.ir_version = 8
    model.metadata_props.add(key="character", value="abc")
    onnx.save(model, str(path))
    return path


class _Feeds:
    """Calibration inputs that count how often they are asked for."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> list[quantise.Feed]:
        self.calls += 1
        rng = np.random.default_rng(1)
        return [{"x": rng.uniform(-1, 1, (1, 3, 8, 8)).astype(np.float32)} for _ in range(3)]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(quantise.CACHE_ENV, str(folder))
    return folder


def _session(source: Path, feeds: _Feeds) -> ort.InferenceSession | None:
    return quantise.session(source, feeds, ort.SessionOptions())


def test_the_copy_is_made_once_then_reused(tmp_path: Path, cache: Path, caplog) -> None:
    source, feeds = _tiny_model(tmp_path / "tiny.onnx"), _Feeds()
    with caplog.at_level(logging.WARNING, logger=quantise.__name__):
        first = _session(source, feeds)
    assert first is not None
    assert "made the int8 copy of tiny.onnx in" in caplog.text
    assert feeds.calls == 1
    made = [p.name for p in cache.glob("*.onnx")]
    assert made == [quantise.cached_path(source).name]
    assert not [p for p in cache.iterdir() if is_temporary(p.name)]  # written, then renamed
    quantised = onnx.load(str(cache / made[0]))
    assert {n.op_type for n in quantised.graph.node} >= {"QuantizeLinear", "DequantizeLinear"}
    assert {p.key: p.value for p in quantised.metadata_props} == {"character": "abc"}
    x = _Feeds()()[0]
    want = ort.InferenceSession(str(source)).run(None, x)[0]
    assert np.abs(first.run(None, x)[0] - want).max() < 0.05 * np.abs(want).max()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=quantise.__name__):
        assert _session(source, feeds) is not None
    assert feeds.calls == 1 and not caplog.text  # reused, silently


def test_the_cache_is_keyed_by_model_runtime_and_recipe(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _tiny_model(tmp_path / "tiny.onnx")
    key = quantise.cached_path(source)
    assert key.parent == cache and key.name.startswith("tiny.int8.")
    assert quantise.cached_path(_tiny_model(tmp_path / "tiny.onnx", seed=1)) != key
    _tiny_model(tmp_path / "tiny.onnx")
    assert quantise.cached_path(source) == key
    monkeypatch.setattr(quantise, "RECIPE", quantise.RECIPE + 1)
    assert quantise.cached_path(source) != key
    monkeypatch.setattr(quantise, "RECIPE", quantise.RECIPE - 1)
    monkeypatch.setattr(quantise.ort, "__version__", "0.0.1")
    assert quantise.cached_path(source) != key


def test_the_default_cache_is_the_user_cache_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv(quantise.CACHE_ENV, raising=False)
    assert quantise.cache_dir() == Path(platformdirs.user_cache_dir("cxrkit")) / "models"


def test_a_failed_write_leaves_no_file(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _tiny_model(tmp_path / "tiny.onnx")
    real_replace = Path.replace

    def failing_rename(self: Path, target: Path) -> Path:
        if is_temporary(self.name):
            raise OSError("disk full")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", failing_rename)
    assert _session(source, _Feeds()) is None
    assert not quantise.cached_path(source).exists()
    assert not [p for p in cache.iterdir() if is_temporary(p.name)]


def test_a_failing_quantiser_falls_back_with_a_warning(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("quantiser broke")

    monkeypatch.setattr("onnxruntime.quantization.quantize_static", broken)
    source = _tiny_model(tmp_path / "tiny.onnx")
    with caplog.at_level(logging.WARNING, logger=quantise.__name__):
        assert _session(source, _Feeds()) is None
    assert "RuntimeError: quantiser broke" in caplog.text
    assert "the float model runs instead" in caplog.text


def test_a_broken_cached_copy_falls_back(tmp_path: Path, cache: Path) -> None:
    source = _tiny_model(tmp_path / "tiny.onnx")
    target = quantise.cached_path(source)
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not a model")
    assert _session(source, _Feeds()) is None


@pytest.fixture
def fresh_models() -> Iterator[None]:
    """The learned module's sessions loaded afresh for the test, and again after it."""
    learned._models.cache_clear()
    yield
    learned._models.cache_clear()


def _switched(monkeypatch: pytest.MonkeyPatch, *, int8: bool) -> None:
    t = dataclasses.replace(tuning.TUNING.learned, int8=int8)
    monkeypatch.setattr(tuning, "TUNING", dataclasses.replace(tuning.TUNING, learned=t))
    learned._models.cache_clear()


def test_the_switch_picks_the_float_or_the_int8_models(
    monkeypatch: pytest.MonkeyPatch, fresh_models: None
) -> None:
    asked: list[str] = []

    def recorded(source: Path, *args: object, **kwargs: object) -> None:
        asked.append(source.name)  # and None: the float model runs

    monkeypatch.setattr(quantise, "session", recorded)
    _switched(monkeypatch, int8=False)
    learned.models()
    assert asked == []
    _switched(monkeypatch, int8=True)
    learned.models()
    assert asked == [learned.DET_MODEL]  # the recogniser always runs its float model


def test_the_scrub_runs_on_the_float_models_when_the_quantiser_fails(
    cache: Path, monkeypatch: pytest.MonkeyPatch, fresh_models: None
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("quantiser broke")

    monkeypatch.setattr(quantise, "make", broken)
    _switched(monkeypatch, int8=True)
    img = np.full((200, 500), 40, np.uint8)
    cv2.putText(img, "DOE JOHN 1961", (20, 100), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 230, 2)
    assert [d.box[1] < 100 < d.box[3] for d in learned.detect(img)] == [True]
    word = np.full((48, 260), 255, np.uint8)
    cv2.putText(word, "PORTABLE", (8, 36), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 0, 2)
    assert learned.recognize([word])[0][0] == "PORTABLE"


def _drawn() -> np.ndarray:
    """A small radiograph-like image with lines across, up the left edge and small ones."""
    img = np.full((700, 900), 70, np.uint8)
    cv2.circle(img, (450, 380), 260, 120, -1)
    cv2.putText(img, "DOE^JANE 1961", (30, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 240, 2)
    cv2.putText(img, "ID 40418812", (520, 660), cv2.FONT_HERSHEY_DUPLEX, 0.5, 230, 1)
    cv2.putText(img, "PORTABLE", (600, 60), cv2.FONT_HERSHEY_PLAIN, 1.6, 10, 2)
    line = np.full((36, 420), 70, np.uint8)
    cv2.putText(line, "2024-05-17 14:22", (4, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 235, 2)
    img[150:570, 20:56] = np.rot90(line)
    return img


def test_the_int8_detector_finds_the_lines_the_float_one_finds(
    monkeypatch: pytest.MonkeyPatch, fresh_models: None
) -> None:
    img = _drawn()
    _switched(monkeypatch, int8=False)
    floating = learned.detect(img)
    _switched(monkeypatch, int8=True)
    assert learned.models().det.get_providers() == ["CPUExecutionProvider"]
    ops = {n.op_type for n in onnx.load(str(quantise.cached_path(_det_source()))).graph.node}
    assert "QuantizeLinear" in ops  # the int8 copy was made and runs
    quantised = learned.detect(img)
    assert len(floating) == 4
    for d in floating:
        assert any(learned.inside(d.box, q.box, 0.8) for q in quantised), d.box


def _det_source() -> Path:
    from importlib.resources import files

    return Path(str(files("rapidocr_onnxruntime") / "models" / learned.DET_MODEL))


def test_the_first_convolutions_stay_float(tmp_path: Path, cache: Path) -> None:
    """Quantised throughout, DBNet's overview lost faint lines; its stem stays float."""
    rng = np.random.default_rng(0)
    convs, weights = [], []
    for i in range(5):
        weights.append(
            numpy_helper.from_array(rng.normal(0, 0.5, (3, 3, 3, 3)).astype(np.float32), f"w{i}")
        )
        convs.append(
            helper.make_node(
                "Conv",
                ["x" if i == 0 else f"c{i - 1}", f"w{i}"],
                [f"c{i}"],
                pads=[1, 1, 1, 1],
                name=f"conv{i}",
            )
        )
    graph = helper.make_graph(
        convs,
        "five",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("c4", TensorProto.FLOAT, [1, 3, 8, 8])],
        weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)])
    model.ir_version = 8
    source = tmp_path / "five.onnx"
    onnx.save(model, str(source))
    assert _session(source, _Feeds()) is not None
    made = onnx.load(str(quantise.cached_path(source)))
    producers = {o: n.op_type for n in made.graph.node for o in n.output}
    fed = {
        n.name: producers.get(n.input[0], "input") for n in made.graph.node if n.op_type == "Conv"
    }
    assert fed == {
        "conv0": "input",
        "conv1": "Conv",
        "conv2": "Conv",
        "conv3": "DequantizeLinear",
        "conv4": "DequantizeLinear",
    }
