"""Executors behind one ``concurrent.futures`` interface.

The driver submits batches of work to whatever :func:`make_executor` returns: an in-process
executor for ``workers=1`` (simple to debug and profile), a local process pool otherwise.
Workers are pure functions of their arguments, so any executor gives the same result.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable
from typing import Any


class InlineExecutor(cf.Executor):
    """Runs each submitted call at once, in the calling thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        future: cf.Future[Any] = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        return future


def make_executor(workers: int) -> cf.Executor:
    """An executor for ``workers`` local processes (in-process when ``workers`` is 1)."""
    if workers <= 1:
        return InlineExecutor()
    return cf.ProcessPoolExecutor(max_workers=workers)
