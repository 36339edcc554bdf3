"""Progress bars on stderr (rich), silent when stderr is not a terminal unless forced."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextmanager
def progress_bar(label: str, *, enabled: bool = True) -> Iterator[Callable[..., None]]:
    """Yield ``update(done, total, stage=None)`` drawing a bar on stderr.

    A new ``stage`` name starts a new bar under that name. Labels and stage names must hold
    no PHI (they are the pipeline's own words).
    """
    console = Console(stderr=True)
    if not enabled:
        yield lambda done, total, stage=None: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        tasks = {label: bar.add_task(label, total=None)}
        current = [label]

        def update(done: int, total: int, stage: str | None = None) -> None:
            name = stage or current[0]
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=None)
            current[0] = name
            bar.update(tasks[name], completed=done, total=total)

        yield update
