"""The chest-only filter reads body-part words as whole words only."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from cxrkit.dicom.chest import OTHER_BODY_PARTS, chest_verdict


def _header(**values: str) -> Dataset:
    ds = Dataset()
    ds.Modality = "DX"
    for keyword, value in values.items():
        setattr(ds, keyword, value)
    return ds


@pytest.mark.parametrize("word", OTHER_BODY_PARTS)
def test_other_body_part_word_alone_is_not_chest(word: str) -> None:
    for text in (word, f"XR {word} 2 VIEWS"):
        verdict = chest_verdict(_header(StudyDescription=text))
        assert not verdict.is_chest
        assert verdict.reason == "StudyDescription names another body part"


@pytest.mark.parametrize("word", OTHER_BODY_PARTS)
def test_other_body_part_word_as_prefix_is_not_matched(word: str) -> None:
    verdict = chest_verdict(_header(StudyDescription=f"{word}QZ PORTABLE AP"))
    assert verdict.is_chest
    assert verdict.reason == "no body-part evidence; taken for a chest radiograph"


def test_handheld_portable_is_a_chest_image() -> None:
    verdict = chest_verdict(_header(StudyDescription="HANDHELD PORTABLE AP"))
    assert verdict.is_chest


def test_chest_word_wins_over_another_part() -> None:
    verdict = chest_verdict(_header(StudyDescription="TRAUMA #2 (AP CXR AND PELVIS PORT)"))
    assert verdict.reason == "StudyDescription names the chest"
