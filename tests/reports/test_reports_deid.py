"""Text de-identification (S10): recall on a synthetic export, over-redaction on Open-I,
names that are English words, times of day kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxrkit.reports import TextDenyList, deidentify_text, find_text_phi
from cxrkit.reports.evaluate import over_redaction, recall_on_export
from cxrkit.sources.synth import SynthSummary

#: Floors slightly below what the rules reach (docs/reports.md gives the measured figures).
RECALL_FLOOR = 0.9995
OPENI_OVER_REDACTION_CEILING = 0.001
SYNTH_OVER_REDACTION_CEILING = 0.005


@pytest.mark.parametrize(
    "text",
    [
        "The findings may represent atelectasis.",
        "May represent atelectasis.",
        "There is frank pulmonary edema. Frank edema is seen.",
        "Will follow up with CT. Grant funding not relevant.",
        "Young patient. Rose in pressure. Hope for improvement.",
        "Heart size is normal. Mild bibasilar atelectasis. Portable AP view at 23:45.",
        "Left 5th rib fracture. T12 compression. 1.5 cm nodule. NG tube 10 cm below.",
        "Followed by CT. Compared with the prior radiograph. 2/3 of the lung.",
        "45-year-old man, 45M, age 62, 2000 mL drained.",
    ],
)
def test_ordinary_text_is_untouched(text: str) -> None:
    assert deidentify_text(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Discussed with Rose Hill by telephone at 10:30.",
            "Discussed with ___ by telephone at 10:30.",
        ),
        ("d/w Frank at 5 pm.", "d/w ___ at 5 pm."),
        ("Dr. Bell was paged.", "Dr. ___ was paged."),
        ("Findings d/w Dr. May Young at 9:17 am.", "Findings d/w Dr. ___ at 9:17 am."),
        ("I, Will Grant, have reviewed the images.", "I, ___, have reviewed the images."),
        (" WILL GRANT  03/04/2015 10:22", " ___  ___ 10:22"),
        ("Results called to Hope Bell, MD at 9:00.", "Results called to ___, MD at 9:00."),
        ("Contact: wife Rose at (617) 555-0123.", "Contact: wife ___ at ___."),
        ("Please call Ivy Stone (daughter).", "Please call ___ (daughter)."),
        (" PATIENT: HOPE, WILL E     MRN: 00381763", " PATIENT: ___     MRN: ___"),
        ("findings d/w dr. smith at 3 pm.", "findings d/w dr. ___ at 3 pm."),
        ("discussed with dr john smith by phone", "discussed with dr ___ by phone"),
        ("d/w john smith by phone", "d/w ___ by phone"),
        ("per dr. o'neil, unchanged.", "per dr. ___, unchanged."),
        ("Dr. van der Berg and Dr. de la Cruz agreed.", "Dr. ___ and Dr. ___ agreed."),
    ],
)
def test_names_in_name_contexts_are_caught(text: str, expected: str) -> None:
    assert deidentify_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "d/w radiology; d/w the patient and the team.",
        "History of ms lesions. mr imaging pending.",
        "Seen by dr. and nurse on rounds.",
        "Discussed with the covering resident.",
    ],
)
def test_lower_case_words_after_weak_titles_or_contexts_stay(text: str) -> None:
    assert deidentify_text(text) == text


@pytest.mark.parametrize(
    "date",
    [
        "3/14/2015",
        "03/14/15",
        "2015-03-14",
        "14-Mar-2015",
        "March 14, 2015",
        "Mar 14 2015",
        "SAT MAR 14 2015",
        "the 14th of March",
        "Mar 14",
        "3/14",
        "March 2015",
        "12/2013",
    ],
)
def test_dates_in_every_common_format_become_one_placeholder(date: str) -> None:
    assert deidentify_text(f"Compared with {date} at 10:30.") == "Compared with ___ at 10:30."


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("617-555-0123", "phone"),
        ("(617) 555-0123", "phone"),
        ("x5-1234", "extension"),
        ("5-1234", "pager"),
        ("A181668277", "identifier"),
        ("jdoe@hospitalhealth.org", "e-mail"),
        ("https://portal.example.org/r/123", "URL"),
        ("1999", "year"),
        ("Nigeria", "country"),
        ("New Hampshire", "state"),
        ("Mercy Valley Hospital", "hospital"),
    ],
)
def test_generic_patterns_work_without_a_deny_list(value: str, kind: str) -> None:
    assert deidentify_text(f"Noted {value}; stable.") == "Noted ___; stable.", kind


def test_ages_of_90_and_over_only() -> None:
    text = "92-year-old woman; 89-year-old man; 95F; Age: 91."
    assert deidentify_text(text) == "___-year-old woman; 89-year-old man; ___F; Age: ___."


def test_deny_list_catches_values_no_pattern_knows() -> None:
    deny = TextDenyList(names=("Oyelaran^Zuzanna",), identifiers=("QX-77",), places=("Farview",))
    text = "Zuzanna Oyelaran seen at Farview (QX-77); Oyelaran stable."
    assert deidentify_text(text, deny) == "___ seen at ___ (___); ___ stable."


def test_deny_list_name_that_is_a_word_needs_its_other_part() -> None:
    deny = TextDenyList(names=("Hope, May",))
    text = "May Hope was seen. This may represent edema. May represent edema."
    assert (
        deidentify_text(text, deny)
        == "___ was seen. This may represent edema. May represent edema."
    )


def test_spans_never_cover_times_of_day() -> None:
    text = "Called at 10:30 AM, 21:56 and 9:17 pm on 3/4/2015."
    covered = [text[s.start : s.end] for s in find_text_phi(text)]
    assert covered == ["3/4/2015"]


def test_recall_on_a_200_patient_export(export200: SynthSummary) -> None:
    result = recall_on_export(export200.root)
    assert result.total > 20_000
    assert result.recall >= RECALL_FLOOR, result.missed[:20]
    assert result.over_redaction <= SYNTH_OVER_REDACTION_CEILING


def test_recall_without_any_deny_list(export200: SynthSummary) -> None:
    """What ``cxrkit deid-text`` reaches alone, with patterns and name contexts only."""
    result = recall_on_export(export200.root, use_ris=False, use_dicom=False)
    assert result.recall >= RECALL_FLOOR, result.missed[:20]


def test_over_redaction_on_open_i(openi_tgz: Path) -> None:
    result = over_redaction(openi_tgz)
    assert result.reports == 3955
    assert result.total > 150_000
    assert result.rate <= OPENI_OVER_REDACTION_CEILING, result.examples[:20]
