"""Deny-list, keep-list and line classification of burned-in text (S5)."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from cxrkit.dicom.ocr import Word, read_glyph, read_line
from cxrkit.dicom.phitext import KeepList, PixelDenyList, Verdict, classify_line, fold, phi_kind
from cxrkit.dicom.textfind import find_candidates, text_levels
from cxrkit.errors import ConfigError


@pytest.fixture(scope="module")
def deny() -> PixelDenyList:
    ds = pydicom.Dataset()
    ds.PatientName = "Ortega^Maria^R"
    ds.PatientID = "02777330"
    ds.AccessionNumber = "RAD2010162273"
    ds.PatientBirthDate = "19750213"
    ds.StudyDate, ds.StudyTime = "20100727", "113705"
    return PixelDenyList.from_dataset(ds, extra=["Dr Quill"])


def _line(text: str, conf: float = 90.0) -> list[Word]:
    return [Word(t, conf) for t in text.split()]


def test_fold_maps_the_ocr_confusables() -> None:
    assert fold("O0I1lS5B8") == fold("OOIIISSBB")


@pytest.mark.parametrize(
    "text",
    [
        "0RTEGA MARlA",  # confusables
        "ORTEGA~MARIA",  # the name separator read as ~
        "ORTEQA",  # one OCR error in a long name part
        "1D 02777330",
        "ACC# RAD20I0162273",
        "DOB 13 FEB 1975",
        "02/13/1975",
        "1975-02-13",
        "QUILL",  # an extra deny value
    ],
)
def test_header_values_are_found_in_ocr_text(deny: PixelDenyList, text: str) -> None:
    assert phi_kind(_line(text), deny) is not None
    assert classify_line(_line(text), deny, KeepList.default()) is Verdict.PHI


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("SMITH, ANNA", "name"),
        ("01.09.2012", "date"),
        ("12:41:07", "time"),
        ("ID 4477123", "identifier"),
    ],
)
def test_patterns_catch_phi_not_in_the_header(text: str, kind: str) -> None:
    assert phi_kind(_line(text), PixelDenyList()) == kind


@pytest.mark.parametrize(
    "text",
    [
        "L",
        "RT",
        "PORTABLE",
        "Semi-Upright",
        "SEMI-ERECT",
        "SUPINE",
        "72 kVp 3.2 mAs",
        "88KV 4.7MAS",
        "kVp 89 mAs 2.2",
        "kVp.89.mAs 2.2",  # PP-OCR's dots for the narrow spaces of a turned line (seed 8301)
        "118KVY 4.2MAS",  # tesseract's Y for P, read around a box by the proof (seed 8301)
    ],
)
def test_radiological_text_is_kept(deny: PixelDenyList, text: str) -> None:
    assert classify_line(_line(text), deny, KeepList.default()) is Verdict.KEEP


def test_a_patient_named_like_a_keep_word_is_still_phi() -> None:
    deny = PixelDenyList(frozenset({"SUPINE"}), frozenset())
    assert classify_line(_line("SUPINE"), deny, KeepList.default()) is Verdict.PHI


def test_unknown_legible_text_is_removed_and_noise_is_not_text() -> None:
    keep = KeepList.default()
    assert classify_line(_line("WET READ"), PixelDenyList(), keep) is Verdict.TEXT
    assert classify_line(_line("~ .", 20.0), PixelDenyList(), keep) is Verdict.NOISE


def test_a_bad_keep_pattern_names_the_entry() -> None:
    with pytest.raises(ConfigError, match="bad pattern"):
        KeepList.from_lines(["re: (unclosed"])


def test_levels_and_candidates_of_a_mid_grey_marker_box() -> None:
    import cv2

    rng = np.random.default_rng(0)
    a = rng.normal(1500, 200, (300, 400)).clip(0, 4095).astype(np.uint16)
    ink = np.zeros(a.shape, np.uint8)
    cv2.putText(ink, "LT", (300, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 1, 4)
    a[20:75, 290:380] = 0  # a label box
    a[ink > 0] = 2048  # text at the modality's fixed mid-grey value
    assert 2048 in {lv.lo for lv in text_levels(a) if lv.name == "spike"}
    cands = [c for c in find_candidates(a) if c.level.lo == 2048]
    assert len(cands) == 1 and cands[0].glyphs == 2


def test_ocr_reads_a_line_and_a_lone_glyph() -> None:
    import cv2

    img = np.full((50, 300), 255, np.uint8)
    cv2.putText(img, "SUPINE 4471", (8, 38), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2)
    assert " ".join(w.text for w in read_line(img, 22)) == "SUPINE 4471"
    glyph = np.full((70, 60), 255, np.uint8)
    cv2.putText(glyph, "R", (10, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.8, 0, 5)
    assert [w.text for w in read_glyph(glyph, 45)] == ["R"]
