"""Tests of the synthetic radiology report writer (``cxrkit.sources.synth.reports``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
import re
from collections import Counter

import pytest

from cxrkit.sources.synth.model import (
    Address,
    Exam,
    Institution,
    Patient,
    PersonName,
    Relative,
    Study,
)
from cxrkit.sources.synth.report_text import SEPARATOR
from cxrkit.sources.synth.reports import write_report
from cxrkit.sources.synth.sentences import OBSERVATIONS, sentence_bank
from cxrkit.sources.synth.truth import CATEGORIES, SynthReport

N_REPORTS = 400
FAMILY = ("Hill", "Bell", "Hope", "Young", "Novak", "Tanaka", "Osei", "Marsh", "Stone", "Quinn")
GIVEN = ("Rose", "Frank", "Grace", "Will", "Nadia", "Hector", "Ivy", "Omar", "Clara", "Theo")
CHEST = Exam("C11", "CHEST (PA AND LAT)", "CHEST", ("PA", "LATERAL"))
PORTABLE = Exam("C12", "CHEST (PORTABLE AP)", "CHEST", ("AP",))
DECUB = Exam("PC1", "DX CHEST WITH DECUB", "CHEST", ("AP", "LL"))
PELVIS = Exam("P11", "PELVIS (AP ONLY)", "PELVIS", ("AP",))
TIME_OF_DAY = re.compile(r"\b\d{1,2}:\d{2}(?: ?[AaPp][Mm])?\b")
LABEL_VALUES = (1.0, 0.0, -1.0, None)


def _name(k: int, middle: str = "") -> PersonName:
    return PersonName(FAMILY[k % len(FAMILY)], GIVEN[(k * 3 + 1) % len(GIVEN)], middle)


def make_study(
    k: int, *, exam: Exam = CHEST, age: int = 67, relatives: bool = True, priors: int = 1
) -> Study:
    """A hand-made study of patient ``k`` with fake values (no cohort involved)."""
    when = dt.datetime(2015, 3, 14, 9, 30) + dt.timedelta(days=37 * k, minutes=k)
    born = dt.date(when.year - age, 1 + k % 12, 1 + k % 28)
    if (born.month, born.day) > (when.month, when.day):
        born = born.replace(year=born.year - 1)  # keep the age exact at the study date
    family = ("wife", "son", "brother")
    patient = Patient(
        index=k,
        mrn=f"00{4417000 + k}",
        other_ids=(f"E{71234000 + k}",),
        name=_name(k, "M" if k % 2 else ""),
        sex="F" if k % 2 else "M",
        birth_date=born,
        address=Address(f"{12 + k} Maple Avenue", "Belmont", "MA", f"0{2478 + k}"),
        phone=f"(617) 555-01{k % 100:02d}",
        relatives=(Relative(family[k % 3], _name(k + 5), "(508) 555-0142"),) if relatives else (),
    )
    inst = Institution(
        "Harborview Memorial Hospital",
        "HMH",
        Address("1 Harbor Street", "Newport", "RI", "02840"),
        "Radiology",
        "1.2.999.4242.1",
        "(401) 555-0100",
    )
    return Study(
        index=0,
        patient=patient,
        accession=f"A{300000000 + 7919 * k}",
        study_id=str(1000 + k),
        study_instance_uid=f"1.2.999.4242.1.{k}",
        when=when,
        exam=exam,
        institution=inst,
        referring=_name(k + 1),
        radiologist=_name(k + 2, "J"),
        performing=_name(k + 3),
        operator=_name(k + 4),
        station_name="HMHCRX01",
        device_serial=f"SN{k:07d}",
        images=(),
        report_form="csv",
        prior_dates=tuple(when - dt.timedelta(days=200 * (i + 1)) for i in range(priors)),
    )


def _study_for(k: int) -> Study:
    exam = (CHEST, CHEST, PORTABLE, DECUB)[k % 4]
    return make_study(
        k, exam=exam, age=(93 if k % 7 == 0 else 40 + k % 48), relatives=k % 5 != 0, priors=k % 3
    )


@pytest.fixture(scope="module")
def reports() -> list[tuple[Study, SynthReport]]:
    out = []
    for k in range(N_REPORTS):
        study = _study_for(k)
        out.append((study, write_report(study, random.Random(f"test-report-{k}"))))
    return out


def _covered(report: SynthReport, start: int, end: int) -> bool:
    return any(p.start <= start and end <= p.end for p in report.phi)


def test_same_seed_same_report() -> None:
    study = make_study(3)
    first = write_report(study, random.Random(11))
    assert write_report(study, random.Random(11)) == first
    assert write_report(study, random.Random(12)).text != first.text


def test_phi_spans_are_exact(reports: list[tuple[Study, SynthReport]]) -> None:
    for _, report in reports:
        for p in report.phi:
            assert report.text[p.start : p.end] == p.value, p
            assert p.category in CATEGORIES
            assert p.value and "\n" not in p.value, p  # never split across lines


def test_phi_spans_do_not_overlap(reports: list[tuple[Study, SynthReport]]) -> None:
    for _, report in reports:
        spans = sorted((p.start, p.end) for p in report.phi)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start


def test_lines_fit_79_characters(reports: list[tuple[Study, SynthReport]]) -> None:
    for _, report in reports:
        assert max(len(line) for line in report.text.split("\n")) <= 79


def test_segments_are_separated_by_underscore_lines(
    reports: list[tuple[Study, SynthReport]],
) -> None:
    addenda = 0
    for _, report in reports:
        segments = report.text.split("\n" + SEPARATOR + "\n")
        has_addendum = "addendum" in report.sections
        addenda += has_addendum
        assert len(segments) == (4 if has_addendum else 3)
        if has_addendum:
            assert segments[0].lstrip().startswith("ADDENDUM:")
        assert "FINAL REPORT" in segments[-1].split("\n")[0]
        assert all(set(line.strip()) == {"_"} for line in report.text.split("\n") if "__" in line)
    assert 0.04 * N_REPORTS < addenda < 0.18 * N_REPORTS


def test_patient_identity_is_recorded(reports: list[tuple[Study, SynthReport]]) -> None:
    for study, report in reports:
        by_category = {(p.category, p.value) for p in report.phi}
        assert ("mrn", study.patient.mrn) in by_category
        assert ("accession", study.accession) in by_category
        names = [p.value.lower() for p in report.phi if p.category == "name"]
        assert any(study.patient.name.family.lower() in n for n in names)


def test_every_occurrence_of_identity_values_is_phi(
    reports: list[tuple[Study, SynthReport]],
) -> None:
    for study, report in reports:
        patient = study.patient
        values = [
            patient.mrn,
            study.accession,
            patient.name.family,
            patient.name.given,
            study.radiologist.family,
            study.referring.family,
        ]
        for value in {v for v in values for v in (v, v.upper())}:
            for m in re.finditer(rf"\b{re.escape(value)}\b", report.text):
                assert _covered(report, m.start(), m.end()), (value, report.text)


def test_times_of_day_are_not_phi(reports: list[tuple[Study, SynthReport]]) -> None:
    times = 0
    for _, report in reports:
        for m in TIME_OF_DAY.finditer(report.text):
            times += 1
            assert not any(p.start < m.end() and m.start() < p.end for p in report.phi), (
                m.group(),
                report.text,
            )
    assert times > N_REPORTS  # header and signature times at least


def test_ages_of_90_or_more_are_phi(reports: list[tuple[Study, SynthReport]]) -> None:
    for study, report in reports:
        ages = {p.value for p in report.phi if p.category == "age"}
        old = study.patient.birth_date.replace(year=study.patient.birth_date.year + 90)
        assert ages == ({"93"} if old <= study.when.date() else set())


def test_many_phi_kinds_and_spans(reports: list[tuple[Study, SynthReport]]) -> None:
    counts = Counter(p.category for _, r in reports for p in r.phi)
    assert sum(counts.values()) / N_REPORTS >= 10
    expected = {
        "name",
        "mrn",
        "id",
        "accession",
        "date",
        "age",
        "phone",
        "pager",
        "email",
        "url",
        "address",
        "city",
        "state",
        "country",
        "zip",
        "hospital",
        "unit",
        "year",
        "station",
    }
    assert expected <= set(counts)
    values = {p.value for _, r in reports for p in r.phi if p.category == "date"}
    assert any(re.fullmatch(r"\d{2}/\d{2}/\d{4}", v) for v in values)
    assert any(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in values)
    assert any(re.fullmatch(r"the \d+(st|nd|rd|th) of [A-Z][a-z]+", v) for v in values)
    assert any(re.fullmatch(r"[A-Z][a-z]+ \d+, \d{4}", v) for v in values)


def test_sections_are_substrings(reports: list[tuple[Study, SynthReport]]) -> None:
    allowed = {
        "examination",
        "indication",
        "history",
        "technique",
        "comparison",
        "findings",
        "impression",
        "notification",
        "addendum",
        "last_paragraph",
    }
    for _, report in reports:
        assert set(report.sections) <= allowed
        assert report.label_section in report.sections
        assert report.sections[report.label_section]
        for text in report.sections.values():
            assert text == text.strip()
            assert text in report.text


def test_last_paragraph_precedes_signature(reports: list[tuple[Study, SynthReport]]) -> None:
    for _, report in reports:
        body = report.text.split(SEPARATOR)[-1]
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
        signature = paragraphs[-1]
        assert re.search(r"signed|finalized|reviewed", signature, re.IGNORECASE), signature
        assert report.sections["last_paragraph"] == paragraphs[-2]


def test_layout_shares(reports: list[tuple[Study, SynthReport]]) -> None:
    shares = Counter(r.label_section for _, r in reports)
    assert 0.72 < shares["impression"] / N_REPORTS < 0.88
    assert 0.07 < shares["findings"] / N_REPORTS < 0.20
    assert 0.02 < shares["last_paragraph"] / N_REPORTS < 0.13


def test_label_values(reports: list[tuple[Study, SynthReport]]) -> None:
    for _, report in reports:
        assert tuple(report.labels) == OBSERVATIONS
        assert all(v in LABEL_VALUES for v in report.labels.values())
        assert report.labels["No Finding"] in (1.0, None)
        if report.labels["No Finding"] == 1.0:
            others = [
                v for k, v in report.labels.items() if k not in ("No Finding", "Support Devices")
            ]
            assert all(v in (0.0, None) for v in others)


def _bank_sentences_in(text: str) -> list[tuple[dict[str, float], bool]]:
    flat = re.sub(r"\s+", " ", text)
    found = []
    for s in sentence_bank().sentences:
        if re.search(rf"(^|\s|\d\. ){re.escape(s.text)}(?=\s|$)", flat):
            found.append((dict(s.tags), s.blocks))
    return found


def test_labels_follow_the_labeled_text(reports: list[tuple[Study, SynthReport]]) -> None:
    """Re-derive every label from the bank sentences found in the labeled section."""
    for _, report in reports:
        found = _bank_sentences_in(report.sections[report.label_section])
        assert found
        for obs in OBSERVATIONS[1:]:
            values = {tags[obs] for tags, _ in found if obs in tags}
            expected = (
                None if not values else 1.0 if 1.0 in values else -1.0 if -1.0 in values else 0.0
            )
            assert report.labels[obs] == expected, (obs, report.sections)
        blocked = any(b for _, b in found) or any(
            report.labels[o] in (1.0, -1.0) for o in OBSERVATIONS[1:-1]
        )
        assert report.labels["No Finding"] == (None if blocked else 1.0)


def test_every_label_value_occurs(reports: list[tuple[Study, SynthReport]]) -> None:
    seen = {(obs, v) for _, r in reports for obs, v in r.labels.items()}
    for obs in OBSERVATIONS[1:]:
        for value in (1.0, 0.0, -1.0):
            assert (obs, value) in seen, (obs, value)
    normal = sum(r.labels["No Finding"] == 1.0 for _, r in reports) / N_REPORTS
    assert 0.2 < normal < 0.45


def test_non_chest_study_gets_a_report() -> None:
    report = write_report(make_study(8, exam=PELVIS), random.Random(5))
    assert "PELVIS (AP ONLY)" in report.text
    assert report.labels["Pneumothorax"] is None
    assert all(report.text[p.start : p.end] == p.value for p in report.phi)


def test_patient_without_relatives_priors_or_other_ids() -> None:
    study = make_study(10, relatives=False, priors=0)
    study = dataclasses.replace(study, patient=dataclasses.replace(study.patient, other_ids=()))
    for seed in range(30):
        report = write_report(study, random.Random(seed))
        assert not re.search(r"\b(wife|husband|daughter|son|mother|brother)\b", report.text)
        assert all(report.text[p.start : p.end] == p.value for p in report.phi)
