"""Review app fixtures (imported by conftest.py): a tiny release built in seconds, its
review drawn once, the app served on a free port for the session, and the system's Chromium
driven by Playwright.

The browser is Debian's ``chromium`` (the README's test command installs it); a machine
without it fails these tests with a message that says so: they are never skipped.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from cxrkit.review import app as web
from cxrkit.review.service import Review

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))
import tiny_export as tiny

#: Debian's Chromium (``CXRKIT_CHROMIUM`` names another build of it).
CHROMIUM = Path(os.environ.get("CXRKIT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
READERS = ("ann", "bob")
CONSENSUS = "cy"
#: Items drawn per kind: the tiny release has 12 images and 6 reports.
SIZES = {"image": 6, "report": 2, "labels": 1}


@pytest.fixture(scope="session")
def built_release(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A release of 3 patients × 2 studies × 2 blank 32×32 images (scrubbed in ms)."""
    from cxrkit.pipeline.build import BuildOptions, build

    base = tmp_path_factory.mktemp("review-release")
    tiny.export(base / "src", patients=3, studies=2, images=2)
    build(base / "src", base / "out", base / "private", options=BuildOptions(workers=1))
    return base / "out", base / "private"


def fresh_review(release: tuple[Path, Path], private: Path) -> Review:
    """A new review of ``release`` with its state in ``private``: readers ann and bob,
    consensus cy, :data:`SIZES` drawn."""
    out, workspace = release
    shutil.copytree(workspace, private)
    (private / "review.sqlite").unlink(missing_ok=True)
    review = web.open_review(out, private)
    for name in READERS:
        review.store.add_reader(name)
    review.store.add_reader(CONSENSUS, "consensus")
    for kind, size in SIZES.items():
        review.draw(kind, size, list(READERS), {"test": "yes"})
    return review


@dataclass
class Served:
    url: str
    review: Review


def serve(review: Review, *, tokens: bool = False) -> Iterator[Served]:
    """Serve ``review`` on a free port of 127.0.0.1 in a thread until the generator ends."""
    sock = web.bind("127.0.0.1", 0)
    server = web.server(web.create_app(review, tokens=tokens))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the review server did not start"
    try:
        yield Served(f"http://127.0.0.1:{sock.getsockname()[1]}", review)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="session")
def served(
    built_release: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    review = fresh_review(built_release, tmp_path_factory.mktemp("review") / "private")
    yield from serve(review)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"the review app's browser tests need Chromium at {CHROMIUM}: "
            "apt-get install -y chromium (the README's test command does)",
            pytrace=False,
        )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
