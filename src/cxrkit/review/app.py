"""The review web app (Starlette + Jinja2, served by uvicorn): pages, JSON API, PNG pixels.

Who is asking: on 127.0.0.1 a reader picks their name (a cookie, or the ``X-Reader`` header;
no password); bound to another address, every request carries the reader's token (the
``token`` cookie set by ``/?token=…``, or ``Authorization: Bearer …``). Every rule of who may
see what is enforced here and in :class:`cxrkit.review.service.Review`, never only in the page:
a reader asking for another reader's decision gets 403.

Every script and style is served from the package (``static/``); nothing comes from the
network.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from cxrkit.errors import ConfigError, CxrkitError, WorkspaceError
from cxrkit.identity.keys import KEY_FILE, load_or_create_key
from cxrkit.labels.schema import LABELS
from cxrkit.review.export import ReviewSummary, from_utf16, headline
from cxrkit.review.service import PHI_KINDS, RefusedError, Review, decision_json
from cxrkit.review.store import Decision, Reader, open_store
from cxrkit.review.view import preset_window, window_png

HERE = Path(__file__).parent
#: The key that ticks each PHI kind on the review screen (a letter of its name, none of the
#: viewer's keys B, F, O, Z).
KIND_KEYS = {
    "name": "n",
    "date": "d",
    "id": "i",
    "location": "l",
    "institution": "t",
    "contact": "c",
    "age": "a",
    "other": "h",
}
templates = Jinja2Templates(directory=HERE / "templates")
Handler = Callable[[Request], Awaitable[Response]]


def _review(request: Request) -> Review:
    review: Review = request.app.state.review
    return review


def who(request: Request) -> Reader:
    """The reader making the request (401 when none is named or the token is unknown)."""
    store = _review(request).store
    if request.app.state.tokens:
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip() or request.cookies.get("token", "")
        reader = store.reader_by_token(token) if token else None
    else:
        name = request.headers.get("x-reader") or request.cookies.get("reader", "")
        reader = store.reader(name) if name else None
    if reader is None:
        raise HTTPException(401, "name a reader first (the start page)")
    return reader


def _item(request: Request) -> int:
    try:
        return int(request.path_params["item"])
    except ValueError as exc:
        raise HTTPException(404, "no such item") from exc


def index(request: Request) -> Response:
    store = _review(request).store
    token = request.query_params.get("token")
    if token and request.app.state.tokens:
        reader = store.reader_by_token(token)
        if reader is None:
            raise HTTPException(401, "unknown token")
        page = "/consensus" if reader.role == "consensus" else "/review"
        response = RedirectResponse(page, status_code=303)
        response.set_cookie("token", token, httponly=True, samesite="strict")
        return response
    context = {"readers": [] if request.app.state.tokens else store.readers()}
    return templates.TemplateResponse(request, "index.html", context)


def pick(request: Request) -> Response:
    """Local mode only: act as the named reader (a cookie)."""
    if request.app.state.tokens:
        raise HTTPException(403, "open the link with your token")
    reader = _review(request).store.reader(request.path_params["name"])
    if reader is None:
        raise HTTPException(404, "no such reader")
    page = "/consensus" if reader.role == "consensus" else "/review"
    response = RedirectResponse(page, status_code=303)
    response.set_cookie("reader", reader.name, samesite="strict")
    return response


def page(name: str) -> Callable[[Request], Response]:
    def render(request: Request) -> Response:
        reader = who(request)
        context = {"me": reader, "phi_kinds": PHI_KINDS, "kind_keys": KIND_KEYS, "labels": LABELS}
        return templates.TemplateResponse(request, name, context)

    return render


def api_me(request: Request) -> Response:
    reader = who(request)
    return JSONResponse({"name": reader.name, "role": reader.role})


def api_queue(request: Request) -> Response:
    return JSONResponse(_review(request).queue(who(request)))


def api_item(request: Request) -> Response:
    return JSONResponse(_review(request).item_view(who(request), _item(request)))


def api_image(request: Request) -> Response:
    review, item = _review(request), _item(request)
    found = review.check_item(who(request), item)
    if found.kind != "image":
        raise HTTPException(404, "not an image")
    _, pixels = review.pixels.get(review.index.path(found.item_id))
    q = request.query_params
    if "lo" in q and "hi" in q:
        low, high = float(q["lo"]), float(q["hi"])
    else:
        low, high = preset_window(pixels, q.get("preset", "full"))
    headers = {"Cache-Control": "private, max-age=3600"}
    png = window_png(pixels, low, high, fit=q.get("size") == "fit")
    return Response(png, media_type="image/png", headers=headers)


def api_decision_of(request: Request) -> Response:
    review = _review(request)
    found = review.decision_for(who(request), _item(request), request.path_params["reader"])
    return JSONResponse(decision_json(found))


async def api_decide(request: Request) -> Response:
    body: dict[str, Any] = await request.json()
    await run_in_threadpool(_decide, request, body)  # file and database: off the event loop
    return JSONResponse({"ok": True})


def _decide(request: Request, body: dict[str, Any]) -> None:
    reader, item = who(request), _item(request)
    review = _review(request)
    found = review.check_item(reader, item)
    labels, span = body.get("labels"), body.get("span")
    if span and found.kind == "report":  # the browser counts UTF-16 code units
        text = review.index.path(found.item_id).read_text(encoding="utf-8")
        span = list(from_utf16(text, int(span[0]), int(span[1])))
    decision = Decision(
        item=item,
        reader=reader.name,
        decision=str(body.get("decision", "")),
        phi_kinds=tuple(str(k) for k in body.get("phi_kinds", []) if k in PHI_KINDS),
        box=tuple(float(v) for v in body["box"]) if body.get("box") else None,
        span=(int(span[0]), int(span[1])) if span else None,
        comment=str(body.get("comment", "")),
        labels={str(k): str(v) for k, v in labels.items() if k in LABELS} if labels else None,
    )
    review.store.decide(decision)


def api_undo(request: Request) -> Response:
    item = _review(request).store.undo(who(request).name)
    return JSONResponse({"item": item})


def api_consensus(request: Request) -> Response:
    consensus_reader(request)
    review = _review(request)
    pairs, verdicts = review.pairs(), review.store.verdicts()
    out = []
    for item in review.consensus_queue():
        a, b = pairs[item]
        v = verdicts.get(item)
        verdict = None if v is None else {"verdict": v.verdict, "reason": v.reason}
        found = review.store.item(item)
        assert found is not None
        out.append(
            {
                "item": item,
                "kind": found.kind,
                "decisions": [decision_json(a), decision_json(b)],
                "verdict": verdict,
            }
        )
    return JSONResponse(out)


async def api_verdict(request: Request) -> Response:
    body: dict[str, Any] = await request.json()
    verdict = body.get("verdict", "")
    if isinstance(verdict, dict):
        verdict = json.dumps(verdict, sort_keys=True)
    reason = str(body.get("reason", ""))
    reader, item, review = who(request), _item(request), _review(request)
    await run_in_threadpool(review.record_verdict, reader, item, str(verdict), reason)
    return JSONResponse({"ok": True})


def _summaries(review: Review) -> list[ReviewSummary]:
    return [review.summary(k) for k in ("image", "report", "labels") if review.store.sample(k)]


def consensus_reader(request: Request) -> Reader:
    """The requesting reader, who must have the consensus role: the statistics are not for
    the readers, whose agreement figures would tell them, decision by decision, whether the
    other reader agreed."""
    reader = who(request)
    if reader.role != "consensus":
        raise RefusedError(f"{reader.name} is not a consensus reader")
    return reader


def stats_page(request: Request) -> Response:
    me = consensus_reader(request)
    review = _review(request)
    context = {"summaries": _summaries(review), "headline": headline, "me": me}
    return templates.TemplateResponse(request, "stats.html", context)


def api_stats(request: Request) -> Response:
    consensus_reader(request)
    out = {s.kind: dataclasses.asdict(s) for s in _summaries(_review(request))}
    return Response(json.dumps(out, allow_nan=True), media_type="application/json")


async def _refused(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": str(exc)}, status_code=403)


async def _bad(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, CxrkitError):  # a malformed request: its values are not echoed
        return JSONResponse({"error": "malformed request"}, status_code=400)
    status = 400 if isinstance(exc, ConfigError) else 500
    return JSONResponse({"error": str(exc)}, status_code=status)


def create_app(review: Review, *, tokens: bool) -> Starlette:
    """The app over ``review``; ``tokens`` when bound to an address other than loopback."""
    routes = [
        Route("/", index),
        Route("/as/{name}", pick),
        Route("/review", page("review.html")),
        Route("/consensus", page("consensus.html")),
        Route("/stats", stats_page),
        Route("/api/me", api_me),
        Route("/api/queue", api_queue),
        Route("/api/stats", api_stats),
        Route("/api/undo", api_undo, methods=["POST"]),
        Route("/api/consensus", api_consensus),
        Route("/api/items/{item}", api_item),
        Route("/api/items/{item}/image.png", api_image),
        Route("/api/items/{item}/decision", api_decide, methods=["POST"]),
        Route("/api/items/{item}/decisions/{reader}", api_decision_of),
        Route("/api/items/{item}/verdict", api_verdict, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    handlers: dict[Any, Any] = {RefusedError: _refused, CxrkitError: _bad}
    handlers |= dict.fromkeys((ValueError, TypeError, KeyError, IndexError), _bad)
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.review = review
    app.state.tokens = tokens
    return app


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def open_review(out: Path, private: Path, url: str | None = None) -> Review:
    """The review of the release ``out`` with its state in the private workspace (which
    must hold the key of the build: the sample and the readers' orders are keyed by it)."""
    if not (private / KEY_FILE).is_file():
        raise WorkspaceError(
            f"{private} holds no workspace key ({KEY_FILE}): give --private the workspace the "
            "release was built with"
        )
    return Review(out, open_store(private, url), load_or_create_key(private))


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one), for :func:`serve`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror}; try another --port"
        ) from exc
    sock.listen(128)
    return sock


def warm_up(review: Review) -> threading.Thread:
    """Compile the templates and decode every reader's next image, in a thread: the first
    image a reader asks for after a start is then ready (issue 18: shown in < 1 s)."""

    def run() -> None:
        for name in ("index.html", "review.html", "consensus.html", "stats.html"):
            templates.get_template(name)
        for reader in review.store.readers():
            todo = [i for i, kind, done in review.store.queue_status(reader.name) if not done]
            found = review.store.item(todo[0]) if todo else None
            if found is not None and found.kind == "image":
                review.pixels.get(review.index.path(found.item_id))

    thread = threading.Thread(target=run, name="review-warm-up", daemon=True)
    thread.start()
    return thread


def server(app: Starlette) -> uvicorn.Server:
    """A uvicorn server for ``app``: ``.run(sockets=[bind(...)])`` serves until stopped
    (``should_exit = True``). No access log: URLs may carry a reader's token."""
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config)
