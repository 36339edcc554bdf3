"""The review app's rules without a browser (Starlette's test client): who may see what,
tokens off loopback, the store's migration and audit, the export of a finished review."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from app_fixtures import CONSENSUS, fresh_review
from click.testing import CliRunner
from starlette.testclient import TestClient

from cxrkit.cli import main
from cxrkit.labels.evaluate import read_label_csv
from cxrkit.review import app as web
from cxrkit.review.service import Review, export_review
from cxrkit.review.store import SCHEMA_VERSION, Decision, ReviewStore, engine_for


@pytest.fixture
def review(built_release: tuple[Path, Path], tmp_path: Path) -> Review:
    return fresh_review(built_release, tmp_path / "private")


def _client(review: Review, reader: str, *, tokens: bool = False) -> TestClient:
    client = TestClient(web.create_app(review, tokens=tokens))
    if tokens:
        found = review.store.reader(reader)
        assert found is not None
        client.headers["Authorization"] = f"Bearer {found.token}"
    else:
        client.headers["X-Reader"] = reader
    return client


def test_a_reader_sees_only_their_own_decisions(review: Review) -> None:
    item = review.store.queue("ann")[0]
    for name, decision in (("ann", "phi"), ("bob", "no-phi")):
        reply = _client(review, name).post(
            f"/api/items/{item}/decision", json={"decision": decision}
        )
        assert reply.status_code == 200
    ann = _client(review, "ann")
    assert ann.get(f"/api/items/{item}/decisions/bob").status_code == 403
    assert ann.get(f"/api/items/{item}/decisions/ann").json()["decision"] == "phi"
    # the item's own view carries ann's decision only
    view = ann.get(f"/api/items/{item}").json()
    assert view["own"]["decision"] == "phi"
    assert "bob" not in json.dumps(view)
    # the consensus role sees both, once the item is in the consensus queue
    cy = _client(review, CONSENSUS)
    assert cy.get(f"/api/items/{item}/decisions/bob").json()["decision"] == "no-phi"
    queue = cy.get("/api/consensus").json()
    assert [q["item"] for q in queue] == [item]
    # a reader may not record a verdict, nor see the consensus queue
    assert ann.get("/api/consensus").status_code == 403
    reply = ann.post(f"/api/items/{item}/verdict", json={"verdict": "phi", "reason": "x"})
    assert reply.status_code == 403
    reply = cy.post(f"/api/items/{item}/verdict", json={"verdict": "phi", "reason": ""})
    assert reply.status_code == 400  # a verdict needs a reason


def test_a_three_reader_review_hides_items_not_assigned(
    built_release: tuple[Path, Path], tmp_path: Path
) -> None:
    out, workspace = built_release
    shutil.copytree(workspace, tmp_path / "p")
    review = web.open_review(out, tmp_path / "p")
    for name in ("ann", "bob", "dee"):
        review.store.add_reader(name)
    review.draw("image", 6, ["ann", "bob", "dee"], {})
    queues = {n: set(review.store.queue(n)) for n in ("ann", "bob", "dee")}
    assert all(len(q) == 4 for q in queues.values())  # every item to two of the three
    other = next(iter(queues["dee"] - queues["ann"]))
    ann = _client(review, "ann")
    assert ann.get(f"/api/items/{other}").status_code == 403
    assert ann.get(f"/api/items/{other}/image.png").status_code == 403
    reply = ann.post(f"/api/items/{other}/decision", json={"decision": "phi"})
    assert reply.status_code == 403


def test_off_loopback_every_request_needs_the_readers_token(review: Review) -> None:
    anonymous = TestClient(web.create_app(review, tokens=True))
    assert anonymous.get("/api/queue").status_code == 401
    assert anonymous.get("/api/queue", headers={"X-Reader": "ann"}).status_code == 401
    assert anonymous.get("/as/ann").status_code == 403  # no picking a name
    ann = _client(review, "ann", tokens=True)
    assert ann.get("/api/me").json() == {"name": "ann", "role": "reader"}
    token = review.store.reader("bob").token  # type: ignore[union-attr]
    reply = anonymous.get(f"/?token={token}", follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/review"


def test_pixels_and_headers_are_served(review: Review) -> None:
    ann = _client(review, "ann")
    item = next(i for i in review.store.queue("ann") if review.store.item(i).kind == "image")  # type: ignore[union-attr]
    view = ann.get(f"/api/items/{item}").json()
    assert (view["rows"], view["cols"]) == (32, 32)
    flags = {row["name"]: row["flag"] for row in view["headers"]}
    assert flags["Patient's Name"] == "name"
    assert flags["Study Date"] == "date"
    assert "Pixel Data" not in flags
    malformed = ann.get(f"/api/items/{item}/image.png?lo=a&hi=b")
    assert (malformed.status_code, malformed.json()) == (400, {"error": "malformed request"})
    png = ann.get(f"/api/items/{item}/image.png?preset=bright")
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    for page in ("/", "/review", "/consensus", "/static/review.js"):
        assert ann.get(page).status_code == 200
    # the numbers would tell a reader whether the other agreed: consensus role only
    assert ann.get("/stats").status_code == 403
    assert ann.get("/api/stats").status_code == 403
    cy = _client(review, CONSENSUS)
    assert cy.get("/stats").status_code == 200
    assert set(cy.get("/api/stats").json()) == {"image", "report", "labels"}


def test_an_older_schema_is_migrated(tmp_path: Path) -> None:
    engine = engine_for(tmp_path)
    ReviewStore(engine)
    with engine.begin() as conn:  # back to version 1: no span column
        conn.execute(sa.text("ALTER TABLE review_decisions DROP COLUMN span"))
        conn.execute(sa.text("UPDATE review_schema_version SET version = 1"))
    store = ReviewStore(engine)
    with engine.connect() as conn:
        assert (
            conn.execute(sa.text("SELECT version FROM review_schema_version")).scalar()
            == SCHEMA_VERSION
        )
        assert "span" in {c["name"] for c in sa.inspect(conn).get_columns("review_decisions")}
    store.add_reader("ann")
    assert store.reader("ann") is not None


def test_the_review_state_can_live_in_postgres(new_pg_database: object) -> None:
    url = new_pg_database("review")  # type: ignore[operator]
    store = ReviewStore(engine_for(Path(), url))
    store.add_reader("ann")
    store.add_sample("image", "m", "ab", {}, [("files/a.dcm", "PA")])
    item = store.items("image")[0].id
    store.assign("ann", [item])
    store.decide(Decision(item, "ann", "unsure", phi_kinds=("name",), box=(1, 2, 3, 4)))
    assert store.decision(item, "ann").box == (1, 2, 3, 4)  # type: ignore[union-attr]
    assert store.undo("ann") == item
    assert [e["action"] for e in store.audit_log()] == [
        "add-reader",
        "draw-sample",
        "assign",
        "decide",
        "undo",
    ]


def test_the_export_of_a_finished_review(review: Review, tmp_path: Path) -> None:
    store = review.store
    for item in store.items():
        for name in ("ann", "bob"):
            if item.kind == "labels":
                d = Decision(item.id, name, "", labels={"Edema": "1", "Atelectasis": "-1"})
            else:
                phi = item.kind == "report" and item == store.items("report")[0]
                d = Decision(
                    item.id,
                    name,
                    "phi" if phi else "no-phi",
                    phi_kinds=("name",) if phi else (),
                    span=(0, 8) if phi else None,
                )
            store.decide(d)
    report = store.items("report")[0]
    review.record_verdict(store.reader(CONSENSUS), report.id, "phi", "a name")  # type: ignore[arg-type]

    result = CliRunner().invoke(
        main,
        [
            "review",
            str(review.out),
            "--private",
            str(tmp_path / "private"),
            "--export",
            str(tmp_path / "x"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "0 / 6 images with PHI" in result.output
    assert "1 / 2 reports with PHI" in result.output
    folder = tmp_path / "x"
    with (folder / "decisions.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 * 9 + 1  # two readers' decisions on 9 items, one verdict
    assert (folder / "confirmed-phi.txt").read_text() == f"{report.item_id}\n"
    ann = (folder / "brat" / report.item_id).with_suffix(".ann").read_text()
    assert ann.startswith("T1\tname 0 8\t")
    events = [json.loads(line) for line in (folder / "audit.jsonl").read_text().splitlines()]
    assert events[-1]["what"] == "verdict" and events[-1]["item"] == report.item_id
    assert (folder / "image" / "summary.png").is_file()
    gold = read_label_csv(folder / "mimic-cxr-2.1.0-test-set-labeled.csv")
    assert len(gold) == 1


def test_labels_go_to_consensus_when_any_observation_differs(
    review: Review, tmp_path: Path
) -> None:
    item = review.store.items("labels")[0]
    ann, bob, cy = (_client(review, n) for n in ("ann", "bob", CONSENSUS))
    # the labelers' output is withheld until the reader has decided
    assert "labelers" not in ann.get(f"/api/items/{item.id}").json()
    body = {"labels": {"Edema": "1", "Pneumonia": "-1"}}
    assert ann.post(f"/api/items/{item.id}/decision", json=body).status_code == 200
    assert set(ann.get(f"/api/items/{item.id}").json()["labelers"]) == {"chexpert", "negbio"}
    body = {"labels": {"Edema": "1", "Pneumonia": "0"}}
    assert bob.post(f"/api/items/{item.id}/decision", json=body).status_code == 200
    assert [q["item"] for q in cy.get("/api/consensus").json()] == [item.id]
    bad = {"verdict": {"Edema": "yes"}, "reason": "x"}
    assert cy.post(f"/api/items/{item.id}/verdict", json=bad).status_code == 400
    assert ann.get(f"/api/items/{item.id}/image.png?lo=a&hi=b").status_code == 404  # a report
    verdict = {"Edema": "1", "Pneumonia": "0"}
    body2 = {"verdict": verdict, "reason": "no doubt in the impression"}
    assert cy.post(f"/api/items/{item.id}/verdict", json=body2).status_code == 200
    export_review(review, tmp_path / "x")
    gold = read_label_csv(tmp_path / "x" / "mimic-cxr-2.1.0-test-set-labeled.csv")
    (row,) = gold.values()
    assert (row["Edema"], row["Pneumonia"], row["Atelectasis"]) == (1.0, 0.0, None)


def test_the_command_draws_the_samples_once(
    built_release: tuple[Path, Path], tmp_path: Path
) -> None:
    out, workspace = built_release
    shutil.copytree(workspace, tmp_path / "p")
    args = ["review", str(out), "--private", str(tmp_path / "p"), "--no-serve"]
    readers = ["--reader", "ann", "--reader", "bob", "--consensus", "cy"]
    first = CliRunner().invoke(main, [*args, *readers, "--rate", "0.5", "--reports", "2"])
    assert first.exit_code == 0, first.output
    assert "image sample: 5 items drawn" in first.output  # 1 - 0.05 ** (1/5) < 0.5
    assert "report sample: 2 items drawn" in first.output
    again = CliRunner().invoke(main, [*args, "--images", "3"])
    assert "image sample already frozen" in again.output
    alone = CliRunner().invoke(main, [*args, "--labels", "2"])
    assert alone.exit_code == 0, alone.output
    shutil.copytree(workspace, tmp_path / "q")
    lone = ["review", str(out), "--private", str(tmp_path / "q"), "--reader", "ann"]
    one = CliRunner().invoke(main, [*lone, "--images", "2"])
    assert one.exit_code == 1
    assert "at least two readers" in one.output
    keyless = CliRunner().invoke(main, ["review", str(out), "--private", str(tmp_path / "r")])
    assert keyless.exit_code == 6  # WorkspaceError
    assert "holds no workspace key" in keyless.output
    assert not (tmp_path / "r").exists()


def test_the_command_serves_with_a_token_per_reader_off_loopback(
    built_release: tuple[Path, Path], tmp_path: Path
) -> None:
    """``cxrkit review`` as a user runs it, bound to another address than 127.0.0.1: it
    prints one link per reader, and the app answers only requests that carry a token."""
    import re
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    out, workspace = built_release
    shutil.copytree(workspace, tmp_path / "p")
    args = ["review", str(out), "--private", str(tmp_path / "p"), "--host", "127.0.0.2"]
    args += ["--reader", "ann", "--reader", "bob", "--consensus", "cy", "--images", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "cxrkit.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while len(lines) < 50 and not any("cy (consensus)" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "".join(lines)  # the command ended before serving
            lines.append(line)
        printed = "".join(lines)
        links = dict(re.findall(r"(\w+) \(\w+\): (http://127\.0\.0\.2:\d+/\?token=\S+)", printed))
        assert set(links) == {"ann", "bob", "cy"}, printed
        base = links["ann"].split("?")[0]
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + "api/queue", timeout=10)
        assert refused.value.code == 401
        token = links["ann"].split("token=")[1]
        ask = urllib.request.Request(base + "api/me", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(ask, timeout=10) as me:
            assert json.load(me)["name"] == "ann"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
