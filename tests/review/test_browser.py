"""The review app in a real browser (headless Chromium): two readers review with the keyboard,
a reload resumes, the API refuses a reader the other's decision, disagreements reach
consensus, and the statistics page shows the numbers computed here by hand."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_fixtures import CONSENSUS, READERS, Served, fresh_review, serve
from playwright.sync_api import Browser, Page, expect

#: What each reader decides on the 6 sampled images (by their order in the sample): pairs
#: (n, n) ×3, (n, phi), (phi, phi), (unsure, n) — three go to consensus.
KEYS = {"ann": "111123", "bob": "111221"}
#: The consensus verdicts of the images sent to it (by sample order): keys 2, 2, 1.
VERDICTS = {3: "2", 4: "2", 5: "1"}
DECISION = {"1": "no-phi", "2": "phi", "3": "unsure"}
#: The labels item: the readers disagree on Atelectasis (1 / 0), consensus says 1.
LABEL_KEY = {"ann": "1", "bob": "0"}
#: The review screen shows an item, or that all are decided.
SHOWN = "document.body.dataset.item !== undefined || !document.querySelector('#done').hidden"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(5000)
    page.on("console", lambda m: print("console:", m.text))
    page.on("pageerror", lambda e: print("pageerror:", e))
    yield page
    context.close()


def _open(page: Page, served: Served, name: str) -> None:
    page.goto(f"{served.url}/as/{name}")
    page.wait_for_function(SHOWN)


def _current(page: Page) -> int:
    return int(page.evaluate("document.body.dataset.item"))


def _press(page: Page, key: str) -> None:
    """Press ``key`` and wait until the reader is on another item (or done)."""
    before = _current(page)
    page.keyboard.press(key)
    page.wait_for_function(
        "b => document.body.dataset.item != b || !document.querySelector('#done').hidden",
        arg=before,
    )


def _review_all(page: Page, served: Served, name: str, *, reload_after: int) -> list[int]:
    """``name`` decides every item with the keyboard; the page is reloaded once midway."""
    images = [i.id for i in served.review.store.items("image")]
    seen: list[int] = []
    shown_ms = []
    while page.locator("#done").is_hidden():
        item = _current(page)
        seen.append(item)
        kind = page.evaluate("state.view.kind")
        if kind == "image":
            _press(page, KEYS[name][images.index(item)])
        elif kind == "report":
            _press(page, "1")
        else:  # labels: Atelectasis 1 (ann) or 0 (bob), the rest blank
            page.keyboard.press(LABEL_KEY[name])
            _press(page, "Enter")
        shown_ms.append(int(page.evaluate("document.body.dataset.shownMs")))
        if len(seen) == reload_after:
            page.reload()
            page.wait_for_function(SHOWN)
            queue = served.review.store.queue(name)
            assert _current(page) == queue[reload_after], "a reload resumes where the reader was"
    # every next item was prefetched while the reader read the one before
    assert max(shown_ms) < 300, shown_ms
    return seen


def test_two_readers_then_consensus_then_the_numbers(page: Page, served: Served) -> None:
    store = served.review.store
    # ann: decides one image, undoes it (Z): the same item comes back undecided
    _open(page, served, "ann")
    first = _current(page)
    _viewer(page)
    _press(page, "1")
    page.keyboard.press("z")
    page.wait_for_function(f"document.body.dataset.item == {first}")
    assert store.decision(first, "ann") is None

    seen = {name: [] for name in READERS}
    for name in READERS:
        _open(page, served, name)
        seen[name] = _review_all(page, served, name, reload_after=3)
        assert seen[name] == store.queue(name), "each reader's own keyed order"
    assert seen["ann"] != seen["bob"]
    images = [i.id for i in store.items("image")]
    for name in READERS:
        for n, item in enumerate(images):
            found = store.decision(item, name)
            assert found is not None
            assert found.decision == DECISION[KEYS[name][n]]

    # the API refuses a reader the other reader's decision (and gives their own)
    _open(page, served, "ann")
    fetch = "u => fetch(u).then(r => r.status)"
    assert page.evaluate(fetch, f"/api/items/{images[0]}/decisions/bob") == 403
    assert page.evaluate(fetch, f"/api/items/{images[0]}/decisions/ann") == 200

    # the disagreements and doubts reach consensus, seen with both decisions
    page.goto(f"{served.url}/as/{CONSENSUS}")
    expect(page.locator("#cqueue li")).to_have_count(4)
    labels_item = store.items("labels")[0].id
    title = ""
    for done in range(1, 5):
        page.wait_for_function(
            "t => document.querySelector('#citem').textContent.startsWith('item ')"
            " && document.querySelector('#citem').textContent != t",
            arg=title,
        )
        title = page.locator("#citem").inner_text()
        item = next(i for i in [*images, labels_item] if title.startswith(f"item {i}:"))
        if item == labels_item:  # one row per observation, the differing one to settle
            expect(page.locator("#both tr.differ")).to_have_count(1)
            page.select_option("select[data-obs=Atelectasis]", "1")
        else:
            expect(page.locator("#both tr")).to_have_count(3)  # head + both readers
            page.keyboard.press(VERDICTS[images.index(item)])
        page.fill("#reason", "checked the header and the pixels")
        page.keyboard.press("Enter")
        expect(page.locator("#cqueue li.settled")).to_have_count(done)
    verdicts = store.verdicts()
    assert json.loads(verdicts.pop(labels_item).verdict)["Atelectasis"] == "1"
    assert {images.index(i): v.verdict for i, v in verdicts.items()} == {
        3: "phi",
        4: "phi",
        5: "no-phi",
    }

    page.goto(f"{served.url}/stats")
    _check_numbers(page)


def _check_numbers(page: Page) -> None:
    """The statistics page against numbers computed here from KEYS and VERDICTS."""
    pairs = [(DECISION[a], DECISION[b]) for a, b in zip(KEYS["ann"], KEYS["bob"], strict=True)]
    n = len(pairs)
    p_o = sum(a == b for a, b in pairs) / n
    cats = ("no-phi", "phi", "unsure")
    first = {c: sum(a == c for a, _ in pairs) / n for c in cats}
    second = {c: sum(b == c for _, b in pairs) / n for c in cats}
    kappa = (p_o - sum(first[c] * second[c] for c in cats)) / (
        1 - sum(first[c] * second[c] for c in cats)
    )
    pi = {c: (first[c] + second[c]) / 2 for c in cats}
    p_e = sum(p * (1 - p) for p in pi.values()) / (len(cats) - 1)
    ac1 = (p_o - p_e) / (1 - p_e)
    assert (round(p_o, 3), round(kappa, 3), round(ac1, 3)) == (0.667, 0.333, 0.560)

    image = page.locator("section[data-kind=image]")
    expect(image.locator(".agreement .raw")).to_have_text(f"{p_o:.3f}")
    expect(image.locator(".agreement .kappa")).to_have_text(f"{kappa:.3f}")
    expect(image.locator(".agreement .ac1")).to_have_text(f"{ac1:.3f}")
    expect(image.locator(".to-consensus")).to_have_text("3")
    total = image.locator("tr[data-stratum=all]")
    expect(total.locator(".n")).to_have_text("6")
    expect(total.locator(".k")).to_have_text("2")
    expect(total.locator(".u95")).to_have_text(f"{100 * _upper(2, 6, 0.95):.2f} %")
    expect(total.locator(".u99")).to_have_text(f"{100 * _upper(2, 6, 0.99):.2f} %")
    # confirmed PHI: images 3 and 4; ann flagged 4 and 5 (phi, unsure), bob 3 and 4
    expect(image.locator("tr[data-reader=ann] .detection")).to_have_text("0.500")
    expect(image.locator("tr[data-reader=bob] .detection")).to_have_text("1.000")
    for name in READERS:
        expect(image.locator(f"tr[data-reader={name}] .done")).to_have_text("6")
    report = page.locator("section[data-kind=report]")
    expect(report.locator(".to-consensus")).to_have_text("0")
    expect(report.locator("tr[data-stratum=all] .k")).to_have_text("0")
    labels = page.locator("section[data-kind=labels]")
    expect(labels.locator(".to-consensus")).to_have_text("1")
    expect(labels.locator(".agreement .n")).to_have_text("14")  # 14 observations, one item
    expect(labels.locator(".agreement .raw")).to_have_text(f"{13 / 14:.3f}")


def _viewer(page: Page) -> None:
    """The image viewer: right-drag sets a window the server renders; wheel zooms; O is 1:1."""
    box = page.locator("#viewport").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down(button="right")
    page.mouse.move(x + 80, y - 40, steps=4)
    page.mouse.up(button="right")
    page.wait_for_function("document.querySelector('#pix').src.includes('lo=')")
    page.wait_for_function("document.querySelector('#pix').dataset.full === '1'")
    before = page.locator("#stage").get_attribute("style")
    page.mouse.wheel(0, -300)
    page.wait_for_function(
        "s => document.querySelector('#stage').getAttribute('style') != s", arg=before
    )
    page.keyboard.press("o")
    expect(page.locator("#stage")).to_have_attribute(
        "style", "transform: translate(0px, 0px) scale(1);"
    )


def _upper(k: int, n: int, confidence: float) -> float:
    """The exact one-sided upper bound: the p at which P(X ≤ k; n, p) = 1 − confidence."""
    lo, hi = k / n, 1.0
    for _ in range(100):
        p = (lo + hi) / 2
        cdf = sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))
        lo, hi = (p, hi) if cdf > 1 - confidence else (lo, p)
    return (lo + hi) / 2


@pytest.fixture
def own_review(built_release: tuple[Path, Path], tmp_path: Path) -> Iterator[Served]:
    """A review of its own (the shared one is the flow's), served for one test."""
    yield from serve(fresh_review(built_release, tmp_path / "private"))


def test_a_box_drawn_and_a_span_selected_go_with_the_decision(
    page: Page, own_review: Served
) -> None:
    store = own_review.review.store
    _open(page, own_review, "ann")
    image = _current(page)
    box = page.locator("#viewport").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.keyboard.down("Shift")
    page.mouse.move(x - 40, y - 40)
    page.mouse.down()
    page.mouse.move(x + 40, y + 20, steps=4)
    page.mouse.up()
    page.keyboard.up("Shift")
    expect(page.locator("#overlay rect.mark")).to_have_count(1)
    page.keyboard.press("n")  # ticks the PHI kind "name"
    expect(page.locator("input[value=name]")).to_be_checked()
    page.fill("#comment", "a name in the corner")
    page.keyboard.press("Escape")  # out of the comment box
    _press(page, "2")
    found = store.decision(image, "ann")
    assert found is not None
    assert (found.decision, found.phi_kinds, found.comment) == (
        "phi",
        ("name",),
        "a name in the corner",
    )
    assert found.box is not None
    x0, y0, x1, y1 = found.box
    assert 0 <= x0 < x1 <= 32 and 0 <= y0 < y1 <= 32  # in image pixels (32 × 32)
    while page.evaluate("state.view.kind") == "image":
        _press(page, "1")
    report = _current(page)
    text = page.locator("#text").inner_text()
    start = text.index("lungs")
    page.evaluate(
        """([a, b]) => {
            const node = document.querySelector('#text').firstChild, range = document.createRange();
            range.setStart(node, a); range.setEnd(node, b);
            getSelection().removeAllRanges(); getSelection().addRange(range);
        }""",
        [start, start + len("lungs")],
    )
    _press(page, "3")
    found = store.decision(report, "ann")
    assert found is not None
    assert (found.decision, found.span) == ("unsure", (start, start + len("lungs")))
    released = own_review.review.index.path(store.item(report).item_id).read_text()  # type: ignore[union-attr]
    assert released[found.span[0] : found.span[1]] == "lungs"
