"""The ``{slot}`` values of one synthetic report, drawn once per report from its study.

:class:`Slots` is what :func:`cxrkit.sources.synth.report_phi.fill` calls for each
``{slot}`` or ``{slot.form}`` of a template. It keeps per-report choices (the ward, the
relative, the outside hospital, the running clock) so that a report tells one story.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from cxrkit.sources.synth.model import PersonName, Study
from cxrkit.sources.synth.report_phi import (
    DATE_STYLES,
    age_at,
    format_date,
    format_time,
    people,
    person_pieces,
    reformat_phone,
    study_dates,
    views_phrase,
)
from cxrkit.sources.synth.report_text import Piece, phi, plain

SlotFn = Callable[[str], list[Piece] | None]
#: Times of day are not PHI (S2) and are not recorded; set to ``"time"`` to record
#: them as ``time`` spans that de-identification must keep.
TIME_CATEGORY = ""


class Slots:
    """Fill template slots for one study; call as ``slots(name, form)``."""

    #: Multi-word values may be split across lines (the ``faker`` style, outside headers).
    split_lines = False

    def __init__(self, study: Study, rng: random.Random, words: dict[str, tuple[str, ...]]) -> None:
        self.study, self.rng, self.words = study, rng, words
        self.people = people()
        patient = study.patient
        self.age = age_at(patient.birth_date, study.when.date())
        self.unit = rng.choice(self.people.units)
        self.relative = rng.choice(patient.relatives) if patient.relatives else None
        self.other_hospital = rng.choice(
            [h for h in self.people.hospitals if h != study.institution.name]
        )
        self.priors = study_dates(study, rng)
        self._prior_index = 0
        self.sign_clock = study.when + dt.timedelta(
            minutes=rng.randint(20, 600), days=rng.choice((0, 0, 0, 1))
        )
        self.sign_day = self.sign_clock.date()
        self._clock = study.when
        self._doctor: PersonName = study.referring
        self._table = self._build_table()

    def __call__(self, slot: str, form: str) -> list[Piece] | None:
        try:
            fn = self._table[slot]
        except KeyError:
            raise KeyError(f"unknown report template slot {{{slot}}}") from None
        return fn(form)

    def _build_table(self) -> dict[str, SlotFn]:
        return {
            **self._person_slots(),
            **self._record_slots(),
            **self._drawn_slots(),
            **self._plain_slots(),
        }

    def _person_slots(self) -> dict[str, SlotFn]:
        s = self.study
        return {
            "patient": self._patient,
            "relative": self._relative,
            "dr": self._other_doctor,
            "ref": self._staff(s.referring),
            "rad": self._staff(s.radiologist),
            "perf": self._staff(s.performing),
            "tech": self._tech,
            "relation": self._relation,
            "relphone": self._relphone,
        }

    def _record_slots(self) -> dict[str, SlotFn]:
        """Values the study record holds: they match its headers and RIS columns."""
        s, p = self.study, self.study.patient
        return {
            "date": self._date(s.when.date),
            "dob": self._date(lambda: p.birth_date),
            "sdate": self._date(lambda: self.sign_day),
            "prior": self._date(self._next_prior),
            "age": self._age,
            "address": self._address,
            "mrn": self._value(lambda: p.mrn, "mrn"),
            "other_id": self._other_id,
            "accession": self._value(lambda: s.accession, "accession"),
            "hospital": self._value(lambda: s.institution.name, "hospital"),
            "hosp_short": self._value(lambda: s.institution.short_name, "hospital"),
            "station": self._value(lambda: s.station_name, "station"),
            "pt_phone": self._value(lambda: reformat_phone(p.phone, self.rng), "phone"),
            "hosp_phone": self._value(
                lambda: reformat_phone(s.institution.phone, self.rng), "phone"
            ),
            "email": self._value(self._email, "email"),
            "url": self._value(self._url, "url"),
        }

    def _drawn_slots(self) -> dict[str, SlotFn]:
        """Values the record does not hold, drawn from ``rng`` and ``people.toml``."""
        places = self.people
        return {
            "admit": self._date(self._admit_day),
            "year": self._year,
            "other_hospital": self._value(lambda: self.other_hospital, "hospital"),
            "unit": self._value(lambda: self.unit, "unit"),
            "country": self._value(lambda: self.rng.choice(places.countries), "country"),
            "city": self._value(lambda: self.rng.choice(places.cities)[0], "city"),
            "phone": self._value(self._random_phone, "phone"),
            "cityst": self._cityst,
            "state": self._state,
            "ext": self._ext,
            "pager": self._pager,
        }

    def _plain_slots(self) -> dict[str, SlotFn]:
        """Text that is not PHI: sex, exam, times of day, clinical words."""
        s, p = self.study, self.study.patient
        table: dict[str, SlotFn] = {
            "sex": lambda f: [plain(p.sex)],
            "sexword": lambda f: [plain("woman" if p.sex == "F" else "man")],
            "exam": lambda f: [plain(s.exam.name)],
            "exam_code": lambda f: [plain(s.exam.code)],
            "dept": lambda f: [plain(s.institution.department)],
            "views": lambda f: [plain(views_phrase(s.exam, self.rng))],
            "exam_time": lambda f: self._clock_time(s.when),
            "sign_time": lambda f: self._clock_time(self.sign_clock),
            "time": self._time,
        }
        for key in self.words:
            table[key] = self._word(key)
        return table

    # ---------------------------------------------------------------- people
    def _patient(self, form: str) -> list[Piece]:
        title = "Ms." if self.study.patient.sex == "F" else "Mr."
        return person_pieces(self.study.patient.name, form or "name", title, self.rng)

    def _relative(self, form: str) -> list[Piece] | None:
        if self.relative is None:
            return None
        form = form or self.rng.choice(("name", "name", "given"))
        return person_pieces(self.relative.name, form, "", self.rng)

    def _staff(self, name: PersonName) -> SlotFn:
        def fn(form: str) -> list[Piece]:
            self._doctor = name
            return person_pieces(name, form or "dr", "Dr.", self.rng)

        return fn

    def _tech(self, form: str) -> list[Piece]:
        return person_pieces(self.study.operator, form or "name", "", self.rng)

    def _other_doctor(self, form: str) -> list[Piece]:
        pool = self.people.given_female if self.rng.random() < 0.5 else self.people.given_male
        self._doctor = PersonName(self.rng.choice(self.people.family), self.rng.choice(pool))
        return person_pieces(self._doctor, form or "dr", "Dr.", self.rng)

    def _relation(self, form: str) -> list[Piece] | None:
        return None if self.relative is None else [plain(self.relative.relation)]

    def _relphone(self, form: str) -> list[Piece] | None:
        if self.relative is None:
            return None
        return [phi(reformat_phone(self.relative.phone, self.rng), "phone")]

    # ---------------------------------------------------------------- dates and times
    def _date(self, day: Callable[[], dt.date]) -> SlotFn:
        def fn(form: str) -> list[Piece]:
            style = self.rng.choice(DATE_STYLES.get(form, DATE_STYLES[""]))
            return [phi(format_date(day(), style), "date")]

        return fn

    def _admit_day(self) -> dt.date:
        return self.study.when.date() - dt.timedelta(days=self.rng.randint(0, 6))

    def _next_prior(self) -> dt.date:
        day = self.priors[min(self._prior_index, len(self.priors) - 1)]
        self._prior_index += 1
        return day

    def _time(self, form: str) -> list[Piece]:
        self._clock += dt.timedelta(minutes=self.rng.randint(5, 120))
        return self._clock_time(self._clock)

    def _clock_time(self, when: dt.datetime) -> list[Piece]:
        """A time of day: plain text, or a span of :data:`TIME_CATEGORY` if that is set."""
        text = format_time(when.time(), self.rng)
        return [phi(text, TIME_CATEGORY)] if TIME_CATEGORY else [plain(text)]

    def _age(self, form: str) -> list[Piece]:
        text = str(self.age)
        return [phi(text, "age")] if self.age >= 90 else [plain(text)]

    def _year(self, form: str) -> list[Piece]:
        return [phi(str(self.study.when.year - self.rng.randint(1, 25)), "year")]

    # ---------------------------------------------------------------- places and numbers
    def _value(self, value: Callable[[], str], category: str) -> SlotFn:
        return lambda form: [phi(value(), category)]

    def _word(self, key: str) -> SlotFn:
        return lambda form: [plain(self.rng.choice(self.words[key]))]

    def _other_id(self, form: str) -> list[Piece] | None:
        ids = self.study.patient.other_ids
        return [phi(self.rng.choice(ids), "id")] if ids else None

    def _cityst(self, form: str) -> list[Piece]:
        city, state = self.rng.choice(self.people.cities)
        return [phi(city, "city"), plain(", "), phi(state, "state")]

    def _state(self, form: str) -> list[Piece]:
        if form == "long":
            return [phi(self.rng.choice(self.people.states), "state")]
        return [phi(self.rng.choice(self.people.cities)[1], "state")]

    def _address(self, form: str) -> list[Piece]:
        a = self.study.patient.address
        return [
            phi(a.street, "address"),
            plain(", "),
            phi(a.city, "city"),
            plain(", "),
            phi(a.state, "state"),
            plain(" "),
            phi(a.zip_code, "zip"),
        ]

    def _digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def _random_phone(self) -> str:
        area = self.rng.choice(("617", "508", "781", "401", "603", "978"))
        return reformat_phone(f"{area}55501{self._digits(2)}", self.rng)

    def _ext(self, form: str) -> list[Piece]:
        number = f"{self.rng.randint(2, 8)}-{self._digits(4)}"
        kind = self.rng.randrange(3)
        if kind == 0:
            return [phi(f"x{number}", "phone")]
        if kind == 1:
            return [plain("ext. "), phi(number.replace("-", ""), "phone")]
        return [phi(f"x{number.replace('-', '')}", "phone")]

    def _pager(self, form: str) -> list[Piece]:
        kind = self.rng.randrange(3)
        if kind == 0:
            return [phi(f"{self.rng.randint(2, 8)}-{self._digits(4)}", "pager")]
        if kind == 1:
            return [plain("#"), phi(f"{self.rng.randint(2, 8)}{self._digits(4)}", "pager")]
        return [phi(f"{self.rng.randint(2, 8)}{self._digits(4)}", "pager")]

    def _email(self) -> str:
        d = self._doctor
        domain = f"{self.study.institution.short_name}health.org"
        return f"{d.given[0]}{d.family}@{domain}".lower().replace(" ", "")

    def _url(self) -> str:
        short = self.study.institution.short_name.lower()
        return f"https://portal.{short}health.org/r/{self.study.accession}"
