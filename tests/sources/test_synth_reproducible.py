"""A synthetic export is the same bytes in every run: nothing in it may hang on the order of a
set, which Python changes from process to process (hash randomisation)."""

from __future__ import annotations

import os
import subprocess
import sys

from cxrkit.sources.synth import hardlines, report_faker

_DRAW = """
import sys
from faker import Faker
from cxrkit.sources.synth.report_faker import city
for locale in sys.argv[1:]:
    fake = Faker(locale)
    for seed in range(40):
        fake.seed_instance(seed)
        print(locale, city(fake), fake.last_name(), fake.first_name(), fake.street_address())
"""


def _draw(hash_seed: str) -> str:
    locales = sorted({*hardlines.LOCALES, *report_faker.LOCALES})
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", _DRAW, *locales], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_every_faker_value_the_generator_draws_is_the_same_in_every_process() -> None:
    """Found with `cxrkit synth --patients 6 --seed 3` run twice: one image's institution
    abbreviation differed ("VLNH ER RAD" / "SBNH ER RAD"), since Faker builds its it_IT city
    list from a set; its cities are now picked from the sorted list."""
    assert _draw("1") == _draw("2")
