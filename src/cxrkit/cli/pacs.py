"""``cxrkit pull`` and ``cxrkit receive``: the source's DICOM from the PACS.

The console shows counts only: accessions and UIDs are in ``SRC/pull-log.csv``, in the private
source folder.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from cxrkit.cli.build import pull_line
from cxrkit.cli.progress import progress_bar
from cxrkit.errors import ConfigError, PacsError
from cxrkit.pacs.base import Options, Pacs
from cxrkit.pacs.log import FAILED, LOG_NAME, PullRecord, counts, read_log, write_log
from cxrkit.pacs.pull import accessions
from cxrkit.pacs.pull import pull as run_pull
from cxrkit.pacs.received import arrived, receive_records, scan_arrivals

_EXTRA = "cxrkit pull and receive need the pacs extra: pip install 'cxrkit[pacs]'"


def _dimse_address(value: str) -> tuple[str, str, int]:
    """``AE@HOST:PORT`` → (AE, host, port); :class:`ConfigError` if it is not that."""
    ae, at, rest = value.partition("@")
    host, colon, port = rest.rpartition(":")
    if not (at and colon and ae and host and port.isdigit()):
        raise ConfigError(
            f"--dimse {value!r}: give the PACS as AE@HOST:PORT, e.g. PACS@10.0.0.5:104"
        )
    return ae, host, int(port)


def _print_pull(src: Path, rows: list[PullRecord]) -> None:
    click.echo(pull_line(counts(rows)))
    click.echo(f"instances fetched by this run: {sum(r.fetched for r in rows)}")
    failed = Counter(r.reason for r in rows if r.status == FAILED)
    for reason, n in sorted(failed.items()):
        click.echo(f"  failed: {n} × {reason}")
    click.echo(f"log: {src / LOG_NAME}")


def _client(dicomweb: str | None, dimse: str | None, options: Options) -> Pacs:
    if bool(dicomweb) == bool(dimse):
        raise ConfigError("give the PACS as either --dicomweb URL or --dimse AE@HOST:PORT")
    try:
        if dicomweb:
            from cxrkit.pacs.dicomweb import DicomWeb  # noqa: PLC0415 - optional dependency

            return DicomWeb(dicomweb, options)
        from cxrkit.pacs.dimse import Dimse  # noqa: PLC0415 - optional dependency
    except ModuleNotFoundError as exc:
        raise ConfigError(f"{_EXTRA} ({exc.name} is missing)") from None
    return Dimse(*_dimse_address(str(dimse)), options)


@click.command("pull")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--dicomweb", metavar="URL", help="DICOMweb root of the PACS (QIDO-RS, WADO-RS).")
@click.option("--dimse", metavar="AE@HOST:PORT", help="DIMSE address of the PACS (C-FIND, C-GET).")
@click.option("--calling-ae", default="CXRKIT", show_default=True, help="DIMSE: our AE title.")
@click.option(
    "--move-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="DIMSE: retrieve by C-MOVE to a storage SCP that pull runs on this port (the PACS "
    "must know --calling-ae at this host and port) instead of C-GET.",
)
@click.option(
    "--parallel",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Transfers at once.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0),
    default=0.0,
    help="At most this many requests per second to the PACS [default: no limit].",
)
@click.option(
    "--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True, help="Seconds."
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Further tries after a transient fault (HTTP 5xx, timeout, dropped connection).",
)
@click.option(
    "--backoff",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Seconds before the first retry, doubled before each next one.",
)
@click.option(
    "--ca-bundle",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="DICOMweb: CA certificates (PEM) to verify the server's TLS certificate against.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def pull(
    src: Path,
    dicomweb: str | None,
    dimse: str | None,
    calling_ae: str,
    move_port: int | None,
    parallel: int,
    rate: float,
    timeout: float,
    retries: int,
    backoff: float,
    ca_bundle: Path | None,
    quiet: bool,
) -> None:
    """Fetch the chest (CR/DX) studies of every accession in SRC/reports/ from the PACS into
    SRC/dicom/<study uid>/<sop uid>.dcm.

    Instances already in SRC/dicom/ are not fetched again, so a rerun resumes. What came and
    what did not is in SRC/pull-log.csv. Credentials come from the environment:
    CXRKIT_PACS_TOKEN (bearer) or CXRKIT_PACS_USER and CXRKIT_PACS_PASSWORD (basic).

    \b
    Examples:
      cxrkit pull ./export --dicomweb https://pacs.example.org/dicom-web
      cxrkit pull ./export --dimse PACS@10.0.0.5:104 --calling-ae CXRKIT
      cxrkit pull ./export --dimse PACS@10.0.0.5:104 --calling-ae CXRKIT --move-port 11112
    """
    options = Options(parallel, rate, timeout, retries, backoff, ca_bundle, calling_ae, move_port)
    client = _client(dicomweb, dimse, options)
    try:
        with progress_bar("accessions queried", enabled=not quiet) as update:
            rows = run_pull(src, client, parallel=parallel, progress=update)
    finally:
        client.close()
    _print_pull(src, rows)
    failed = sum(1 for r in rows if r.status == FAILED)
    if failed:
        raise PacsError(f"{failed} studies or accessions failed (see {LOG_NAME}); rerun to resume")


def _wanted(src: Path) -> list[str]:
    """The accessions of ``SRC/reports/``, if there are reports."""
    return accessions(src) if (src / "reports").is_dir() else []


def _log_received(src: Path, wanted: list[str], written: set[str]) -> None:
    """Write ``SRC/pull-log.csv`` for what has come of the wanted accessions (``written``: the
    SOP Instance UIDs this session wrote); print its counts."""
    rows = receive_records(wanted, scan_arrivals(src / "dicom"), read_log(src), written)
    write_log(src, rows)
    done, total = arrived(rows)
    click.echo(pull_line(counts(rows)))
    click.echo(f"wanted accessions (SRC/reports): {total}, complete {done}, not {total - done}")
    click.echo(f"log: {src / LOG_NAME}")


@click.command("receive")
@click.argument("src", type=click.Path(file_okay=False, path_type=Path))
@click.option("--port", type=click.IntRange(1, 65535), default=11112, show_default=True)
@click.option("--ae", default="CXRKIT", show_default=True, help="Our AE title.")
@click.option(
    "--until-complete",
    is_flag=True,
    help="Stop by itself once a CR or DX image of every accession in SRC/reports/ has come.",
)
def receive(src: Path, port: int, ae: str, until_complete: bool) -> None:
    """Run a storage SCP (C-STORE) that writes what the PACS pushes into
    SRC/dicom/<study uid>/<sop uid>.dcm (atomic writes, duplicates ignored), until Ctrl-C or
    SIGTERM.

    When SRC/reports/ names accessions, it then writes SRC/pull-log.csv: which of them came
    and which did not, the counts that cxrkit build reports.

    \b
    Examples:
      cxrkit receive ./export --port 11112 --ae CXRKIT
      cxrkit receive ./export --port 11112 --ae CXRKIT --until-complete
    """
    try:
        from cxrkit.pacs.dimse import serve_until_stopped  # noqa: PLC0415 - optional dependency
    except ModuleNotFoundError as exc:
        raise ConfigError(f"{_EXTRA} ({exc.name} is missing)") from None
    wanted = _wanted(src)
    if until_complete and not wanted:
        raise ConfigError("--until-complete needs the accessions of SRC/reports/; there are none")
    until = frozenset(wanted) if until_complete else frozenset()
    arrivals = scan_arrivals(src / "dicom") if until else []
    have = frozenset(a.accession for a in arrivals if a.chest) & until
    click.echo(f"receiving as {ae} on port {port}; Ctrl-C stops", err=True)
    stored = serve_until_stopped(src / "dicom", ae, port, until=until, have=have)
    click.echo(f"instances stored {stored.written}, duplicates ignored {stored.duplicates}")
    if wanted:
        _log_received(src, wanted, stored.new)
