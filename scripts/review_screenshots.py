"""The screenshots of docs/review.md: the review screen (an image, a report) and the statistics.

Run on demand with a built release of the synthetic export (the burned-in boxes need its
images), for example::

    cxrkit synth /tmp/s/src --patients 3 --seed 27
    cxrkit build /tmp/s/src /tmp/s/out --private /tmp/s/private
    python scripts/review_screenshots.py /tmp/s/out /tmp/s/private docs/

The private workspace is copied: the review state written here never reaches it. Readers ann
and bob decide every item but one each (by the library, as the browser would), bob doubts one
image; headless Chromium (``/usr/bin/chromium``) takes the pictures, the statistics after cy
settled the consensus queue.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from cxrkit.review import app as web
from cxrkit.review.service import Review
from cxrkit.review.store import Decision

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def _decide(review: Review) -> tuple[int, int]:
    """ann and bob decide all but one item each: ann leaves an image with scrub boxes, bob a
    report with removed values. One image gets (no-phi, unsure), settled as no-phi."""
    store = review.store
    images = store.items("image")
    boxed = next(
        (i for i in images if review.item_view(store.reader("ann"), i.id).get("boxes")),  # type: ignore[arg-type]
        images[0],
    )
    report = next(
        i for i in store.items("report") if "___" in review.index.path(i.item_id).read_text()
    )
    doubted = next(i for i in images if i != boxed)
    for name, keep in (("ann", boxed), ("bob", report)):
        for item in store.queue(name):
            found = store.item(item)
            assert found is not None
            if found == keep:
                continue
            if found.kind == "labels":
                store.decide(Decision(item, name, "", labels={"No Finding": "1"}))
            else:
                unsure = name == "bob" and found == doubted
                store.decide(Decision(item, name, "unsure" if unsure else "no-phi"))
                if unsure:
                    note = "a mark near the edge: text?"
                    d = Decision(item, name, "unsure", ("other",), (40, 40, 400, 160), None, note)
                    store.decide(d)
    return boxed.id, report.id


def _settle(review: Review) -> None:
    cy = review.store.reader("cy")
    assert cy is not None
    for item in review.consensus_queue():
        review.record_verdict(cy, item, "no-phi", "a marker of the device, no text")


def _shrink(path: Path) -> None:
    """A screenshot in 256 colours (a grey radiograph and a few UI colours: no visible loss)."""
    with Image.open(path) as im:
        small = im.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("private", type=Path)
    parser.add_argument("docs", type=Path)
    args = parser.parse_args()
    private = Path(tempfile.mkdtemp()) / "private"
    shutil.copytree(args.private, private)
    (private / "review.sqlite").unlink(missing_ok=True)
    review = web.open_review(args.out, private)
    for name in ("ann", "bob"):
        review.store.add_reader(name)
    review.store.add_reader("cy", "consensus")
    review.draw("image", 8, ["ann", "bob"], {"purpose": "screenshots"})
    review.draw("report", 4, ["ann", "bob"], {"purpose": "screenshots"})
    review.draw("labels", 2, ["ann", "bob"], {"purpose": "screenshots"})
    _decide(review)
    sock = web.bind("127.0.0.1", 0)
    server = web.server(web.create_app(review, tokens=False))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    shown = "document.body.dataset.item !== undefined"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 900})
        page.goto(f"{url}/as/ann")
        page.wait_for_function(shown)
        page.wait_for_function("document.querySelector('#pix').dataset.full === '1'")
        page.check("input[value=name]")
        page.screenshot(path=args.docs / "review-screen.png")
        page.goto(f"{url}/as/bob")
        page.wait_for_function(shown)
        page.screenshot(path=args.docs / "review-report.png")
        page.goto(f"{url}/as/cy")  # consensus and statistics: the consensus role
        page.wait_for_function("document.querySelector('#citem').textContent.startsWith('item ')")
        page.wait_for_function("document.querySelector('#pix').dataset.full === '1'")
        page.screenshot(path=args.docs / "review-consensus.png")
        _settle(review)
        page.goto(f"{url}/stats")
        page.screenshot(path=args.docs / "review-summary.png", full_page=True)
        browser.close()
    server.should_exit = True
    for name in ("screen", "report", "consensus", "summary"):
        _shrink(args.docs / f"review-{name}.png")
    print(f"screenshots written to {args.docs}", file=sys.stderr)


if __name__ == "__main__":
    main()
