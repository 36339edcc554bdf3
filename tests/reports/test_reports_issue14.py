"""Report text on exports we did not write (issue 14): PHI broken across lines, towns and
institutions from outside the project's lists, the gazetteer and its guards."""

from __future__ import annotations

import re

import pytest

from cxrkit.reports import TextDenyList, deidentify_text
from cxrkit.reports._flat import flatten
from cxrkit.reports.places import gazetteer

# Phrases of each multi-word rule, with the PHI words they hold.
PHRASES = [
    ("Discussed with Dr. Rose Hill at 10:30 today.", "Rose Hill"),
    ("Findings d/w Frank Hope by telephone.", "Frank Hope"),
    ("Results called to Hope Bell, MD at 9:00.", "Hope Bell"),
    ("His wife, Rose Hill, was present.", "Rose Hill"),
    (
        "Transferred from Lakeshore General Hospital, Dover, for care.",
        "Lakeshore General Hospital Dover",
    ),
    ("(outside films from St. Brendan Hospital, Marlow)", "St Brendan Hospital Marlow"),
    (
        "Seen at Mercy Valley Medical Center in Cedar Falls on 3/4/2015.",
        "Mercy Valley Medical Center Cedar Falls 3 4 2015",
    ),
    (
        "Patient lives at 12 Harbor Street, Cedar Falls, IA 50613.",
        "12 Harbor Street Cedar Falls IA 50613",
    ),
    ("Patient lives in Cedar Falls with family.", "Cedar Falls"),
    ("Recently moved here from New Bedford, MA last year.", "New Bedford MA"),
    ("Outside films from van Nimwegen Clinic (Rolland) reviewed.", "van Nimwegen Clinic Rolland"),
    ("Prior films from San Diego were reviewed.", "San Diego"),
    ("Seen on March 14, 2015 in clinic.", "March 14 2015"),
    ("Images sent from MGH radiology for comparison.", "MGH"),
]


def _tokens(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9]+", text)


def _broken(text: str) -> list[str]:
    """``text`` with its line broken at each word boundary in turn (MIMIC style: a line
    break and a one-space indent)."""
    spaces = [m.start() for m in re.finditer(" ", text)]
    return [text[:i] + "\n " + text[i + 1 :] for i in spaces]


@pytest.mark.parametrize(
    ("text", "phi"),
    [(broken, phi) for text, phi in PHRASES for broken in _broken(text)],
)
def test_phi_broken_across_lines_is_removed(text: str, phi: str) -> None:
    out = deidentify_text(text)
    kept = _tokens(out)
    assert not set(_tokens(phi)) & set(kept), out
    others = [t for t in _tokens(text) if t not in _tokens(phi)]
    assert kept == others, out
    # a span that held the break is one ``___``; otherwise the break stays
    assert out.count("\n") <= text.count("\n")


@pytest.mark.parametrize(("text", "phi"), PHRASES)
def test_phi_on_one_line_is_removed(text: str, phi: str) -> None:
    assert not set(_tokens(phi)) & set(_tokens(deidentify_text(text)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # header fields and signature lines stay line-based
        (" PATIENT: HOPE, WILL E\n MRN: 00381763", " PATIENT: ___\n MRN: ___"),
        (
            " Findings as above.\n WILL GRANT  03/04/2015 10:22",
            " Findings as above.\n ___  ___ 10:22",
        ),
        # a name read across a line break ends before the next line's footer word
        (
            " ATTENDING: Dr. Knight\n Finalized on 2/3/2015 10:22",
            " ATTENDING: Dr. ___\n Finalized on ___ 10:22",
        ),
        # paragraphs stay apart: a blank line is never joined
        (
            " Dr. Bell\n \n Hospital course unremarkable.",
            " Dr. ___\n \n Hospital course unremarkable.",
        ),
    ],
)
def test_line_based_rules(text: str, expected: str) -> None:
    assert deidentify_text(text) == expected


# Misses found on Faker-based exports (seeds 11-13); each failed before issue 14.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Transferred from Piekary Śląskie Infirmary in North Richard, MO on 7/12.",
            "Transferred from ___ in ___, ___ on ___.",
        ),
        (
            "Outside films from Hamel-les-Bains Infirmary were reviewed.",
            "Outside films from ___ were reviewed.",
        ),
        (
            "Outside films from van Nimwegen Clinic (Rolland) were reviewed.",
            "Outside films from ___ (___) were reviewed.",
        ),
        (
            "Prior study performed at Sant'Ermete Regional Medical Center, Pezzolo, on 3/4.",
            "Prior study performed at ___, ___, on ___.",
        ),
        ("Patient lives at Via Orazio, 12 Piano 9, Guadalajara.", "Patient lives at ___."),
        ("Home address: Tschentscherallee 6, Felina.", "Home address: ___."),
        ("Patient lives at ul. Mieszka I 67, Geithain.", "Patient lives at ___."),
        ("Films obtained at HI RAD were compared.", "Films obtained at ___ RAD were compared."),
        ("Films obtained at ŁGH RAD were compared.", "Films obtained at ___ RAD were compared."),
        (
            "Seen at Lakeshore General Hospital, Reneebury, NE, in 2008.",
            "Seen at ___, ___, ___, in ___.",
        ),
        ("Lives in Romeroport, PA; PCP Dr. Pleban.", "Lives in ___, ___; PCP Dr. ___."),
        ("Lives in da Paz with family.", "Lives in ___ with family."),
        ("Lives in Osterode am Harz with family.", "Lives in ___ with family."),
        (
            "(outside films from Cindyhaven General Hospital, da Rosa dos Dourados)",
            "(outside films from ___, ___)",
        ),
        (
            "(outside films from Maciejko Memorial Hospital, PeltierBourg)",
            "(outside films from ___, ___)",
        ),
        (
            "Prior outside imaging at Rothenburg ob der Tauber Infirmary on 3/4.",
            "Prior outside imaging at ___ on ___.",
        ),
        ("COMMUNICATION:  d/w Dr. das Neves at 12:32.", "COMMUNICATION:  d/w Dr. ___ at 12:32."),
        (
            "Transferred from Richard Hospital, Montechiaro D'Acqui, on 7/29.",
            "Transferred from ___, ___, on ___.",
        ),
        (
            "Patient was transferred from Bavel AC University Hospital at Angera this morning.",
            "Patient was transferred from ___ at ___ this morning.",
        ),
        (
            "Transferred from Kowalski Regional Medical Center at 't Waar this morning.",
            "Transferred from ___ at ___ this morning.",
        ),
        (
            "Transferred from Pesce Regional Medical Center, San Sossio Di Serino, on 11/29.",
            "Transferred from ___, ___, on ___.",
        ),
        (
            "Patient was transferred from Cityhaven Community Hospital at Vargas this morning.",
            "Patient was transferred from ___ at ___ this morning.",
        ),
        (
            "Transferred from St. Massimiliano Hospital, Rushmouth, for further management.",
            "Transferred from ___, ___, for further management.",
        ),
        ("Patient resides at Fazenda Gael da Cunha, 146 in Rehau.", "Patient resides at ___."),
        ("Seen at Eastgate Medical Center, Nelsonberg, PA, in 2003.", "Seen at ___, ___, in ___."),
        # found on the seed-901-903 exports (after the held-out figures were taken)
        ("Films obtained at SMDBRMC RAD on 3/4.", "Films obtained at ___ RAD on ___."),
        ("Imaging at Berkel en Rodenrijs General Hospital on 3/4.", "Imaging at ___ on ___."),
        ("Home address: C. María Del Carmen Linares 397,\n Nowa\n Sól.", "Home address: ___."),
        ("Seen at St. Nikolaus i. Eggen University Hospital today.", "Seen at ___ today."),
        ("lobectomy at Joly Memorial Hospital in 1988.", "lobectomy at ___ in ___."),
        ("Seen by Dr. É.\n Millet in clinic.", "Seen by Dr. ___ in clinic."),
        (
            "Seen by Dr. Bastiaan\n Henric van den Nuwenhuse in clinic.",
            "Seen by Dr. ___ in clinic.",
        ),
        ("Recently moved here from Neunburg vorm Wald.", "Recently moved here from ___."),
        ("d/w Dr. A. Nichols of Zorgvlied Regional\n Medical Center.", "d/w Dr. ___ of ___."),
        ("Surgery at Monticchio Di Massa Lubrense Community Hospital.", "Surgery at ___."),
    ],
)
def test_outside_surface_forms(text: str, expected: str) -> None:
    assert deidentify_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Opacity in the left lung. Normal size of the heart. Atelectasis at the base.",
        "IN THE LEFT LUNG THERE IS OPACITY AT THE BASE OF THE HEART.",
        "Heart of Normal size. Seen in Mobile unit. Lesion near Marion line.",
        "Compared with CT from OSH. Transferred from the Emergency Department.",
        "Comparison with CT radiology and the ICU RAD record.",
        "Patient lives at home with family. Lives in a nursing facility.",
        "Tube in Good position. Catheter at Right atrium.",
        "Transferred from Outside Hospital for further management.",
    ],
)
def test_ordinary_words_in_place_contexts_stay(text: str) -> None:
    assert deidentify_text(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Recent travel from Guadalajara.", "Recent travel from ___."),
        ("Seen in Dover last year.", "Seen in ___ last year."),
        ("Films near Szczecin were lost.", "Films near ___ were lost."),
        ("SEEN IN SAN DIEGO TODAY.", "SEEN IN ___ TODAY."),
        ("Visiting from Kraków.", "Visiting from ___."),
    ],
)
def test_gazetteer_towns_in_weak_contexts(text: str, expected: str) -> None:
    assert deidentify_text(text) == expected


def test_gazetteer_guards_ordinary_words() -> None:
    g = gazetteer()
    assert {"Mobile", "Normal", "Marion", "Bath", "Colon"} <= g.ordinary
    assert {"Mobile", "Boston", "San Diego", "Kraków", "Krakow"} <= g.places
    assert g.town("Mobile") == 0
    assert g.town("Boston Harbor") == len("Boston")


def test_town_after_a_deny_listed_institution() -> None:
    """The institution goes by the deny-list (no "Hospital" in the text); its town goes too."""
    deny = TextDenyList(places=("Harborview Memorial",))
    text = "Seen at Harborview\n Memorial, Reneebury. Harborview Memorial, Radiology called."
    assert deidentify_text(text, deny) == "Seen at ___, ___. ___, Radiology called."


def test_flatten_maps_every_offset_back() -> None:
    text = " one two\n three  \n   four\n \n five\n six"
    flat = flatten(text)
    assert flat.text == " one two three four\n \n five six"
    for match in re.finditer(r"\w+", flat.text):
        start, end = flat.span(*match.span())
        assert text[start:end] == match.group()


# Misses found on the Faker exports of seeds 11-22 and 901-906 and by many Faker draws in the
# outside sentences (issue 14, second round); each failed before.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Dutch names that start with the digraph IJ
        ("Surgery at IJzendoorn Community Hospital in 1999.", "Surgery at ___ in ___."),
        ("Recently moved here from IJsselstein.", "Recently moved here from ___."),
        ("Seen by Dr. Anna IJzerman in clinic.", "Seen by Dr. ___ in clinic."),
        # towns that start with 's, 't or an ordinal; a province in parentheses
        ("Outside films from 's-Gravenpolder Infirmary.", "Outside films from ___."),
        ("Transferred from 's Gravenmoer Regional Medical Center.", "Transferred from ___."),
        (
            "Seen at Mercy Hospital at 2e Exloërmond this morning.",
            "Seen at ___ at ___ this morning.",
        ),
        ("Seen at Mercy Medical Center, Hengelo (Gld), for care.", "Seen at ___, ___, for care."),
        ("Seen at Mercy Hospital at Bergen (NH) today.", "Seen at ___ at ___ today."),
        ("Patient lives at Plaza Mayor 7, Rijswijk (NB).", "Patient lives at ___."),
        # long names with capitalised or abbreviated particles, slashes, St.-
        (
            "Films from Mercy Hospital (Pino Sulla Sponda Del Lago Maggiore) reviewed.",
            "Films from ___ (___) reviewed.",
        ),
        ("Seen at Magre' Sulla Strada Del Vino University Hospital.", "Seen at ___."),
        ("Recently moved here from Maccagno Con Pino E Veddasca.", "Recently moved here from ___."),
        ("Lives in St. Valentin a. d. H. with family.", "Lives in ___. with family."),
        ("Recently moved here from St.Johann In Ahrnta.", "Recently moved here from ___."),
        ("Recently moved here from St.-Jacobiparochie.", "Recently moved here from ___."),
        ("Surgery at Graun/Unterl. Community Hospital in 1987.", "Surgery at ___ in ___."),
        ("Seen at Wijk bij Duurstede University Hospital.", "Seen at ___."),
        ("Seen at Mercy Hospital, Hei- en Boeicop, for care.", "Seen at ___, ___, for care."),
        ("Transferred from St. H.-Dieter Hospital, Dover.", "Transferred from ___, ___."),
        ("Referred by Dr. Jones of Dussen van Clinic.", "Referred by Dr. ___ of ___."),
        ("Patient lives at Incrocio Fiorenzo 45, St. Anton.", "Patient lives at ___."),
        ("Home address: van der Dussenring 82, Geithain.", "Home address: ___."),
        # hospital initials that are also a ward's, after "at"/"from"
        (
            "Films obtained at GI RAD on 8/29 were compared.",
            "Films obtained at ___ RAD on ___ were compared.",
        ),
        (
            "Outside images from GI radiology were reviewed.",
            "Outside images from ___ radiology were reviewed.",
        ),
        # names: particles after the family name, unknown lower-case particles after a title,
        # 's / d' / 't, "en" double names, abbreviated double given names, epithets
        ("Referred by Dr. Marius Dussen van of Mercy Hospital.", "Referred by Dr. ___ of ___."),
        ("Dr. West-Francië, van was paged at 10:30.", "Dr. ___ was paged at 10:30."),
        ("Discussed with Dr. Aline auch Schlauchin at 8:09.", "Discussed with Dr. ___ at 8:09."),
        ("PCP Dr. Sara van 't Wel (svan'twel@ruhhealth.org).", "PCP Dr. ___ (___)."),
        ("PCP Dr. d' Heripon today.", "PCP Dr. ___ today."),
        ("Referred by Dr. van Hoevel en van Zwindrecht today.", "Referred by Dr. ___ today."),
        ("Seen by Dr. Hans-H. Weimer in clinic.", "Seen by Dr. ___ in clinic."),
        ("PCP Dr. J. The Elder (jtheelder@nchhealth.org).", "PCP Dr. ___ (___)."),
        ("PCP Dr. S. Werl, van (swerl,van@ermchealth.org).", "PCP Dr. ___ (___)."),
        # "in" inside a name, an unknown lower-case particle before a name, ordinals,
        # five-word towns
        (
            "Transferred from Mercy Hospital, St. Martin in Passeier, today.",
            "Transferred from ___, ___, today.",
        ),
        ("Seen at Broek in Waterland Infirmary today.", "Seen at ___ today."),
        ("Outside films from auch Schlauchin Memorial Hospital.", "Outside films from ___."),
        ("Patient lives at auch Schlauchinweg 33, Meppen.", "Patient lives at ___."),
        ("Seen at 2e Exloërmond Community Hospital today.", "Seen at ___ today."),
        ("Seen at St.Martin Gsie Community Hospital today.", "Seen at ___ today."),
        ("Transferred from St. Klaus-D.'s Medical Center, Zamora.", "Transferred from ___, ___."),
        ("Lives in Bleskensgraaf ca with family.", "Lives in ___ with family."),
        (
            "Patient resides at Acceso Valera 17 Apt. 51 in Bergen L.  Seen at St. Danny Hospital.",
            "Patient resides at ___.  Seen at ___.",
        ),
        (
            "Referred by Dr. Ferri of Sotto Il Monte Giovanni Xxiii General Hospital.",
            "Referred by Dr. ___ of ___.",
        ),
        (
            "Recently moved here from San Vincenzo Valle Roveto Superiore.",
            "Recently moved here from ___.",
        ),
    ],
)
def test_outside_surface_forms_round_two(text: str, expected: str) -> None:
    assert deidentify_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Comparison with the GI radiology and ED imaging records.",
        "Dr. Smith and Dr. Jones agreed. Dr. Smith was Notified.",
        "Contact: wife Hope at 617-555-0134.",
    ],
)
def test_round_two_keeps_ordinary_words(text: str) -> None:
    kept = deidentify_text(text)
    for word in ("GI radiology", "ED imaging", "and Dr", "was Notified", "wife"):
        if word in text:
            assert word in kept


def test_in_and_pronouns_around_an_institution_stay() -> None:
    text = "Seen at Mercy Hospital in Dover; seen in Mercy Hospital; seen at our Mercy Hospital."
    assert deidentify_text(text) == "Seen at ___ in ___; seen in ___; seen at our ___."


def test_a_paragraph_is_not_joined_to_the_underscore_line_after_it() -> None:
    text = (
        " Patient lives\n at 29370 Cynthia Turnpike, Afferden L.\n" + "_" * 78 + "\n FINAL REPORT\n"
    )
    assert deidentify_text(text) == " Patient lives\n at ___.\n" + "_" * 78 + "\n FINAL REPORT\n"
