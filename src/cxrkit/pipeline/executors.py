"""Executors behind one ``concurrent.futures`` interface.

The driver submits batches of work to whatever :func:`make_executor` returns: an in-process
executor for ``workers=1`` (simple to debug and profile), a local process pool otherwise.
Workers are pure functions of their arguments, so any executor gives the same result.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import signal
import sys
from collections.abc import Callable
from typing import Any

from cxrkit.errors import ConfigError

PR_SET_PDEATHSIG = 1  # linux/prctl.h


class InlineExecutor(cf.Executor):
    """Runs each submitted call at once, in the calling thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        future: cf.Future[Any] = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        return future


def make_executor(workers: int, scheduler: str | None = None) -> cf.Executor:
    """An executor: a Dask cluster at ``scheduler``, else ``workers`` local processes
    (in-process when ``workers`` is 1).

    Dask (PyPI ``distributed``, extra ``dask``) is imported only when a scheduler is given;
    its ``Client.get_executor()`` has the ``concurrent.futures`` interface.
    """
    if scheduler:
        return _dask_executor(scheduler)
    if workers <= 1:
        return InlineExecutor()
    return cf.ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent)


def worker_death_errors(scheduler: str | None = None) -> tuple[type[BaseException], ...]:
    """What a future raises when the worker process running it died: a broken local pool
    (``BrokenProcessPool``), or Dask's ``KilledWorker`` (after the scheduler's own retries)."""
    if not scheduler:
        return (cf.BrokenExecutor,)
    try:
        from distributed import KilledWorker  # noqa: PLC0415 - optional dependency
    except ImportError:  # pragma: no cover - make_executor has refused the scheduler
        return (cf.BrokenExecutor,)
    return (cf.BrokenExecutor, KilledWorker)


def isolated_executor(scheduler: str | None = None) -> cf.Executor:
    """An executor whose one worker is not the calling process (so it may die alone)."""
    if scheduler:
        return _dask_executor(scheduler)
    return cf.ProcessPoolExecutor(max_workers=1, initializer=die_with_parent)


def die_with_parent() -> None:
    """Ask Linux to kill this worker when its parent dies (a killed build leaves no orphans).

    Elsewhere a no-op: workers then exit when they find their parent's queues gone.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # pragma: no cover - no prctl: nothing to set
        return


class _DaskExecutor(cf.Executor):
    """A Dask client's executor that closes the client when it is shut down."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._executor = client.get_executor(pure=False)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        future: cf.Future[Any] = self._executor.submit(fn, *args, **kwargs)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait)
        self._client.close()


def _dask_executor(scheduler: str) -> cf.Executor:
    try:
        from distributed import Client  # noqa: PLC0415 - optional dependency
    except ImportError as exc:
        raise ConfigError("--scheduler needs Dask: pip install 'cxrkit[dask]'") from exc
    try:
        client = Client(scheduler, timeout="20s")  # type: ignore[no-untyped-call]
    except OSError as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    return _DaskExecutor(client)
