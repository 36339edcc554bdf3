"""The exports of a de-identification review (S21): writers of plain data, no database.

- :func:`write_decisions`: every decision as ``decisions.csv`` and ``decisions.json``;
- :func:`write_audit`: the audit log as JSON lines (``audit.jsonl``);
- :func:`write_brat`: the reviewed reports and the PHI spans marked in them as BRAT standoff
  (``NAME.txt`` + ``NAME.ann``), the input of ``cxrkit evaluate-deid``;
- :func:`write_summary`: the one-page summary (``summary.md`` and ``summary.png``) of a
  :class:`ReviewSummary`;
- :func:`write_test_set_labels`: the manual labels as ``mimic-cxr-2.1.0-test-set-labeled.csv``
  (``study_id`` and the 14 observations), read as it is by ``cxrkit evaluate-labels``.

The decisions, audit log and summary carry item ids (release paths: pseudonyms), kinds,
decisions, counts and the readers' comments — never a header value or report text. The BRAT
folder is the exception by its nature: it holds the released texts of the sampled reports, so
a span confirmed as PHI is in it (as it is in the release until the item is re-processed).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cxrkit.errors import ConfigError
from cxrkit.labels.schema import TEST_SET_COLUMNS, TEST_SET_FILE, format_test_set
from cxrkit.release.layout import write_atomic
from cxrkit.release.tables import csv_bytes
from cxrkit.reports.deid_formats import COMMON_CATEGORIES
from cxrkit.review.stats import (
    ALL,
    Agreement,
    StratumFigures,
    agreement,
    detection_rate,
    figures_by_stratum,
)

DECISIONS_CSV = "decisions.csv"
DECISIONS_JSON = "decisions.json"
AUDIT = "audit.jsonl"
SUMMARY_MD = "summary.md"
SUMMARY_PNG = "summary.png"
TEST_SET_LABELS = TEST_SET_FILE
#: The columns of ``decisions.csv`` that come first, in this order (others follow by name).
DECISION_COLUMNS = (
    "item_id",
    "kind",
    "stratum",
    "reader",
    "role",
    "decision",
    "phi_kinds",
    "box",
    "spans",
    "comment",
    "decided_at",
)
#: The PHI kinds a reader ticks (and the BRAT types of report spans): the categories
#: ``cxrkit evaluate-deid`` scores by, so each maps to itself there.
PHI_KINDS: tuple[str, ...] = COMMON_CATEGORIES
#: The brat tool's configuration written beside the standoff files (its entity types).
BRAT_CONF = "annotation.conf"
_NOUNS = {"image": "images", "report": "reports", "labels": "labelled reports"}


def _cell(value: object) -> str:
    """A CSV cell: lists joined by ``;``, mappings as JSON, ``None`` empty."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(_cell(v) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def _columns(rows: Sequence[Mapping[str, object]]) -> list[str]:
    present = {name for row in rows for name in row}
    first = [c for c in DECISION_COLUMNS if c in present]
    return first + sorted(present - set(first))


def write_decisions(folder: Path, rows: Sequence[Mapping[str, object]]) -> tuple[Path, Path]:
    """Write the decisions as ``decisions.csv`` and ``decisions.json`` in ``folder``.

    Each row is one decision (a reader's, or the consensus verdict: ``role``); its keys become
    the columns (:data:`DECISION_COLUMNS` first). In the CSV a list is joined by ``;`` and a
    mapping (a box) written as JSON; the JSON file keeps the values as they are.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> rows = [{"item_id": "files/a.dcm", "reader": "ann", "decision": "phi",
    ...          "phi_kinds": ["name", "date"]}]
    >>> csv_path, _ = write_decisions(folder, rows)
    >>> print(csv_path.read_text(), end="")
    item_id,reader,decision,phi_kinds
    files/a.dcm,ann,phi,name;date
    """
    columns = _columns(rows)
    cells = ({c: _cell(row.get(c)) for c in columns} for row in rows)
    csv_path = write_atomic(folder / DECISIONS_CSV, csv_bytes(columns, cells))
    data = json.dumps([dict(row) for row in rows], indent=1, ensure_ascii=False, default=str)
    json_path = write_atomic(folder / DECISIONS_JSON, (data + "\n").encode("utf-8"))
    return csv_path, json_path


def write_audit(folder: Path, events: Iterable[Mapping[str, object]]) -> Path:
    """Copy the audit log (who, what, when, before, after) to ``audit.jsonl``: one JSON object
    per event, in the order given, keys sorted.

    Examples
    --------
    >>> import tempfile
    >>> path = write_audit(Path(tempfile.mkdtemp()), [{"who": "ann", "what": "decide"}])
    >>> path.read_text()
    '{"what": "decide", "who": "ann"}\\n'
    """
    lines = [json.dumps(dict(e), sort_keys=True, ensure_ascii=False, default=str) for e in events]
    return write_atomic(folder / AUDIT, "".join(f"{line}\n" for line in lines).encode("utf-8"))


def _brat_type(kind: str) -> str:
    name = "_".join(kind.split())
    if not name:
        raise ConfigError("a report span has no PHI kind")
    return name


def _fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The pieces of ``text[start:end]`` between line ends (BRAT's discontinuous span)."""
    pieces, begin = [], start
    for offset in range(start, end + 1):
        if offset == end or text[offset] in "\r\n":
            if offset > begin:
                pieces.append((begin, offset))
            begin = offset + 1
    return pieces


def from_utf16(text: str, *offsets: int) -> tuple[int, ...]:
    """Character offsets into ``text`` from UTF-16 code-unit offsets (a browser's string
    indices: a character beyond U+FFFF counts two there, one in Python).

    Examples
    --------
    >>> text = "\U0001f600 Dr. Fake"  # one emoji, then the name at Python offset 2
    >>> from_utf16(text, 3, 11)
    (2, 10)
    """
    units, table = 0, {0: 0}
    for index, char in enumerate(text, start=1):
        units += 2 if ord(char) > 0xFFFF else 1
        table[units] = index
    try:
        return tuple(table[offset] for offset in offsets)
    except KeyError:
        raise ConfigError("a UTF-16 offset falls inside a character or past the text") from None


def _ann_text(text: str, spans: Sequence[tuple[int, int, str]], name: str) -> str:
    lines: list[str] = []
    for start, end, kind in sorted(spans):
        if not 0 <= start < end <= len(text):
            raise ConfigError(f"{name}: span {start}-{end} is outside its {len(text)} characters")
        pieces = _fragments(text, start, end)
        if not pieces:
            continue  # only line ends: nothing to annotate
        offsets = ";".join(f"{a} {b}" for a, b in pieces)
        covered = " ".join(text[a:b] for a, b in pieces)
        lines.append(f"T{len(lines) + 1}\t{_brat_type(kind)} {offsets}\t{covered}\n")
    return "".join(lines)


def write_brat(
    folder: Path,
    reports: Mapping[str, str],
    spans: Mapping[str, Sequence[tuple[int, int, str]]],
) -> list[Path]:
    """Write every report as BRAT standoff: ``folder/ITEM_ID`` (the ``.txt``) and its ``.ann``.

    ``reports`` maps item ids (``files/p10/p10000032/s50414267.txt``) to the released text;
    ``spans`` maps item ids to (start, end, PHI kind) character offsets into that text (Python
    string offsets, end exclusive; convert a browser's with :func:`from_utf16`). A report
    without spans gets an empty ``.ann`` (it counts for ``evaluate-deid``'s tokens and
    precision). A span crossing a line end is written as fragments (``S1 E1;S2 E2``); a kind
    with spaces gets ``_``; use :data:`PHI_KINDS`. ``annotation.conf`` lists the entity types
    for the brat tool. ``cxrkit evaluate-deid FOLDER`` reads the folder as it is. Returns the
    ``.txt`` files written.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> text = "Seen by Dr. Fake Name\\non ___."
    >>> item = "files/p1/p1/s2.txt"
    >>> _ = write_brat(folder, {item: text}, {item: [(12, 21, "NAME")]})
    >>> (folder / "files/p1/p1/s2.ann").read_text()
    'T1\\tNAME 12 21\\tFake Name\\n'
    """
    unknown = sorted(set(spans) - set(reports))
    if unknown:
        raise ConfigError(f"{len(unknown)} items with spans have no report text ({unknown[0]})")
    documents = []  # everything checked before the first file is written
    for item_id, text in sorted(reports.items()):
        rel = PurePosixPath(item_id)
        if rel.is_absolute() or ".." in rel.parts or rel.suffix != ".txt":
            raise ConfigError(f"{item_id!r} is not a release-relative report path (….txt)")
        documents.append((rel, text, _ann_text(text, spans.get(item_id, ()), item_id)))
    written = []
    for rel, text, ann in documents:
        txt = write_atomic(folder / rel, text.encode("utf-8"))
        write_atomic(txt.with_suffix(".ann"), ann.encode("utf-8"))
        written.append(txt)
    kinds = sorted({_brat_type(kind) for found in spans.values() for *_, kind in found})
    conf = "[entities]\n" + "".join(f"{k}\n" for k in sorted({*PHI_KINDS, *kinds}))
    write_atomic(folder / BRAT_CONF, (conf + "[relations]\n[events]\n[attributes]\n").encode())
    return written


@dataclass(frozen=True)
class ReaderFigures:
    """One reader's progress and detection rate against consensus (None: no PHI confirmed)."""

    reader: str
    assigned: int
    decided: int
    detection: float | None


@dataclass(frozen=True)
class ReviewSummary:
    """The numbers of one review (one kind of item), as the summary shows them.

    ``strata`` are :func:`cxrkit.review.stats.figures_by_stratum` rows (the "all" row
    included); ``sent_to_consensus`` counts the items the readers disagreed on or doubted,
    ``consensus_done`` those with a verdict. ``per_label`` holds the agreement per observation
    of a "labels" review.
    """

    kind: str
    sample_size: int
    manifest_sha256: str
    agreement: Agreement
    sent_to_consensus: int
    consensus_done: int
    strata: tuple[StratumFigures, ...]
    readers: tuple[ReaderFigures, ...]
    per_label: tuple[tuple[str, Agreement], ...] = field(default=())

    def overall(self) -> StratumFigures | None:
        """The "all" row of :attr:`strata` (None when there is none)."""
        return next((row for row in self.strata if row.stratum == ALL), None)


def format_percent(share: float) -> str:
    """A share as a percentage: three decimals below 1 %, two above.

    Examples
    --------
    >>> format_percent(0.000434), format_percent(0.3942)
    ('0.043 %', '39.42 %')
    """
    value = 100 * share
    return f"{value:.3f} %" if value < 1 else f"{value:.2f} %"


def _number(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.3f}"


def headline(summary: ReviewSummary) -> str:
    """The sentence a publisher signs, such as "0 / 6,900 images with PHI; 95 % upper bound
    0.043 %; 99 % upper bound 0.067 %"."""
    row = summary.overall()
    noun = _NOUNS.get(summary.kind, "items")
    if row is None:
        return f"0 {noun} reviewed"
    if summary.kind == "labels":  # no PHI decision: the labels' own agreement tells
        return f"{row.n:,} {noun} settled (read by two readers, consensus where they differed)"
    return (
        f"{row.confirmed:,} / {row.n:,} {noun} with PHI; 95 % upper bound "
        f"{format_percent(row.upper95)}; 99 % upper bound {format_percent(row.upper99)}"
    )


def agreement_line(agreement: Agreement) -> str:
    """Raw agreement, Cohen's κ and Gwet's AC1 in one line ("–" where undefined)."""
    return (
        f"{agreement.n:,} items read by both: raw agreement {_number(agreement.raw)}, "
        f"Cohen's κ {_number(agreement.kappa)}, Gwet's AC1 {_number(agreement.ac1)}"
    )


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _strata_rows(summary: ReviewSummary) -> list[list[str]]:
    if summary.kind == "labels":
        return []
    return [
        [r.stratum, f"{r.n:,}", f"{r.confirmed:,}", *map(format_percent, (r.upper95, r.upper99))]
        for r in summary.strata
    ]


def _reader_rows(summary: ReviewSummary) -> list[list[str]]:
    return [
        [r.reader, f"{r.decided:,} / {r.assigned:,}", _number(r.detection)] for r in summary.readers
    ]


def _label_rows(summary: ReviewSummary) -> list[list[str]]:
    return [
        [label, f"{a.n:,}", _number(a.raw), _number(a.kappa), _number(a.ac1)]
        for label, a in summary.per_label
    ]


LABEL_HEAD = ("observation", "n", "raw", "κ", "AC1")
STRATA_HEAD = ("stratum", "n", "confirmed PHI", "95 % upper bound", "99 % upper bound")
READER_HEAD = ("reader", "decided / assigned", "detection rate")


def summary_markdown(summary: ReviewSummary) -> str:
    """The one-page summary as markdown: counts and rates only."""
    labels = summary.kind == "labels"
    title = "Manual labels" if labels else "De-identification review"
    bounds = "" if labels else " (exact Clopper–Pearson bounds, one-sided)"
    lines = [
        f"# {title}: {_NOUNS.get(summary.kind, 'items')}",
        "",
        f"**{headline(summary)}**{bounds}.",
        "",
        f"- sample: {summary.sample_size:,} items drawn, manifest SHA-256 "
        f"`{summary.manifest_sha256}`",
        f"- {agreement_line(summary.agreement)}",
        f"- sent to consensus: {summary.sent_to_consensus:,} items "
        f"({summary.consensus_done:,} settled)",
    ]
    for title, head, rows in _sections(summary):
        lines += ["", f"## {title}", "", *_table(head, rows)]
    return "\n".join(lines) + "\n"


def _sections(summary: ReviewSummary) -> list[tuple[str, Sequence[str], list[list[str]]]]:
    """The tables of the summary: (title, header, rows), empty ones left out."""
    sections = [
        ("By stratum", STRATA_HEAD, _strata_rows(summary)),
        ("Readers", READER_HEAD, _reader_rows(summary)),
        ("Agreement by observation", LABEL_HEAD, _label_rows(summary)),
    ]
    return [(title, head, rows) for title, head, rows in sections if rows]


def _figure(summary: ReviewSummary, path: Path) -> Path:
    import matplotlib  # noqa: PLC0415 - only for the figure

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    from matplotlib.transforms import Bbox  # noqa: PLC0415

    sections = _sections(summary)
    lines = [len(rows) + 3 for _, _, rows in sections]  # title, header, rows, gap
    top = 5.0  # the headline and the notes, in table lines
    fig = plt.figure(figsize=(8.27, 0.25 * (top + sum(lines))))
    fig.text(0.03, 1 - 0.5 / (top + sum(lines)), headline(summary), fontsize=11,
             weight="bold", va="top")  # fmt: skip
    notes = (
        f"sample {summary.sample_size:,} items drawn; "
        f"manifest SHA-256 {summary.manifest_sha256[:16]}…\n"
        f"{agreement_line(summary.agreement)}\n"
        f"sent to consensus: {summary.sent_to_consensus:,} ({summary.consensus_done:,} settled)"
    )
    fig.text(0.03, 1 - 1.6 / (top + sum(lines)), notes, fontsize=9, va="top", linespacing=1.5)
    used = top
    for (title, head, rows), height in zip(sections, lines, strict=True):
        used += height
        bottom, size = 1 - used / (top + sum(lines)), (height - 2) / (top + sum(lines))
        ax = fig.add_axes((0.03, bottom + 0.5 / (top + sum(lines)), 0.94, size))
        ax.axis("off")
        ax.set_title(title, loc="left", fontsize=10, weight="bold")
        widths = [0.36] + [0.64 / (len(head) - 1)] * (len(head) - 1)
        table = ax.table(
            cellText=rows,
            colLabels=list(head),
            colWidths=widths,
            cellLoc="left",
            bbox=Bbox.from_bounds(0, 0, 1, 1),
        )
        table.auto_set_font_size(False)
        table.set_fontsize(9)
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    return path


def write_summary(folder: Path, summary: ReviewSummary) -> tuple[Path, Path]:
    """Write ``summary.md`` and ``summary.png`` (the same numbers on one page) in ``folder``."""
    md = write_atomic(folder / SUMMARY_MD, summary_markdown(summary).encode("utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    return md, _figure(summary, folder / SUMMARY_PNG)


def study_id_of(item_id: str) -> int:
    """The study id of a report item (``files/p10/p10000032/s50414267.txt``).

    Examples
    --------
    >>> study_id_of("files/p10/p10000032/s50414267.txt")
    50414267
    """
    stem = PurePosixPath(item_id).stem
    if not (stem.startswith("s") and stem[1:].isdigit()):
        raise ConfigError(f"{item_id!r} is not a report path (…/s<study_id>.txt)")
    return int(stem[1:])


def _study(value: object) -> int:
    """A study id given as a number, its text (``50414267`` or ``s50414267``) or an item id."""
    text = str(value if value is not None else "").strip()
    if text.endswith(".txt"):
        return study_id_of(text)
    digits = text.removeprefix("s")
    if not digits.isdigit():
        raise ConfigError(f"{text!r} is not a study id")
    return int(digits)


def write_test_set_labels(path: Path, rows: Sequence[Mapping[str, object]]) -> Path:
    """Write the manual labels as ``mimic-cxr-2.1.0-test-set-labeled.csv`` at ``path``.

    Each row holds ``study_id`` (an integer, its text, or the report's item id) and any of the
    14 observations (:data:`~cxrkit.labels.schema.LABELS`) as 1 / 0 / −1 / blank (numbers or
    text; a missing observation is blank). Columns: ``study_id`` then the 14 in alphabetical
    order; values ``1.0``, ``0.0``, ``-1.0`` or empty; rows sorted by study id.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / TEST_SET_LABELS
    >>> _ = write_test_set_labels(path, [{"study_id": "files/p1/p1/s7.txt", "Edema": "-1"}])
    >>> path.read_text().splitlines()[1]
    '7,,,,-1.0,,,,,,,,,,'
    """
    out: dict[int, Mapping[str, object]] = {}
    for row in rows:
        unknown = sorted(set(row) - set(TEST_SET_COLUMNS))
        if unknown:
            raise ConfigError(f"unknown label column {unknown[0]!r}; use the 14 observations")
        study_id = _study(row.get("study_id"))
        if study_id in out:
            raise ConfigError(f"study {study_id} has two rows of manual labels")
        out[study_id] = row
    return write_atomic(path, format_test_set(out))


def build_summary(
    *,
    kind: str,
    manifest_sha256: str,
    strata: Mapping[str, str],
    pairs: Sequence[tuple[str, str]],
    consensus: tuple[int, int],
    confirmed: set[str],
    flags: Mapping[str, Mapping[str, bool]],
    assigned: Mapping[str, int],
    per_label: Sequence[tuple[str, Agreement]] = (),
    sample_size: int | None = None,
) -> ReviewSummary:
    """A :class:`ReviewSummary` from the review's plain data.

    ``strata`` maps every item the figures count (the sample, or its items settled so far) to
    its stratum; ``pairs`` holds the two readers' decisions of each item both decided;
    ``consensus`` is (sent to consensus, settled); ``confirmed`` the item ids consensus
    confirmed as PHI; ``flags`` maps each reader to the items they decided (True: said PHI);
    ``assigned`` each reader's number of items; ``sample_size`` the number of items drawn
    (default: the items of ``strata``).

    Examples
    --------
    >>> s = build_summary(kind="image", manifest_sha256="ab", strata={"a": "PA", "b": "PA"},
    ...     pairs=[("no-phi", "no-phi"), ("phi", "no-phi")], consensus=(1, 1), confirmed={"b"},
    ...     flags={"ann": {"a": False, "b": True}, "bob": {"a": False, "b": False}},
    ...     assigned={"ann": 2, "bob": 2})
    >>> headline(s)
    '1 / 2 images with PHI; 95 % upper bound 97.47 %; 99 % upper bound 99.50 %'
    >>> [(r.reader, r.detection) for r in s.readers]
    [('ann', 1.0), ('bob', 0.0)]
    """
    truth = {item: item in confirmed for item in strata}
    readers = tuple(
        ReaderFigures(
            reader,
            assigned.get(reader, len(flags.get(reader, {}))),
            len(flags.get(reader, {})),
            detection_rate(flags.get(reader, {}), truth),
        )
        for reader in sorted(set(flags) | set(assigned))
    )
    return ReviewSummary(
        kind=kind,
        sample_size=len(strata) if sample_size is None else sample_size,
        manifest_sha256=manifest_sha256,
        agreement=agreement(pairs),
        sent_to_consensus=consensus[0],
        consensus_done=consensus[1],
        strata=tuple(figures_by_stratum(strata, confirmed)),
        readers=readers,
        per_label=tuple(per_label),
    )
