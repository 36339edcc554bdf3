"""The ``cxrkit`` command line: one click group, thin commands over the library.

Results go to stdout (``--json`` for machine-readable output), progress and logs to stderr.
A :class:`~cxrkit.errors.CxrkitError` becomes ``Error: …`` and its exit code (1, or the
environment faults' own: see :mod:`cxrkit.errors`); usage errors exit with 2.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from cxrkit import __version__
from cxrkit.cli.build import build_command, verify_command
from cxrkit.cli.db import db_command, link_ehr_command
from cxrkit.cli.deid import deid_dicom_command
from cxrkit.cli.evaluate_deid import evaluate_deid_command
from cxrkit.cli.jpg import jpg
from cxrkit.cli.labels import evaluate_labels, label
from cxrkit.cli.loaders import evaluate_model
from cxrkit.cli.pacs import pull, receive
from cxrkit.cli.reports import deid_text, sections
from cxrkit.cli.review import review
from cxrkit.cli.stats import stats
from cxrkit.cli.synth import demo, synth
from cxrkit.errors import CxrkitError


class _Group(click.Group):
    """A group that turns cxrkit's own errors into ``Error: …`` and their exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CxrkitError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cxrkit")
def main() -> None:
    """cxrkit: hospital chest radiographs and reports to a de-identified MIMIC-CXR-style
    research database, and loaders for MIMIC-CXR-JPG, CheXpert and NIH ChestX-ray14.

    \b
    Try it:
      cxrkit demo                  # synthetic hospital export (and release) in ./cxrkit-demo
      cxrkit synth SRC --patients 50 --seed 1
    """


main.add_command(synth)
main.add_command(demo)
main.add_command(jpg)
main.add_command(build_command)
main.add_command(verify_command)
main.add_command(deid_dicom_command)
main.add_command(stats)
main.add_command(review)
main.add_command(label)
main.add_command(evaluate_labels)
main.add_command(evaluate_model)
main.add_command(deid_text)
main.add_command(sections)
main.add_command(evaluate_deid_command)
main.add_command(db_command)
main.add_command(link_ehr_command)
main.add_command(pull)
main.add_command(receive)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
