"""The three folders of a run: the source, the release (OUT) and the private workspace.

``cxrkit build`` and ``cxrkit deid-dicom`` check them the same way before anything is read:
the private workspace (key, keystore, quarantine list) is never inside the release, the
release never inside the workspace or the source. Error messages name a folder by its label
(:func:`folders`), as given on the command line, never by a path that could hold PHI.
"""

from __future__ import annotations

from pathlib import Path

from cxrkit.errors import ConfigError


def check_trees(source: Path, out: Path, private: Path) -> None:
    """Refuse a layout that would put the private workspace in the release, or vice versa."""
    if not source.is_dir():
        raise ConfigError(f"{source} is not a folder of DICOM files")
    out_r, private_r, source_r = out.resolve(), private.resolve(), source.resolve()
    for a, b, what in (
        (private_r, out_r, "the private workspace inside the release"),
        (out_r, private_r, "the release inside the private workspace"),
        (out_r, source_r, "the release inside the source"),
    ):
        if a == b or b in a.parents:
            raise ConfigError(
                f"refusing to put {what}: choose separate folders for --private "
                "and OUT, outside the source"
            )


def folders(source: Path, out: Path, private: Path) -> dict[str, Path]:
    """The folders of a run by the labels an environment fault's message may name."""
    return {"OUT": out, "the private workspace": private, "the source": source}
