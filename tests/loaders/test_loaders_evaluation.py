"""Image- and study-level evaluation of predictions on a loaded dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from loaders_mimic_format import MimicFixture

from cxrkit.errors import ConfigError, DataFileError
from cxrkit.loaders import Dataset, evaluate, load, match_predictions, roc_auc


def _toy() -> Dataset:
    table = pd.DataFrame(
        {
            "path": [f"/r/files/{c}.jpg" for c in "abcdef"],
            "image_id": list("abcdef"),
            "study_id": [1, 1, 2, 2, 3, 4],
            "Edema": [1.0, 1.0, 0.0, 0.0, -1.0, 1.0],
        }
    )
    return Dataset(table, name="toy", root=Path("/r"), labels=["Edema"])


def test_study_level_takes_the_maximum_over_views() -> None:
    preds = pd.DataFrame({"image_id": list("abcdef"), "Edema": [0.1, 0.9, 0.5, 0.3, 0.99, 0.2]})
    image, study = evaluate(_toy(), preds, n_bootstrap=0).scores
    assert (image.n, image.positives) == (5, 3)  # the uncertain image is left out
    assert image.auc.value == pytest.approx(roc_auc([1, 1, 0, 0, 1], [0.1, 0.9, 0.5, 0.3, 0.2]))
    assert (study.n, study.positives) == (3, 2)  # studies 1, 2, 4; study 3 is uncertain
    assert study.auc.value == pytest.approx(roc_auc([1, 0, 1], [0.9, 0.5, 0.2]))
    assert np.isnan(study.auc.low)  # no bootstrap asked for


def test_predictions_match_by_id_or_any_path_form() -> None:
    ds = _toy()
    forms = [
        pd.DataFrame({"image_id": ["b", "zz"]}),
        pd.DataFrame({"path": ["/r/files/b.jpg", "/elsewhere/zz.jpg"]}),
        pd.DataFrame({"path": ["files/b.jpg", "files/zz.jpg"]}),
        pd.DataFrame({"Path": ["prefix-folder/files/b.jpg", "zz"]}),
    ]
    for frame in forms:
        assert match_predictions(ds, frame).tolist()[0] == 1.0
        assert np.isnan(match_predictions(ds, frame).tolist()[1])


def test_errors_name_the_problem() -> None:
    ds = _toy()
    with pytest.raises(DataFileError, match="no key column"):
        evaluate(ds, pd.DataFrame({"Edema": [0.1]}))
    with pytest.raises(DataFileError, match="no prediction row matches"):
        evaluate(ds, pd.DataFrame({"image_id": ["x"], "Edema": [0.1]}))
    with pytest.raises(DataFileError, match="more than one prediction"):
        evaluate(ds, pd.DataFrame({"image_id": ["a", "a"], "Edema": [0.1, 0.2]}))
    with pytest.raises(ConfigError, match="no prediction column names a label"):
        evaluate(ds, pd.DataFrame({"image_id": ["a"], "Tumour": [0.1]}))
    with pytest.raises(DataFileError, match="empty or non-numeric"):
        evaluate(ds, pd.DataFrame({"image_id": ["a", "b"], "Edema": [0.1, None]}))
    with pytest.raises(ConfigError, match="levels"):
        evaluate(ds, pd.DataFrame({"image_id": ["a"], "Edema": [0.1]}), levels=["patient"])  # type: ignore[list-item]


def test_nih_evaluation_with_aliases(nih_root: Path) -> None:
    ds = load("nih-cxr14", nih_root)
    rng = np.random.default_rng(0)
    truth = ds.table["Pleural Effusion"].to_numpy()
    preds = pd.DataFrame(
        {
            "Image Index": ds.table["image_id"],
            "Effusion": truth * 0.3 + rng.random(len(ds)),
            "Hernia": rng.random(len(ds)),
        }
    )
    result = evaluate(ds, preds, levels=["image"], n_bootstrap=20)
    scores = {s.label: s for s in result.scores}
    assert set(scores) == {"Pleural Effusion", "Hernia"}
    assert scores["Pleural Effusion"].positives == int(truth.sum()) == 13_317
    assert 0.6 < scores["Pleural Effusion"].auc.value < 0.8
    assert scores["Hernia"].auc.value == pytest.approx(0.5, abs=0.05)
    frame = result.to_frame()
    assert list(frame.columns[:4]) == ["label", "level", "n", "positives"]
    assert {"auc", "auc_low", "auc_high", "auprc", "auprc_low", "auprc_high"} <= set(frame)


def test_mimic_study_level_on_multi_view_studies(mimic: MimicFixture) -> None:
    ds = load("mimic-cxr-jpg", mimic.root, uncertainty="zeros", blanks="zeros")
    preds = pd.DataFrame({"dicom_id": ds.table["dicom_id"], "Edema": ds.table["Edema"] * 0.5})
    image, study = evaluate(ds, preds, n_bootstrap=50).scores
    assert image.n == len(ds) and study.n == ds.table["study_id"].nunique()
    assert image.auc.value == study.auc.value == 1.0
    data = evaluate(ds, preds, n_bootstrap=0).as_dict()
    assert data["scores"][0]["auc"]["low"] is None and data["dataset"] == "mimic-cxr-jpg"
