"""The review's exports, read back by the readers that consume them."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from cxrkit.cli import main
from cxrkit.errors import ConfigError
from cxrkit.labels import LABELS, evaluate, read_label_csv
from cxrkit.loaders.mimic import read_mimic_cxr_jpg
from cxrkit.reports.deid_eval import evaluate_deid
from cxrkit.reports.deid_formats import common_category, detect_format, read_annotated
from cxrkit.review.export import (
    PHI_KINDS,
    TEST_SET_LABELS,
    build_summary,
    from_utf16,
    summary_markdown,
    write_audit,
    write_brat,
    write_decisions,
    write_summary,
    write_test_set_labels,
)
from cxrkit.review.stats import agreement

R1 = "files/p10/p10000001/s50000001.txt"
R2 = "files/p10/p10000001/s50000002.txt"
# Fake PHI left in a "released" text, as a reader would find it.
TEXT1 = "FINDINGS: Clear lungs.\nDiscussed with Dr. Alma Quist\non 03/04/2015 at ___.\n"
TEXT2 = "IMPRESSION: No acute process.\n"


def test_decisions_are_written_as_csv_and_json(tmp_path: Path) -> None:
    rows = [
        {"item_id": R1, "kind": "report", "reader": "ann", "decision": "phi",
         "phi_kinds": ["name", "date"], "spans": [[38, 48]], "comment": "", "extra": 1},
        {"item_id": R2, "kind": "report", "reader": "ann", "decision": "no-phi",
         "box": {"x": 1, "y": 2, "w": 3, "h": 4}, "phi_kinds": []},
    ]  # fmt: skip
    csv_path, json_path = write_decisions(tmp_path, rows)
    with csv_path.open(newline="", encoding="utf-8") as fh:
        read = list(csv.DictReader(fh))
    assert list(read[0]) == [
        "item_id", "kind", "reader", "decision", "phi_kinds", "box", "spans", "comment", "extra"
    ]  # fmt: skip
    assert read[0]["phi_kinds"] == "name;date" and read[0]["spans"] == "38;48"
    assert json.loads(read[1]["box"]) == {"x": 1, "y": 2, "w": 3, "h": 4}
    assert read[1]["comment"] == ""
    assert json.loads(json_path.read_text(encoding="utf-8")) == rows


def test_the_audit_log_is_json_lines_in_order(tmp_path: Path) -> None:
    events = [
        {"who": "ann", "what": "decide", "when": "2026-12-07T15:00:00Z", "before": None,
         "after": "phi"},
        {"who": "carl", "what": "verdict", "when": "2026-12-07T16:00:00Z", "before": "phi",
         "after": "no-phi"},
    ]  # fmt: skip
    lines = write_audit(tmp_path, events).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == events
    assert lines[0].startswith('{"after": "phi", "before": null')


def _brat(folder: Path) -> Path:
    name = TEXT1.index("Alma")
    date = TEXT1.index("03/04/2015")
    spans = {R1: [(name, name + len("Alma Quist\non"), "name"), (date, date + 10, "date")]}
    write_brat(folder, {R1: TEXT1, R2: TEXT2}, spans)
    return folder


def test_brat_standoff_is_what_evaluate_deid_reads(tmp_path: Path) -> None:
    folder = _brat(tmp_path / "brat")
    ann = (folder / R1).with_suffix(".ann").read_text(encoding="utf-8").splitlines()
    name, line_end = TEXT1.index("Alma"), TEXT1.index("\non")
    # the name span runs over a line end: two fragments, text joined by a space
    assert ann[0] == f"T1\tname {name} {line_end};{line_end + 1} {line_end + 3}\tAlma Quist on"
    assert ann[1].split("\t")[1:] == [f"date {TEXT1.index('03')} {TEXT1.index('03') + 10}",
                                      "03/04/2015"]  # fmt: skip
    assert (folder / R2).with_suffix(".ann").read_text(encoding="utf-8") == ""
    assert (folder / R1).read_text(encoding="utf-8") == TEXT1
    assert detect_format(folder) == "brat"
    docs = {doc.name: doc for doc in read_annotated(folder)}
    assert set(docs) == {R1, R2}  # document names are the item ids
    assert docs[R1].text == TEXT1
    assert [(a.type, a.fragments) for a in docs[R1].annotations] == [
        ("name", ((name, line_end), (line_end + 1, line_end + 3))),
        ("date", ((TEXT1.index("03"), TEXT1.index("03") + 10),)),
    ]
    score = evaluate_deid(list(docs.values()))
    # PHI tokens: Alma, Quist, on (name); 03, 04, 2015 (date)
    assert score.documents == 2 and dict(score.gold) == {"name": 3, "date": 3}
    result = CliRunner().invoke(main, ["evaluate-deid", str(folder)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2 documents (brat)")


def test_every_phi_kind_is_its_own_evaluate_deid_category() -> None:
    assert all(common_category(kind) == kind for kind in PHI_KINDS)
    assert "other" in PHI_KINDS and "name" in PHI_KINDS


def test_bad_spans_and_paths_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="outside"):
        write_brat(tmp_path, {R1: TEXT1, R2: TEXT2}, {R2: [(5, 500, "name")]})
    assert not any(tmp_path.iterdir())  # checked before anything is written
    with pytest.raises(ConfigError, match="no report text"):
        write_brat(tmp_path, {R2: TEXT2}, {R1: [(0, 1, "name")]})
    with pytest.raises(ConfigError, match="release-relative"):
        write_brat(tmp_path, {"../escape.txt": TEXT2}, {})
    with pytest.raises(ConfigError, match="no PHI kind"):
        write_brat(tmp_path, {R2: TEXT2}, {R2: [(0, 3, "  ")]})


def test_the_summary_gives_the_issue_sentence_and_no_item(tmp_path: Path) -> None:
    strata = {f"files/p10/p1000{n:04d}/s5/{n}.dcm": "ACME / X1 / PA" for n in range(6900)}
    pairs = [("no-phi", "no-phi")] * 6890 + [("unsure", "no-phi")] * 10
    summary = build_summary(
        kind="image",
        manifest_sha256="0" * 64,
        strata=strata,
        pairs=pairs,
        consensus=(10, 10),
        confirmed=set(),
        flags={"ann": dict.fromkeys(strata, False), "bob": dict.fromkeys(strata, False)},
        assigned={"ann": 6900, "bob": 6900},
    )
    md_path, png_path = write_summary(tmp_path, summary)
    md = md_path.read_text(encoding="utf-8")
    assert "0 / 6,900 images with PHI; 95 % upper bound 0.043 %; 99 % upper bound 0.067 %" in md
    # p_o = 6890/6900; A: no-phi 6890, unsure 10; B: no-phi 6900: p_e = 6890/6900 = p_o, so
    # kappa = 0; AC1: pi_no = 13790/13800, pi_unsure = 10/13800 -> AC1 = 0.998551
    assert "raw agreement 0.999, Cohen's κ 0.000, Gwet's AC1 0.999" in md
    assert "sent to consensus: 10 items (10 settled)" in md
    assert "sample: 6,900 items drawn" in md
    assert "| ann | 6,900 / 6,900 | – |" in md  # no PHI confirmed: no detection rate
    assert "| ACME / X1 / PA | 6,900 | 0 | 0.043 % | 0.067 % |" in md
    assert not any(item in md for item in strata)
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert agreement(pairs).kappa == pytest.approx(0.0, abs=1e-12)


def test_a_labels_summary_lists_agreement_per_observation() -> None:
    summary = build_summary(
        kind="labels",
        manifest_sha256="ab",
        strata={R1: "PA"},
        pairs=[("1", "1")],
        consensus=(0, 0),
        confirmed=set(),
        flags={},
        assigned={},
        per_label=[("Edema", agreement([("1", "1"), ("0", "-1")]))],
    )
    md = summary_markdown(summary)
    assert "| Edema | 2 | 0.500 |" in md
    # a labels review has no PHI decision: no PHI sentence, no bounds by stratum
    assert "1 labelled reports settled" in md
    assert "with PHI" not in md and "By stratum" not in md


def test_manual_labels_are_read_by_evaluate_labels_and_the_loader(
    tmp_path: Path, release_factory: Callable[[Path], Path]
) -> None:
    out = release_factory(tmp_path / "out")
    rows = [
        {"study_id": "files/p10/p10000001/s50000002.txt", "Edema": "1", "Fracture": ""},
        {"study_id": 50000001, "Atelectasis": -1, "No Finding": 0.0, "Support Devices": "1.0"},
        {"study_id": "s50000003", "Pneumothorax": None},
    ]
    path = write_test_set_labels(out / TEST_SET_LABELS, rows)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "study_id," + ",".join(LABELS)
    assert [line.split(",")[0] for line in lines[1:]] == ["50000001", "50000002", "50000003"]
    gold = read_label_csv(path)
    assert gold["50000001"]["Atelectasis"] == -1.0 and gold["50000001"]["No Finding"] == 0.0
    assert gold["50000002"]["Edema"] == 1.0 and gold["50000002"]["Fracture"] is None
    assert evaluate(gold, gold).micro("mention") == 1.0
    table, labels = read_mimic_cxr_jpg(out, label_source="manual")
    assert labels == list(LABELS)
    assert sorted(set(table["study_id"])) == [50000001, 50000002, 50000003]
    with pytest.raises(ConfigError, match="label value"):
        write_test_set_labels(tmp_path / "x.csv", [{"study_id": 1, "Edema": "2"}])
    with pytest.raises(ConfigError, match="unknown label column"):
        write_test_set_labels(tmp_path / "x.csv", [{"study_id": 1, "Edma": "1"}])
    with pytest.raises(ConfigError, match="two rows"):
        write_test_set_labels(tmp_path / "x.csv", [{"study_id": 1}, {"study_id": "s1"}])


def test_browser_offsets_become_python_offsets_for_brat(tmp_path: Path) -> None:
    # "Ünal" and an emoji before the name: Python counts the emoji as 1, a browser as 2.
    text = "Note \U0001f4cb by Ünal Fake.\n"
    start, end = from_utf16(text, 11, 20)  # the browser's offsets of "Ünal Fake"
    assert text[start:end] == "Ünal Fake"
    write_brat(tmp_path, {R1: text}, {R1: [(start, end, "name")]})
    (doc,) = read_annotated(tmp_path)
    assert doc.annotations[0].fragments == ((start, end),)
    assert dict(evaluate_deid([doc]).gold) == {"name": 2}
    with pytest.raises(ConfigError):
        from_utf16(text, 6)  # inside the emoji's surrogate pair
