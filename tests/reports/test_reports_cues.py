"""Names after "Patient", wards and beds, pager and extension numbers, and "Call <Name> at
<number>": the forms the annotated sample of ``tests/data/deid_formats`` showed missing.

Every PHI case fails on the code before these rules; the guard cases are ordinary report
text that must stay as it is.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxrkit.reports import deidentify_text
from cxrkit.reports.deid_eval import evaluate_deid
from cxrkit.reports.deid_formats import read_annotated

DATA = Path(__file__).parents[1] / "data" / "deid_formats"


def _kept(text: str, phi: str) -> set[str]:
    """The words of ``phi`` that are still in the de-identified ``text``."""
    out = set(re.findall(r"[A-Za-z0-9]+", deidentify_text(text)))
    return set(re.findall(r"[A-Za-z0-9]+", phi)) & out


@pytest.mark.parametrize("fmt", ["brat", "i2b2", "cxrkit"])
def test_the_annotated_sample_loses_every_phi_token_and_nothing_else(fmt: str) -> None:
    score = evaluate_deid(read_annotated(DATA / fmt))
    assert score.recall() == 1.0
    assert score.precision() == 1.0


@pytest.mark.parametrize(
    ("text", "phi"),
    [
        ("Patient Rosa (Rosie) Delacroix-Hunt, age 93.", "Rosa Rosie Delacroix Hunt"),
        ('Patient Rosa "Rosie" Delacroix-Hunt was seen.', "Rosa Rosie Delacroix Hunt"),
        ("Pt Rosa Delacroix-Hunt was seen.", "Rosa Delacroix Hunt"),
        ("Pt. Rosa Delacroix-Hunt, 64.", "Rosa Delacroix Hunt"),
        ("Patient J. R. Delacroix-Hunt seen.", "J R Delacroix Hunt"),
        ("Patient Zbigniew Brzeczyszczykiewicz, age 50.", "Zbigniew Brzeczyszczykiewicz"),
        ("Patient Rosa Delacroix-Hunt (Rosie), 93.", "Rosa Delacroix Hunt Rosie"),
        ("PATIENT ROSA DELACROIX-HUNT SEEN TODAY.", "ROSA DELACROIX HUNT"),
        ("Mr. John (Jack) O'Neil was seen.", "John Jack O Neil"),
        ("Mrs. Mary-Ann 'Mimi' O'Neil agreed.", "Mary Ann Mimi O Neil"),
        ("Dr. Robert Hill (Bob) agreed.", "Robert Hill Bob"),
        ("Patient Hope seen today.", "Hope"),
        ("Patient Hope Bell seen today.", "Hope Bell"),
    ],
)
def test_a_name_after_a_person_cue_is_removed_whole(text: str, phi: str) -> None:
    assert not _kept(text, phi)


@pytest.mark.parametrize(
    "text",
    [
        "Patient is status post CABG.",
        "Patient Positioning: supine.",
        "Patient with history of CHF.",
        "Patient Rotated to the left.",
        "Patient Motion Artifact limits the study.",
        "Patient Care Team notified.",
        "Patient Follow-Up Study recommended.",
        "Patient Well-Nourished.",
        "Patient Identification Verified.",
        "Young patient. Rose in pressure. Hope for improvement.",
        "Dr. Hill (Radiology) called.",
    ],
)
def test_ordinary_words_after_patient_stay(text: str) -> None:
    kept = deidentify_text(text)
    assert kept.replace("Dr. ___", "Dr. Hill") == text


@pytest.mark.parametrize(
    ("text", "phi"),
    [
        ("Seen 2/2/2016 on Ward 5B.", "Ward 5B"),
        ("Transferred to Room 412 overnight.", "Room 412"),
        ("Portable film in Bed 3.", "Bed 3"),
        ("Moved to Unit 7 West today.", "Unit 7 West"),
        ("Patient in Bay 2 of the ED.", "Bay 2"),
        ("Patient in room 412 since Monday.", "room 412"),
        ("Seen in Rm. A12 today.", "Rm A12"),
    ],
)
def test_a_ward_room_or_bed_number_is_removed(text: str, phi: str) -> None:
    assert not _kept(text, phi)


@pytest.mark.parametrize(
    "text",
    [
        "Ward round today.",
        "Saturation 95% on room air.",
        "Room air.",
        "Extension of the effusion into the fissure.",
        "Bed 2 mm nodule unchanged.",
        "Bedside film; room for improvement.",
        "One unit of blood given.",
    ],
)
def test_ordinary_ward_words_stay(text: str) -> None:
    assert deidentify_text(text) == text


@pytest.mark.parametrize(
    ("text", "phi"),
    [
        ("Call Thornbury at pager 4417.", "4417"),
        ("Reached on beeper #2231.", "2231"),
        ("Radiology ext. 5512 for questions.", "5512"),
        ("Contact x4417.", "x4417"),
        ("PAGER NO. 318 for the reading room.", "318"),
        ("Call Bell at 4417.", "4417"),
        ("Please page the fellow on 8812 with results.", "8812"),
    ],
)
def test_a_pager_or_extension_number_is_removed(text: str, phi: str) -> None:
    assert not _kept(text, phi)


@pytest.mark.parametrize(
    ("text", "phi"),
    [
        ("Call Zbrowski at pager 4417.", "Zbrowski 4417"),
        ("Page Nguyen-Tran on x4417.", "Nguyen Tran x4417"),
        ("Findings called to Okonkwo at 555-0123.", "Okonkwo 555 0123"),
    ],
)
def test_a_family_name_alone_after_call_before_a_number_is_removed(text: str, phi: str) -> None:
    assert not _kept(text, phi)


@pytest.mark.parametrize(
    "text",
    [
        "Call report to the ED.",
        "Call Radiology at the front desk.",
        "Dr. ___ was called at 1430 and paged at 0930.",
        "Extension 12 mm beyond the carina.",
        "Flexion 90 and extension 150 degrees at the elbow.",
        "Page 2 of 3.",
        "Call back if symptoms worsen.",
    ],
)
def test_ordinary_call_and_number_text_stays(text: str) -> None:
    assert deidentify_text(text) == text
