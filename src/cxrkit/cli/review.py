"""``cxrkit review``: the de-identification review web app (issue 18)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from cxrkit.errors import ConfigError
from cxrkit.review.export import headline
from cxrkit.review.service import export_review
from cxrkit.review.stats import zero_finding_sample_size

if TYPE_CHECKING:
    from types import ModuleType

    from cxrkit.review.service import Review

_KINDS = (("image", "--images"), ("report", "--reports"), ("labels", "--labels"))


@click.command("review")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--private",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The release's private workspace (the review state lives there).",
)
@click.option(
    "--keystore",
    "url",
    default=None,
    help="The keystore's PostgreSQL URL, for the review's tables [default: PRIVATE/review.sqlite].",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, help="Port [default: a free one]."
)
@click.option("--reader", "readers", multiple=True, help="A reader's name (repeat; two or more).")
@click.option("--consensus", multiple=True, help="A consensus reader's name (repeat).")
@click.option("--images", type=click.IntRange(min=1), help="Images to sample.")
@click.option("--reports", type=click.IntRange(min=1), help="Reports to sample.")
@click.option("--labels", type=click.IntRange(min=1), help="Reports to sample for manual labels.")
@click.option(
    "--rate",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="Size images and reports for 'PHI rate below RATE' with 0 found.",
)
@click.option(
    "--confidence",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.95,
    show_default=True,
    help="Confidence of --rate.",
)
@click.option(
    "--export",
    "export_to",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write decisions, audit log, BRAT spans, summary and test-set labels here, and exit.",
)
@click.option("--no-serve", is_flag=True, help="Register readers and draw samples, then exit.")
def review(
    out: Path,
    private: Path,
    url: str | None,
    host: str,
    port: int,
    readers: tuple[str, ...],
    consensus: tuple[str, ...],
    images: int | None,
    reports: int | None,
    labels: int | None,
    rate: float | None,
    confidence: float,
    export_to: Path | None,
    no_serve: bool,
) -> None:
    """Blinded double review of a release sample, consensus, and the numbers to sign.

    Draws a keyed, stratified sample of OUT's images and reports (frozen and hashed, once),
    assigns every item to two readers, each in their own order, and serves the review web app
    (on 127.0.0.1 no password; elsewhere a token per reader). The state lives in PRIVATE.

    \b
    Examples:
      cxrkit review ./release --private ./private --reader ann --reader bob \\
          --consensus cy --rate 0.001 --confidence 0.95 --labels 100
      cxrkit review ./release --private ./private            # resume the review
      cxrkit review ./release --private ./private --export ./review-export
    """
    try:
        from cxrkit.review import app as web  # noqa: PLC0415 - optional dependency
    except ImportError as exc:
        raise ConfigError(
            f"cxrkit review needs the review extra ({exc.name} is missing): "
            "pip install 'cxrkit[review]'"
        ) from exc
    session = web.open_review(out, private, url)
    for name in readers:
        session.store.add_reader(name, "reader")
    for name in consensus:
        session.store.add_reader(name, "consensus")
    _draw(session, {"image": images, "report": reports, "labels": labels}, rate, confidence)
    if export_to is not None:
        _export(session, export_to)
        return
    if no_serve:
        return
    _serve(session, web, host, port)


def _draw(session: Review, sizes: dict[str, int | None], rate: float | None, c: float) -> None:
    names = [r.name for r in session.store.readers() if r.role == "reader"]
    for kind, option in _KINDS:
        size = sizes[kind]
        if size is None and rate is not None and kind != "labels":
            size = zero_finding_sample_size(rate, c)
        if size is None:
            continue
        frozen = session.store.sample(kind)
        if frozen is not None:
            click.echo(f"{kind} sample already frozen (sha256 {frozen[1][:12]}…); {option} ignored")
            continue
        params = {"rate": rate, "confidence": c} if rate is not None else {}
        drawn = session.draw(kind, size, names, {**params, "requested": size})
        sha = session.store.sample(kind)
        click.echo(f"{kind} sample: {drawn} items drawn, frozen (sha256 {sha[1] if sha else ''})")


def _serve(session: Review, w: ModuleType, host: str, port: int) -> None:
    tokens = host not in w.LOOPBACK
    sock = w.bind(host, port)
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    app = w.create_app(session, tokens=tokens)
    click.echo(f"cxrkit review on http://{shown}:{port}/  (Ctrl+C stops)")
    if tokens:
        for reader in session.store.readers():
            click.echo(
                f"  {reader.name} ({reader.role}): http://{shown}:{port}/?token={reader.token}"
            )
    w.warm_up(session)
    w.server(app).run(sockets=[sock])


def _export(session: Review, folder: Path) -> None:
    written = export_review(session, folder)
    click.echo(f"review exported to {folder}: {len(written)} files")
    for kind in ("image", "report", "labels"):
        if session.store.sample(kind) is not None:
            click.echo(f"  {headline(session.summary(kind))}")
