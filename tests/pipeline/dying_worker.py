"""A worker process that dies on one source image, for the worker-death tests.

A local process pool forks its workers from the test process, so patching the test process's
image step with :func:`dying` is enough there. Dask's workers
are started fresh (spawned: forking a process that runs threads can leave the child stuck on a
lock another thread held), so :class:`KillOn` is registered as a worker plugin and patches
every worker the cluster starts, the ones that replace a dead worker included.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from cxrkit.pipeline import image_work


def dying(name: str, marker: Path | None) -> Callable[[Any, Any], Any]:
    """The image step, except that the process handling source ``name`` dies (every time, or
    only the first time if ``marker``, a file that the first death leaves behind)."""
    real = image_work.process_image

    def process_image(item: Any, options: Any) -> Any:
        if item.rel.endswith(name) and (marker is None or not marker.exists()):
            if marker is not None:
                marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(item, options)

    return process_image


class KillOn(WorkerPlugin):
    """:func:`dying` as the image step of every Dask worker of a cluster."""

    def __init__(self, name: str, marker: Path | None) -> None:
        self.name = name
        self.marker = marker

    def setup(self, worker: Any) -> None:
        image_work.process_image = dying(self.name, self.marker)
