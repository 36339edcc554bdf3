"""The synthetic EHR: admissions consistent with the studies, and its truth."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from cxrkit.sources.synth import synthesize
from cxrkit.sources.synth.cohort import build_cohort
from cxrkit.sources.synth.ehr import admissions, truth_rows


def test_every_study_lies_in_its_admission_only() -> None:
    cohort = build_cohort(40, seed=5)
    stays = admissions(cohort)
    assert stays == admissions(cohort)
    by_mrn: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}
    for a in stays:
        by_mrn.setdefault(a.mrn, []).append((a.admit, a.discharge))
    for windows in by_mrn.values():
        for (_, end), (start, _) in itertools.pairwise(windows):
            assert start - end >= dt.timedelta(days=1)  # no overlap, a day apart
    window = {a.hadm_id: (a.admit, a.discharge) for a in stays}
    margin = dt.timedelta(hours=1)
    truth = {r["accession"]: r["hadm_id"] for r in truth_rows(cohort, stays)}
    assert len(truth) == len(cohort.studies)
    for study in cohort.studies:
        hadm = truth[study.accession]
        inside = [
            h
            for a in stays
            if a.mrn == study.patient.mrn
            for h in [a.hadm_id]
            if window[h][0] - margin <= study.when <= window[h][1] + margin
        ]
        assert inside == ([hadm] if hadm else [])
    assert 0.4 < sum(1 for h in truth.values() if h) / len(truth) < 0.95
    known = {p.mrn for p in cohort.patients}
    assert len({a.mrn for a in stays} - known) == 4  # EHR patients without a study


def test_synth_writes_the_ehr(tmp_path: Path) -> None:
    synthesize(tmp_path, patients=2, seed=7, workers=1)
    header = (tmp_path / "ehr" / "admissions.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "mrn,hadm_id,admittime,dischtime,admission_type"
    truth = (tmp_path / "truth" / "study_admissions.csv").read_text(encoding="utf-8")
    assert truth.startswith("accession,mrn,hadm_id\n")
