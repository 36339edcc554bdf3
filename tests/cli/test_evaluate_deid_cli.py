"""``cxrkit evaluate-deid`` on the sample annotations of tests/data/deid_formats (fake PHI)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cxrkit.cli import main

DATA = Path(__file__).parents[1] / "data" / "deid_formats"
BRAT_OUTPUT = """\
2 documents (brat), 74 tokens, 26 PHI tokens
category        PHI  removed  recall  predicted  correct precision
name              6        3   0.500          3        3     1.000
date              8        8   1.000          6        6     1.000
id                1        1   1.000          1        1     1.000
location          1        1   1.000          3        3     1.000
institution       5        3   0.600          3        3     1.000
contact           4        3   0.750          3        3     1.000
age               1        1   1.000          1        1     1.000
all              26       20   0.769         20       20     1.000
6 missed PHI tokens (category, document, start-end):
  name        note2.txt  25-30
  name        note2.txt  32-41
  name        note2.txt  42-46
  institution note2.txt  73-77
  institution note2.txt  78-80
  contact     note2.txt  141-145
"""
PHI_WORDS = ("Okonkwo", "Springfield", "Harbor", "Rosie", "Delacroix", "Thornbury", "4417")


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["evaluate-deid", *args])
    return result.exit_code, result.stdout, result.stderr


def test_brat_scores_and_misses_without_their_text() -> None:
    code, out, _ = _run(str(DATA / "brat"))
    assert code == 0
    assert out == BRAT_OUTPUT
    assert not any(word in out for word in PHI_WORDS)


def test_the_three_formats_agree() -> None:
    scores = {}
    for fmt in ("brat", "i2b2", "cxrkit"):
        code, out, _ = _run(str(DATA / fmt), "--json")
        assert code == 0
        data = json.loads(out)
        assert data["format"] == fmt and data["documents"] == 2
        scores[fmt] = (data["categories"], data["all"], len(data["misses"]))
    assert scores["brat"] == scores["i2b2"] == scores["cxrkit"]


def test_json_lists_misses_by_place_and_text_only_on_request() -> None:
    _, out, _ = _run(str(DATA / "i2b2"), "--json")
    first = json.loads(out)["misses"][0]
    # the hospital name broken across a line in note1 is found (text read across lines)
    assert first == {"category": "name", "document": "note2.xml", "start": 25, "end": 30}
    assert not any(word in out for word in PHI_WORDS)
    _, shown, _ = _run(str(DATA / "i2b2"), "--json", "--show-text")
    assert json.loads(shown)["misses"][0]["text"] == "Rosie"


def test_show_text_prints_each_missed_token() -> None:
    code, out, _ = _run(str(DATA / "brat" / "note2.ann"), "--show-text")
    assert code == 0
    assert out.splitlines()[-1] == "  contact     note2.txt  141-145  '4417'"
    assert out.startswith("1 document (brat), 31 tokens, 14 PHI tokens\n")
    assert "  name        note2.txt  32-41  'Delacroix'" in out.splitlines()


def test_a_folder_without_annotations_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("Nothing annotated.", encoding="utf-8")
    code, out, err = _run(str(tmp_path))
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: {tmp_path} holds no annotated reports")


def test_a_broken_brat_line_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Seen by Dr. Bell.", encoding="utf-8")
    (tmp_path / "a.ann").write_text("T1\tDOCTOR twelve 16\tBell\n", encoding="utf-8")
    code, _, err = _run(str(tmp_path))
    assert code == 1
    assert err == "Error: a.ann line 1: not a BRAT text-bound annotation\n"
