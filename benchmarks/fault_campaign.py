"""Fault campaign (issue 15): bad inputs and machine faults, each run end to end through the CLI.

Run on demand (not part of the test suite; about 30-60 minutes on 2 cores)::

    PYTHONPATH=src python benchmarks/fault_campaign.py [--only WORD] [--keep DIR]

It makes a small synthetic export (``cxrkit synth DIR --patients 3 --seed 5 -q``), builds it
once (the baseline), then runs every case on a fresh copy: a fault is applied to the source,
the release folder, the private workspace or the machine, and ``cxrkit build`` (or the command
the case is about) runs in a subprocess. Most cases start from a copy of the baseline release
and workspace (mode ``rerun``: only what the fault adds reaches the slow image stage); cases
marked ``fresh`` start from an empty OUT. Each run is classified:

- a Python traceback on the console;
- the exit code, against the one the documentation promises;
- after a normal exit (0 or 3): ``cxrkit verify OUT --private PRIVATE --no-ocr`` must pass;
- after a normal exit: every entry under ``SRC/dicom`` and every report row or message ends
  in the release or in ``PRIVATE/quarantine.csv`` (nothing silently lost);
- any PHI value of the export's truth (``truth/phi.jsonl``) on stdout or stderr.

Unreadable files and folders are made with ``chmod 000``; as root (whom modes do not stop)
such a case runs under ``setpriv`` without the capabilities that bypass file modes, or is
reported "not testable as root" when that is impossible. A full disk and a read-only folder
are tmpfs mounts (as root), else the case is skipped with the reason.

The Markdown table goes to ``benchmarks/results/fault_campaign.md``.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import gzip
import io
import os
import re
import shutil
import signal
import socket
import sqlite3
import stat
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian

from cxrkit.sources.synth.truth import phi_strings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "fault_campaign.md"
PATIENTS, SEED = 3, 5
NORMAL = (0, 3)
NO_DAC = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]
BINARY = bytes(range(256)) * 16


@dataclass
class Ctx:
    """One case's folders and how it is run."""

    base: Path
    src: Path
    out: Path
    private: Path
    truth: Path
    args: list[str] = field(default_factory=list)  # extra build options
    command: list[str] | None = None  # another command instead of build
    prefix: list[str] = field(default_factory=list)  # e.g. setpriv
    skip: str = ""  # why the case cannot run here
    during: Callable[[subprocess.Popen[str]], None] | None = None
    rerun: bool = False  # after the fault is undone, run the same build again
    same_release: bool = False  # and the release must equal the baseline's, byte for byte
    undo: list[Callable[[], None]] = field(default_factory=list)


@dataclass(frozen=True)
class Case:
    name: str
    group: str
    apply: Callable[[Ctx], None]
    expect: tuple[int, ...]
    mode: str = "rerun"  # "rerun": start from the baseline release; "fresh": empty OUT


CASES: list[Case] = []


def case(
    group: str, name: str, expect: tuple[int, ...] = NORMAL, mode: str = "rerun"
) -> Callable[[Callable[[Ctx], None]], Callable[[Ctx], None]]:
    def register(fn: Callable[[Ctx], None]) -> Callable[[Ctx], None]:
        CASES.append(Case(name, group, fn, expect, mode))
        return fn

    return register


# ---------------------------------------------------------------- helpers on the export


def truth_rows(ctx: Ctx, name: str) -> list[dict[str, str]]:
    with (ctx.truth / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def base_image(ctx: Ctx) -> Path:
    """A released source image with uncompressed pixels (fast to rewrite), else any."""
    rows = [
        r
        for r in truth_rows(ctx, "images.csv")
        if r["chest"] == "True" and r["has_report"] == "True" and not r["broken"]
    ]
    plain = [
        r for r in rows if r["transfer_syntax"] in ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2")
    ]
    released = released_sources(ctx)
    for row in plain + rows:
        if row["file"].removeprefix("dicom/") in released:
            return ctx.src / row["file"]
    return ctx.src / rows[0]["file"]


BASE_RELEASED: set[str] = set()


def released_sources(ctx: Ctx) -> set[str]:
    return BASE_RELEASED


def dataset(ctx: Ctx, tag: str, **changes: object) -> Dataset:
    """The base image's dataset with a new SOP Instance UID (so it is a new image)."""
    ds = pydicom.dcmread(base_image(ctx), force=True)
    uid = "1.2.999.77." + str(int.from_bytes(tag.encode()[:12].ljust(12, b"0"), "big"))
    ds.SOPInstanceUID = uid
    ds.file_meta.MediaStorageSOPInstanceUID = uid
    for keyword, value in changes.items():
        if value is None:
            if keyword in ds:
                delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    return ds


def save(ds: Dataset, path: Path, **kwargs: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=kwargs.pop("enforce", True), **kwargs)  # type: ignore[arg-type]
    return path


def plant(ctx: Ctx, rel: str, data: bytes) -> Path:
    path = ctx.src / "dicom" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def good_bytes(ctx: Ctx, tag: str, **changes: object) -> bytes:
    buf = io.BytesIO()
    dataset(ctx, tag, **changes).save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def ris_csv(ctx: Ctx) -> Path:
    files = sorted((ctx.src / "reports").glob("*.csv"))
    return max(files, key=lambda p: p.stat().st_size)


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def write_rows(
    path: Path,
    fields: list[str],
    rows: list[dict[str, str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    newline: str = "\n",
) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, delimiter=delimiter, lineterminator=newline)
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def edit_rows(ctx: Ctx, fn: Callable[[list[str], list[dict[str, str]]], None], **kw: str) -> None:
    path = ris_csv(ctx)
    fields, rows = read_rows(path)
    fn(fields, rows)
    write_rows(path, fields, rows, **kw)  # type: ignore[arg-type]


def hl7_file(ctx: Ctx) -> Path:
    return next((ctx.src / "reports").rglob("*.hl7"))


def hl7_messages(ctx: Ctx) -> list[str]:
    text = hl7_file(ctx).read_bytes().decode("utf-8")  # segment ends kept as they are
    return [m for m in re.split(r"(?=MSH\|)", text) if m.startswith("MSH")]


def write_hl7(ctx: Ctx, messages: list[str], encoding: str = "utf-8") -> None:
    hl7_file(ctx).write_bytes("".join(messages).encode(encoding))


def other_mrn(ctx: Ctx, mrn: str) -> str:
    return min({r["mrn"] for r in truth_rows(ctx, "studies.csv")} - {mrn})


def base_row(ctx: Ctx) -> dict[str, str]:
    rel = base_image(ctx).relative_to(ctx.src).as_posix()
    return next(r for r in truth_rows(ctx, "images.csv") if r["file"] == rel)


def mount_tmpfs(ctx: Ctx, which: str, size: str, *, fill: bool = False, ro: bool = False) -> bool:
    """Move ``ctx.out`` or ``ctx.private`` (``which``) onto a tmpfs of its own (``size``, or
    "auto": what it holds and 2 MB more), filled up or read-only; False when impossible."""
    where: Path = getattr(ctx, which)
    disk = ctx.base / f"{which}-disk"
    disk.mkdir()
    if size == "auto":
        files = [p for p in where.rglob("*") if p.is_file()] if where.exists() else []
        used = sum(p.stat().st_size // 4096 * 4 + 8 for p in files)  # KiB in 4 KiB pages
        size = f"{used + 2048}k"
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)],
                       check=True, capture_output=True)  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return False
    moved = disk / where.name
    if where.exists():
        shutil.copytree(where, moved, symlinks=True)
        shutil.rmtree(where)
    setattr(ctx, which, moved)
    if fill:
        _fill(disk / "filler")  # beside the folder, on the same device

    def undo() -> None:
        subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=False, capture_output=True)
        if moved.exists():
            shutil.copytree(moved, where, symlinks=True)
        subprocess.run(["umount", str(disk)], check=False, capture_output=True)
        setattr(ctx, which, where)

    ctx.undo.append(undo)
    if ro:
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True, capture_output=True)
    return True


def _fill(path: Path) -> None:
    """Write zeros to ``path`` until the disk is full."""
    try:
        with path.open("wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
    except OSError:
        return


def needs_mount(ctx: Ctx, which: str, size: str, **kw: bool) -> None:
    if os.geteuid() != 0 or not mount_tmpfs(ctx, which, size, **kw):
        ctx.skip = "tmpfs not mountable here (needs root)"


def lock(ctx: Ctx, path: Path) -> None:
    """Make ``path`` unreadable; as root, run the case without the capabilities that bypass
    file modes (setpriv), or mark it not testable."""
    path.chmod(0)
    ctx.undo.append(lambda: path.chmod(0o755))
    if os.geteuid() == 0:
        if shutil.which("setpriv") and _setpriv_works():
            ctx.prefix = NO_DAC
        else:
            ctx.skip = "not testable as root (chmod does not stop root; no setpriv)"


def _setpriv_works() -> bool:
    result = subprocess.run([*NO_DAC, "true"], capture_output=True, check=False)
    return result.returncode == 0


# ---------------------------------------------------------------- DICOM faults


def _raw(ctx: Ctx, tag: str) -> bytes:
    return good_bytes(ctx, tag)


def _swap_vr(data: bytes, group: int, element: int, vr: bytes) -> bytes:
    tag = struct.pack("<HH", group, element)
    at = data.index(tag, 132)
    return data[: at + 4] + vr + data[at + 6 :]


def _bad_length(data: bytes) -> bytes:
    """PatientName's 2-byte length set to 32767 (beyond the end of the data set)."""
    at = data.index(struct.pack("<HH", 0x0010, 0x0010), 132)
    return data[: at + 6] + b"\xff\x7f" + data[at + 8 :]


def _deep(data: bytes, depth: int) -> bytes:
    sq = struct.pack("<HH", 0x0008, 0x1110) + b"SQ\0\0" + b"\xff\xff\xff\xff"
    item = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    ends = struct.pack("<HHI", 0xFFFE, 0xE00D, 0) + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    at = data.index(struct.pack("<HH", 0x0010, 0x0010), 132)
    return data[:at] + (sq + item) * depth + ends * depth + data[at:]


def _dicom_cases() -> None:
    raw_faults: dict[str, tuple[str, Callable[[Ctx], bytes]]] = {
        "unknown VR UM on PatientName": (
            "x/um",
            lambda c: _swap_vr(_raw(c, "um"), 0x10, 0x10, b"UM"),
        ),
        "unknown VR ZZ on StudyDate": (
            "x/zz",
            lambda c: _swap_vr(_raw(c, "zz"), 0x08, 0x20, b"ZZ"),
        ),
        "sequences nested 3000 deep": ("x/deep3000", lambda c: _deep(_raw(c, "d3"), 3000)),
        "sequences nested 20000 deep": ("x/deep20000", lambda c: _deep(_raw(c, "d20"), 20000)),
        "sequences nested 50 deep (fine)": ("x/deep50", lambda c: _deep(_raw(c, "d50"), 50)),
        "truncated at 50%": ("x/half", lambda c: (d := _raw(c, "half"))[: len(d) // 2]),
        "truncated at 99%": ("x/most", lambda c: (d := _raw(c, "most"))[: len(d) - 100]),
        "truncated inside the header": ("x/head", lambda c: _raw(c, "head")[:400]),
        "only preamble and DICM": ("x/dicm", lambda c: b"\0" * 128 + b"DICM"),
        "zero bytes": ("x/empty.dcm", lambda c: b""),
        "one byte": ("x/one.dcm", lambda c: b"\x01"),
        "random bytes": ("x/random.dcm", lambda c: os.urandom(5000)),
        "a text file": ("x/readme.txt", lambda c: b"exported by the PACS\n"),
        "a JPEG file": ("x/thumb.jpg", lambda c: b"\xff\xd8\xff\xe0\0\x10JFIF\0" + b"\0" * 64),
        "a gzip file": ("x/image.dcm.gz", lambda c: gzip.compress(_raw(c, "gz"), mtime=0)),
        "hidden .DS_Store": ("x/.DS_Store", lambda c: b"\0\0\0\1Bud1" + b"\0" * 100),
        "element length beyond the end": ("x/badlen", lambda c: _bad_length(_raw(c, "badlen"))),
    }
    for name, (rel, make) in raw_faults.items():

        def apply(ctx: Ctx, rel: str = rel, make: Callable[[Ctx], bytes] = make) -> None:
            plant(ctx, rel, make(ctx))

        case("DICOM", name, (0, 3) if "fine" in name else (3,))(apply)

    edits: dict[str, tuple[dict[str, object], tuple[int, ...]]] = {
        "no PatientID": ({"PatientID": None}, (3,)),
        "empty PatientID": ({"PatientID": ""}, (3,)),
        "no SOPInstanceUID": ({"SOPInstanceUID": None}, (3,)),
        "no AccessionNumber and no StudyInstanceUID": (
            {"AccessionNumber": None, "StudyInstanceUID": None},
            (3,),
        ),
        "no AccessionNumber (study has no report)": ({"AccessionNumber": None}, (3,)),
        "no PixelData": ({"PixelData": None}, (3,)),
        "pixel data too short": ({"Rows": 4096, "Columns": 4096}, (3,)),
        "BitsAllocated 12": ({"BitsAllocated": 12}, (3,)),
        "PhotometricInterpretation RGB on 1 sample": ({"PhotometricInterpretation": "RGB"}, (0, 3)),
        "not chest (PELVIS)": (
            {"BodyPartExamined": "PELVIS", "StudyDescription": "PELVIS AP"},
            (0, 3),
        ),
        "accession without report": ({"AccessionNumber": "ZZ0000001"}, (3,)),
        "StudyDate invalid": ({"StudyDate": "20151345"}, (0, 3)),
        "StudyDate empty": ({"StudyDate": ""}, (0, 3)),
        "SpecificCharacterSet unknown": ({"SpecificCharacterSet": "ISO_IR 999"}, (0, 3)),
        "SpecificCharacterSet Latin-1 name": (
            {"SpecificCharacterSet": "ISO_IR 100", "PatientName": "Muñoz^José"},
            (0, 3),
        ),
        "Patient ID with trailing spaces": ({"PatientID": None}, (0, 3)),  # set below
    }
    for name, (changes, expect) in edits.items():

        def apply(ctx: Ctx, name: str = name, changes: dict[str, object] = changes) -> None:
            extra = dict(changes)
            if name.startswith("Patient ID with trailing"):
                extra["PatientID"] = base_row(ctx)["mrn"] + "   "
            save(dataset(ctx, name, **extra), ctx.src / "dicom" / "x" / f"edit{len(name)}")

        case("DICOM", name, expect)(apply)


def _dicom_good_cases() -> None:
    @case("DICOM", "dataset without preamble or file meta (good)")
    def _(ctx: Ctx) -> None:
        ds = dataset(ctx, "nopre")
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.decompress() if ds.file_meta.TransferSyntaxUID.is_compressed else None
        del ds.file_meta
        ds.preamble = None
        path = ctx.src / "dicom" / "x" / "raw"
        path.parent.mkdir(parents=True)
        ds.save_as(path, implicit_vr=True, little_endian=True, enforce_file_format=False)

    @case("DICOM", "big-endian explicit VR (retired syntax, good)")
    def _(ctx: Ctx) -> None:
        ds = dataset(ctx, "bigend")
        if ds.file_meta.TransferSyntaxUID.is_compressed:
            ds.decompress()
        ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
        path = ctx.src / "dicom" / "x" / "bigendian"
        path.parent.mkdir(parents=True)
        pydicom.dcmwrite(path, ds, implicit_vr=False, little_endian=False, force_encoding=True)

    @case("DICOM", "burned-in text not proven gone (the export's own)", (3,))
    def _(ctx: Ctx) -> None:
        aside = ctx.base.parent.parent / "baseline" / "aside"
        if not aside.is_dir():
            ctx.skip = "the export has no such image"
            return
        shutil.copytree(aside, ctx.src / "dicom", dirs_exist_ok=True)

    @case("DICOM", "duplicate SOP Instance UID (a copy)", (3,))
    def _(ctx: Ctx) -> None:
        plant(ctx, "x/copy.dcm", base_image(ctx).read_bytes())

    @case("DICOM", "image of another patient in a study", (3,))
    def _(ctx: Ctx) -> None:
        mrn = other_mrn(ctx, base_row(ctx)["mrn"])
        save(dataset(ctx, "otherpat", PatientID=mrn), ctx.src / "dicom" / "x" / "stray")

    @case("DICOM", "Patient ID differing in case from its study's", (3,))
    def _(ctx: Ctx) -> None:
        mrn = base_row(ctx)["mrn"]
        changed = mrn.swapcase() if mrn.swapcase() != mrn else mrn + "a"
        save(dataset(ctx, "casepat", PatientID=changed), ctx.src / "dicom" / "x" / "case")

    @case("DICOM", "another patient's accession (one study id, two subjects)", (3,))
    def _(ctx: Ctx) -> None:
        row = base_row(ctx)
        other = next(
            s for s in truth_rows(ctx, "studies.csv")
            if s["mrn"] != row["mrn"] and s["chest"] == "True" and s["report_form"] == "csv"
        )  # fmt: skip
        ds = dataset(ctx, "otheracc", AccessionNumber=other["accession"])
        save(ds, ctx.src / "dicom" / "x" / "otheracc")


def _dicom_entry_cases() -> None:
    @case("DICOM", "non-UTF-8 file name (good image)")
    def _(ctx: Ctx) -> None:
        folder = ctx.src / "dicom" / os.fsdecode(b"Mu\xf1oz")
        folder.mkdir()
        save(dataset(ctx, "latin1"), folder / os.fsdecode(b"Jos\xe9.dcm"))

    @case("DICOM", "non-UTF-8 file name (not DICOM)", (3,))
    def _(ctx: Ctx) -> None:
        (ctx.src / "dicom" / os.fsdecode(b"notes_\xe9t\xe9.txt")).write_bytes(b"x\n")

    @case("DICOM", "FIFO", (3,))
    def _(ctx: Ctx) -> None:
        os.mkfifo(ctx.src / "dicom" / "pipe")

    @case("DICOM", "Unix socket", (3,))
    def _(ctx: Ctx) -> None:
        path = ctx.src / "dicom" / "sock"
        if len(os.fsencode(path)) > 100:
            ctx.skip = "socket path too long"
            return
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()

    @case("DICOM", "symlink loop", (3,))
    def _(ctx: Ctx) -> None:
        (ctx.src / "dicom" / "loop").symlink_to("loop")

    @case("DICOM", "symlink loop between two folders", (3,))
    def _(ctx: Ctx) -> None:
        (ctx.src / "dicom" / "a").mkdir()
        (ctx.src / "dicom" / "a" / "up").symlink_to("..")

    @case("DICOM", "dangling symlink", (3,))
    def _(ctx: Ctx) -> None:
        (ctx.src / "dicom" / "gone.dcm").symlink_to("/nonexistent/file.dcm")

    @case("DICOM", "symlink to a good file outside dicom/")
    def _(ctx: Ctx) -> None:
        outside = ctx.base / "elsewhere.dcm"
        outside.write_bytes(good_bytes(ctx, "linked"))
        (ctx.src / "dicom" / "linked.dcm").symlink_to(outside)

    @case("DICOM", "empty folder")
    def _(ctx: Ctx) -> None:
        (ctx.src / "dicom" / "empty" / "deeper").mkdir(parents=True)

    @case("DICOM", "unreadable file (mode 000)", (3,))
    def _(ctx: Ctx) -> None:
        path = plant(ctx, "x/locked.dcm", good_bytes(ctx, "locked"))
        lock(ctx, path)

    @case("DICOM", "unreadable folder (mode 000)", (3,))
    def _(ctx: Ctx) -> None:
        plant(ctx, "lockeddir/IM1", good_bytes(ctx, "lockeddir"))
        lock(ctx, ctx.src / "dicom" / "lockeddir")

    @case("DICOM", "folder readable but not searchable (mode 644)", (3,))
    def _(ctx: Ctx) -> None:
        plant(ctx, "noexec/IM1", good_bytes(ctx, "noexec"))
        lock(ctx, ctx.src / "dicom" / "noexec")
        (ctx.src / "dicom" / "noexec").chmod(0o644)

    @case("DICOM", "a study's source removed (rerun)")
    def _(ctx: Ctx) -> None:
        shutil.rmtree(base_image(ctx).parent)


# ---------------------------------------------------------------- report faults (RIS CSV)


def _encoded(encoding: str, bom: bytes = b"") -> Callable[[Ctx], None]:
    def apply(ctx: Ctx) -> None:
        path = ris_csv(ctx)
        fields, rows = read_rows(path)
        rows[0]["report_text"] += "\n Café, naïve."
        write_rows(path, fields, rows, encoding=encoding)
        if bom:
            path.write_bytes(bom + path.read_bytes())

    return apply


def _csv_cases() -> None:
    encodings = {
        "UTF-8 with BOM": ("utf-8", codecs.BOM_UTF8),
        "UTF-16 with BOM": ("utf-16-le", codecs.BOM_UTF16_LE),
        "UTF-16 BE with BOM": ("utf-16-be", codecs.BOM_UTF16_BE),
        "Windows-1252": ("cp1252", b""),
        "Latin-1": ("latin-1", b""),
        "Mac Roman (read as cp1252)": ("mac-roman", b""),
    }
    for name, (encoding, bom) in encodings.items():
        case("RIS CSV", f"encoding {name}")(_encoded(encoding, bom))

    def raw(data: Callable[[Ctx], bytes]) -> Callable[[Ctx], None]:
        def apply(ctx: Ctx) -> None:
            ris_csv(ctx).write_bytes(data(ctx))

        return apply

    text = lambda c: ris_csv(c).read_bytes()  # noqa: E731
    raws: dict[str, tuple[Callable[[Ctx], bytes], tuple[int, ...]]] = {
        "binary content": (lambda c: BINARY, (3,)),
        "UTF-16 without BOM": (lambda c: text(c).decode().encode("utf-16-le"), (3,)),
        "empty file": (lambda c: b"", (3,)),
        "header row only": (lambda c: text(c).split(b"\n")[0] + b"\n", (3,)),
        "CRLF line ends": (lambda c: text(c).replace(b"\n", b"\r\n"), (0, 3)),
        "old Mac CR line ends": (lambda c: text(c).replace(b"\n", b"\r"), (0, 3)),
        "NUL byte in a report": (
            lambda c: text(c).replace(b"IMPRESSION", b"IMPRE\0SSION", 1),
            (3,),
        ),
        "quote never closed in the last row": (
            lambda c: text(c).rstrip(b"\n")[:-5] + b'"x\n',
            (3,),
        ),
        "quote never closed mid-file": (
            lambda c: text(c).replace(b"\n", b'\n"', 2).replace(b'\n"', b"\n", 1),
            (3,),
        ),
        "broken quoting in the header": (lambda c: b'"accession_number,' + text(c), (3,)),
        "trailing blank lines": (lambda c: text(c) + b"\n\n\n", (0, 3)),
        "a 2 MB report cell": (
            lambda c: text(c).replace(b"IMPRESSION:", b"IMPRESSION: " + b"clear. " * 300000, 1),
            (0, 3),
        ),
    }
    for name, (data, expect) in raws.items():
        case("RIS CSV", name, expect)(raw(data))

    for name, delim in (("semicolon", ";"), ("tab", "\t"), ("pipe", "|")):
        case("RIS CSV", f"{name}-separated", (3,))(
            lambda ctx, d=delim: edit_rows(ctx, lambda f, r: None, delimiter=d)
        )

    def rename(old: str, new: str) -> Callable[[list[str], list[dict[str, str]]], None]:
        def fn(fields: list[str], rows: list[dict[str, str]]) -> None:
            fields[fields.index(old)] = new
            for row in rows:
                row[new] = row.pop(old)

        return fn

    for old, new in (
        ("patient_id", "patient id"),
        ("report_text", "Report"),
        ("accession_number", "acc"),
    ):
        case("RIS CSV", f"required column misnamed: {new!r}", (3,))(
            lambda ctx, o=old, n=new: edit_rows(ctx, rename(o, n))
        )

    def drop_column(fields: list[str], rows: list[dict[str, str]]) -> None:
        fields.remove("report_text")
        for row in rows:
            row.pop("report_text")

    case("RIS CSV", "required column missing", (3,))(lambda ctx: edit_rows(ctx, drop_column))


def _csv_row_cases() -> None:
    @case("RIS CSV", "a column named twice", (3,))
    def _(ctx: Ctx) -> None:
        path = ris_csv(ctx)
        lines = path.read_bytes().split(b"\n", 1)
        path.write_bytes(lines[0] + b",patient_id\n" + lines[1].replace(b"\n", b",X\n"))

    @case("RIS CSV", "a row with an extra cell", (3,))
    def _(ctx: Ctx) -> None:
        path = ris_csv(ctx)
        head, rest = path.read_bytes().split(b"\n", 1)
        path.write_bytes(head + b"\n" + rest.replace(b"\n", b",extra\n", 1))

    @case("RIS CSV", "a row with cells missing", (3,))
    def _(ctx: Ctx) -> None:
        path = ris_csv(ctx)
        path.write_bytes(path.read_bytes() + b"A999,123\n")

    def row_edit(fn: Callable[[dict[str, str], Ctx], None]) -> Callable[[Ctx], None]:
        def apply(ctx: Ctx) -> None:
            path = ris_csv(ctx)
            fields, rows = read_rows(path)
            fn(rows[0], ctx)
            write_rows(path, fields, rows)

        return apply

    row_faults: dict[str, tuple[Callable[[dict[str, str], Ctx], None], tuple[int, ...]]] = {
        "empty accession": (lambda r, c: r.update(accession_number=""), (3,)),
        "empty patient_id": (lambda r, c: r.update(patient_id=""), (3,)),
        "empty report text": (lambda r, c: r.update(report_text=""), (3,)),
        "patient_id of another patient": (
            lambda r, c: r.update(patient_id=other_mrn(c, r["patient_id"])),
            (3,),
        ),
        "patient_id with a letter added": (
            lambda r, c: r.update(patient_id=r["patient_id"].lower() + "x"),
            (3,),
        ),
        "patient_id with stray spaces": (
            lambda r, c: r.update(patient_id=f"  {r['patient_id']} "),
            (0, 3),
        ),
        "accession with stray spaces": (
            lambda r, c: r.update(accession_number=f" {r['accession_number']}  "),
            (0, 3),
        ),
        "patient_id with leading zeros added": (
            lambda r, c: r.update(patient_id="00" + r["patient_id"]),
            (3,),
        ),
        "accession of a study without images": (
            lambda r, c: r.update(accession_number="ZZ0000002"),
            (3,),
        ),
    }
    for name, (fn, expect) in row_faults.items():
        case("RIS CSV", name, expect)(row_edit(fn))

    @case("RIS CSV", "the same accession twice", (3,))
    def _(ctx: Ctx) -> None:
        edit_rows(ctx, lambda f, r: r.append(dict(r[0])))

    @case("RIS CSV", "an unknown extra column and columns shuffled")
    def _(ctx: Ctx) -> None:
        def fn(fields: list[str], rows: list[dict[str, str]]) -> None:
            fields.reverse()
            fields.append("comment")
            for row in rows:
                row["comment"] = "ok"

        edit_rows(ctx, fn)

    @case("RIS CSV", "a symlink loop named x.csv", (3,))
    def _(ctx: Ctx) -> None:
        (ctx.src / "reports" / "loop.csv").symlink_to("loop.csv")

    @case("RIS CSV", "a folder named x.csv", (0, 3))
    def _(ctx: Ctx) -> None:
        (ctx.src / "reports" / "folder.csv").mkdir()

    @case("RIS CSV", "a FIFO named x.csv", (3,))
    def _(ctx: Ctx) -> None:
        os.mkfifo(ctx.src / "reports" / "pipe.csv")

    @case("RIS CSV", "unreadable CSV (mode 000)", (3,))
    def _(ctx: Ctx) -> None:
        lock(ctx, ris_csv(ctx))

    @case("RIS CSV", "unreadable reports/ subfolder (mode 000)", (3,))
    def _(ctx: Ctx) -> None:
        lock(ctx, hl7_file(ctx).parent)


# ---------------------------------------------------------------- report faults (HL7)


def _hl7_cases() -> None:
    def msgs(
        fn: Callable[[list[str], Ctx], list[str]], encoding: str = "utf-8"
    ) -> Callable[[Ctx], None]:
        def apply(ctx: Ctx) -> None:
            write_hl7(ctx, fn(hl7_messages(ctx), ctx), encoding)

        return apply

    def cut(at: str) -> Callable[[list[str], Ctx], list[str]]:
        def fn(m: list[str], ctx: Ctx) -> list[str]:  # the first (good) message, cut, last
            first = m[0]
            i = first.rindex(at) if at in first else len(first) // 2
            return [*m[1:], first[: i + len(at) + 3]]

        return fn

    def drop(segment: str) -> Callable[[list[str], Ctx], list[str]]:
        return lambda m, c: [re.sub(rf"(^|\r){segment}\|[^\r]*", "", m[0], count=1), *m[1:]]

    faults: dict[str, tuple[Callable[[list[str], Ctx], list[str]], tuple[int, ...]]] = {
        "message cut inside an OBX": (cut("OBX|"), (3,)),
        "message cut inside the PID": (cut("PID|"), (3,)),
        "message cut inside the MSH": (lambda m, c: [*m[1:], m[0][:12]], (3,)),
        "no PID segment": (drop("PID"), (3,)),
        "no OBR segment": (drop("OBR"), (3,)),
        "no OBX segment": (lambda m, c: [re.sub(r"\rOBX\|[^\r]*", "", m[0]), *m[1:]], (3,)),
        "malformed escape sequence": (
            lambda m, c: [m[0].replace("PID|", "PID|\\Zq\\", 1), *m[1:]],
            (3,),
        ),
        "escape in the patient name": (
            lambda m, c: [re.sub(r"(PID(\|[^|\r]*){4}\|)", r"\1\\Zz\\", m[0], count=1), *m[1:]],
            (0, 3),
        ),
        "segments before the first MSH": (lambda m, c: ["PID|1||X\r", *m], (3,)),
        "no MSH at all": (lambda m, c: [x.replace("MSH|", "XSH|") for x in m], (3,)),
        "LF segment ends": (lambda m, c: [x.replace("\r", "\n") for x in m], (0, 3)),
        "CRLF segment ends": (lambda m, c: [x.replace("\r", "\r\n") for x in m], (0, 3)),
        "MLLP framing": (lambda m, c: [f"\x0b{x}\x1c\r" for x in m], (0, 3)),
        "the same message twice": (lambda m, c: [*m, m[0]], (3,)),
        "empty PID-3": (
            lambda m, c: [
                re.sub(r"PID\|([^|]*)\|([^|]*)\|[^|]*", r"PID|\1|\2|", m[0], count=1),
                *m[1:],
            ],
            (3,),
        ),
        "PID-3 repeated (two ids)": (
            lambda m, c: [
                re.sub(r"(PID\|[^|]*\|[^|]*\|)([^|]*)", r"\1\2~999^^^OTHER^MR", m[0], count=1),
                *m[1:],
            ],
            (0, 3),
        ),
        "OBX-11 (result status) empty": (
            lambda m, c: [re.sub(r"\|F(\r|$)", r"|\1", m[0]), *m[1:]],
            (0, 3),
        ),
    }
    for name, (fn, expect) in faults.items():
        case("HL7", name, expect)(msgs(fn))
    case("HL7", "Windows-1252 with accents")(
        msgs(lambda m, c: [m[0].replace("OBX|", "OBX|", 1) + "NTE|1||Café\r", *m[1:]], "cp1252")
    )
    case("HL7", "UTF-8 with BOM")(
        lambda ctx: hl7_file(ctx).write_bytes(codecs.BOM_UTF8 + hl7_file(ctx).read_bytes())
    )
    case("HL7", "empty file", (3,))(lambda ctx: hl7_file(ctx).write_bytes(b""))
    case("HL7", "binary content", (3,))(lambda ctx: hl7_file(ctx).write_bytes(BINARY))


# ---------------------------------------------------------------- the source as a whole


def _source_cases() -> None:
    @case("source", "no dicom/ folder", (1,), "fresh")
    def _(ctx: Ctx) -> None:
        shutil.rmtree(ctx.src / "dicom")

    @case("source", "no reports/ folder", (1,), "fresh")
    def _(ctx: Ctx) -> None:
        shutil.rmtree(ctx.src / "reports")

    @case("source", "reports/ without a report file", (1,), "fresh")
    def _(ctx: Ctx) -> None:
        shutil.rmtree(ctx.src / "reports")
        (ctx.src / "reports").mkdir()
        (ctx.src / "reports" / "notes.txt").write_text("x")

    @case("source", "empty dicom/ folder", (3,), "fresh")
    def _(ctx: Ctx) -> None:
        shutil.rmtree(ctx.src / "dicom")
        (ctx.src / "dicom").mkdir()

    @case("source", "every report file bad", (3,), "fresh")
    def _(ctx: Ctx) -> None:
        for path in (ctx.src / "reports").rglob("*.*"):
            path.write_bytes(BINARY)

    @case("source", "SRC does not exist", (1, 2), "fresh")
    def _(ctx: Ctx) -> None:
        shutil.rmtree(ctx.src)

    @case("source", "OUT inside SRC", (1,), "fresh")
    def _(ctx: Ctx) -> None:
        ctx.out = ctx.src / "release"

    @case("source", "PRIVATE inside OUT", (1,), "fresh")
    def _(ctx: Ctx) -> None:
        ctx.private = ctx.out / "private"


# ---------------------------------------------------------------- options and patient lists


def _option_cases() -> None:
    def patients_file(
        option: str, label: str, data: Callable[[Ctx], bytes], expect: tuple[int, ...]
    ) -> None:
        def apply(ctx: Ctx) -> None:
            path = ctx.base / "list.csv"
            path.write_bytes(data(ctx))
            ctx.args += [option, str(path)]

        case("options", f"{option} {label}", expect)(apply)

    mrn = lambda c: base_row(c)["mrn"]  # noqa: E731
    for option in ("--withdraw", "--test-patients"):
        for label, data, expect in (
            ("(id alone)", lambda c: f"patient_id\n{mrn(c)}\n".encode(), NORMAL),
            (
                "with an issuer column",
                lambda c: f"patient_id,issuer_of_patient_id\n{mrn(c)},\n".encode(),
                NORMAL,
            ),
            (
                "in Windows-1252",
                lambda c: f"patient_id,note\n{mrn(c)},Café\n".encode("cp1252"),
                NORMAL,
            ),
            (
                "in UTF-16",
                lambda c: codecs.BOM_UTF16_LE + f"patient_id\n{mrn(c)}\n".encode("utf-16-le"),
                NORMAL,
            ),
            ("binary", lambda c: BINARY, (1,)),
            ("without a patient_id column", lambda c: f"mrn\n{mrn(c)}\n".encode(), (1,)),
            ("with broken quoting", lambda c: f'patient_id\n"{mrn(c)}\n'.encode(), (1,)),
        ):
            patients_file(option, label, data, expect)

    @case("options", "--withdraw then a rerun without it")
    def _(ctx: Ctx) -> None:
        path = ctx.base / "list.csv"
        path.write_text(f"patient_id\n{base_row(ctx)['mrn']}\n")
        ctx.args += ["--withdraw", str(path)]
        ctx.rerun = True

    @case("options", "--workers 0", (1, 2))
    def _(ctx: Ctx) -> None:
        ctx.args += ["--workers", "0"]

    @case("options", "--scheduler unreachable", (1,))
    def _(ctx: Ctx) -> None:
        ctx.args += ["--scheduler", "tcp://127.0.0.1:9"]


# ---------------------------------------------------------------- the machine and the trees


def _environment_cases() -> None:
    @case("environment", "disk full on OUT (tmpfs), then rerun on a larger disk", (4,), "fresh")
    def _(ctx: Ctx) -> None:
        needs_mount(ctx, "out", "600k")
        ctx.rerun = ctx.same_release = True

    @case("environment", "disk full on OUT while tables are rewritten", (4,))
    def _(ctx: Ctx) -> None:
        plant(ctx, "x/new.dcm", good_bytes(ctx, "diskfull"))
        needs_mount(ctx, "out", "auto", fill=True)
        ctx.rerun = True

    @case("environment", "disk full on PRIVATE (tmpfs)", (4,))
    def _(ctx: Ctx) -> None:
        plant(ctx, "x/new.dcm", good_bytes(ctx, "privfull"))
        needs_mount(ctx, "private", "auto", fill=True)
        ctx.rerun = True

    @case("environment", "OUT read-only (tmpfs ro)", (5,))
    def _(ctx: Ctx) -> None:
        needs_mount(ctx, "out", "auto", ro=True)

    @case("environment", "PRIVATE read-only (tmpfs ro)", (5,))
    def _(ctx: Ctx) -> None:
        needs_mount(ctx, "private", "auto", ro=True)

    @case("environment", "OUT not writable (mode 555)", (5,))
    def _(ctx: Ctx) -> None:
        lock(ctx, ctx.out)
        ctx.out.chmod(0o555)

    @case("environment", "keystore replaced by garbage", (6,))
    def _(ctx: Ctx) -> None:
        (ctx.private / "keystore.sqlite").write_bytes(BINARY)

    @case("environment", "keystore truncated", (6,))
    def _(ctx: Ctx) -> None:
        path = ctx.private / "keystore.sqlite"
        path.write_bytes(path.read_bytes()[:3000])

    @case("environment", "keystore zero bytes", (6, 7))
    def _(ctx: Ctx) -> None:
        (ctx.private / "keystore.sqlite").write_bytes(b"")

    @case("environment", "keystore without its tables", (6, 7))
    def _(ctx: Ctx) -> None:
        path = ctx.private / "keystore.sqlite"
        with sqlite3.connect(path) as conn:
            for (name,) in conn.execute(
                "select name from sqlite_master where type='table'"
            ).fetchall():
                conn.execute(f'drop table "{name}"')

    @case("environment", "key file of the wrong length", (6,))
    def _(ctx: Ctx) -> None:
        (ctx.private / "secret.key").write_bytes(b"short")

    @case("environment", "key file missing, keystore kept", (6,))
    def _(ctx: Ctx) -> None:
        (ctx.private / "secret.key").unlink()

    @case("environment", "key file unreadable (mode 000)", (6,))
    def _(ctx: Ctx) -> None:
        lock(ctx, ctx.private / "secret.key")

    @case("environment", "PRIVATE is a file", (1, 2, 5, 6))
    def _(ctx: Ctx) -> None:
        shutil.rmtree(ctx.private)
        ctx.private.write_text("not a folder")

    @case("environment", "OUT is a file", (1, 2, 5))
    def _(ctx: Ctx) -> None:
        shutil.rmtree(ctx.out)
        ctx.out.write_text("not a folder")


def _tree_cases() -> None:
    @case("environment", "a foreign file in OUT (holds a name and MRN)", (7,))
    def _(ctx: Ctx) -> None:
        row = base_row(ctx)
        (ctx.out / "files" / f"{row['mrn']}.txt").write_text(f"patient {row['mrn']}\n")

    @case("environment", "another workspace's release in OUT", (7,))
    def _(ctx: Ctx) -> None:
        shutil.rmtree(ctx.private)

    @case("environment", "a stray temporary file in OUT")
    def _(ctx: Ctx) -> None:
        (ctx.out / "files" / ".tmp-s12345678.txt").write_text("half")

    @case("environment", "a release table deleted")
    def _(ctx: Ctx) -> None:
        (ctx.out / "cxr-record-list.csv.gz").unlink()

    @case("environment", "a released image truncated")
    def _(ctx: Ctx) -> None:
        image = next((ctx.out / "files").rglob("*.dcm"))
        image.write_bytes(image.read_bytes()[:1000])

    for sig in ("SIGKILL", "SIGTERM", "SIGINT"):

        def apply(ctx: Ctx, sig: str = sig) -> None:
            ctx.during = lambda proc: _signal_after(proc, getattr(signal, sig), 12.0)
            ctx.rerun = ctx.same_release = True

        case(
            "environment",
            f"{sig} during the build, then rerun",
            (-9, -15, 130, 1, 3, 0, -2),
            "fresh",
        )(apply)

    # SIGKILL swept over the build's run (its stages: discover, plan, keystore, images,
    # reports, tables, checksums): whichever point it hits, the rerun gives the same release
    for seconds in (0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 16.0, 24.0):

        def kill_at(ctx: Ctx, seconds: float = seconds) -> None:
            ctx.during = lambda proc: _signal_after(proc, signal.SIGKILL, seconds)
            ctx.rerun = ctx.same_release = True

        case(
            "environment",
            f"SIGKILL {seconds:g} s into the build, then rerun",
            (-9, 3, 0),
            "fresh",
        )(kill_at)

    @case("environment", "a worker process killed (SIGKILL from outside)", NORMAL, "fresh")
    def _(ctx: Ctx) -> None:
        ctx.during = _kill_a_worker


def _signal_after(proc: subprocess.Popen[str], sig: int, seconds: float) -> None:
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.send_signal(sig)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _kill_a_worker(proc: subprocess.Popen[str]) -> None:
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        kids = _children(proc.pid)
        if len(kids) >= 2:  # the pool's workers (and its resource tracker)
            time.sleep(4)
            os.kill(kids[-1], signal.SIGKILL)
            return
        time.sleep(0.5)


# ---------------------------------------------------------------- other commands


def _command_cases() -> None:
    def cmd(name: str, expect: tuple[int, ...], make: Callable[[Ctx], list[str]]) -> None:
        def apply(ctx: Ctx) -> None:
            ctx.command = make(ctx)

        case("other commands", name, expect)(apply)

    def file(ctx: Ctx, name: str, data: bytes) -> str:
        path = ctx.base / name
        path.write_bytes(data)
        return str(path)

    texts = lambda c: b"".join(  # noqa: E731
        b'"' + r["report_text"].replace('"', '""').encode() + b'"\n'
        for r in read_rows(ris_csv(c))[1]
    )
    cmd(
        "stats on an empty folder",
        (1,),
        lambda c: ["stats", str(Path(tempfile.mkdtemp(dir=c.base))), "-o", str(c.base / "st")],
    )
    cmd(
        "stats on the source folder",
        (1,),
        lambda c: ["stats", str(c.src), "-o", str(c.base / "st")],
    )
    cmd(
        "verify on an empty folder",
        (1,),
        lambda c: ["verify", str(Path(tempfile.mkdtemp(dir=c.base)))],
    )
    cmd(
        "verify with a wrong private workspace",
        (1,),
        lambda c: [
            "verify",
            str(c.out),
            "--private",
            str(Path(tempfile.mkdtemp(dir=c.base))),
            "--no-ocr",
        ],
    )
    for command in ("deid-text", "label"):
        for label, data, expect in (
            ("a binary file", lambda c: BINARY, (1,)),
            ("Windows-1252 reports", lambda c: texts(c).decode().encode("cp1252", "replace"), (0,)),
        ):
            cmd(
                f"{command} on {label}",
                expect,
                lambda c, command=command, data=data: [
                    command, file(c, "in.csv", data(c)), "-o", str(c.base / "o.csv"), "-q",
                ],
            )  # fmt: skip

    def sections_tree(ctx: Ctx) -> list[str]:
        tree = ctx.base / "texts"
        shutil.copytree(ctx.out / "files", tree)
        (tree / "s99999999.txt").mkdir()
        (tree / "s88888888.txt").symlink_to("s88888888.txt")
        return ["sections", str(tree), "-o", str(ctx.base / "sec"), "-q"]

    cmd("sections with a folder and a loop named s*.txt", (0,), sections_tree)

    def deid_tree(ctx: Ctx) -> list[str]:
        tree = ctx.base / "tree"
        shutil.copytree(ctx.src / "dicom", tree, symlinks=True)
        (tree / "loop").symlink_to("loop")
        (tree / "zero.dcm").write_bytes(b"")
        return [
            "deid-dicom",
            str(tree),
            str(ctx.base / "deid"),
            "--private",
            str(ctx.base / "dp"),
            "-q",
            "--workers",
            "1",
        ]

    cmd("deid-dicom on a tree with bad files", (0, 3), deid_tree)


def register() -> None:
    _dicom_cases()
    _dicom_good_cases()
    _dicom_entry_cases()
    _csv_cases()
    _csv_row_cases()
    _hl7_cases()
    _source_cases()
    _option_cases()
    _environment_cases()
    _tree_cases()
    _command_cases()


# ---------------------------------------------------------------- running and judging


def cxrkit(
    args: list[str],
    prefix: list[str] | None = None,
    during: Callable[[subprocess.Popen[str]], None] | None = None,
) -> tuple[int, str]:
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [*(prefix or []), sys.executable, "-m", "cxrkit.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="backslashreplace",
        env=env,
        start_new_session=True,
    )
    if during is not None:
        during(proc)
    try:
        out, err = proc.communicate(timeout=1200)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return -999, out + err
    return proc.returncode, out + err


def build_args(ctx: Ctx) -> list[str]:
    return [
        "build",
        str(ctx.src),
        str(ctx.out),
        "--private",
        str(ctx.private),
        "--workers",
        "2",
        "-q",
        *ctx.args,
    ]


def escaped(rel: str) -> str:
    return os.fsencode(rel).decode("utf-8", errors="backslashreplace")


def source_entries(dicom: Path) -> dict[str, Path]:
    """Every entry under dicom/ as the quarantine list names it (files, links, special files,
    and folders that cannot be listed), with its path."""
    found: dict[str, Path] = {}

    def add(path: Path) -> None:
        found[escaped(path.relative_to(dicom).as_posix())] = path

    for folder, dirs, names in os.walk(dicom, onerror=lambda e: add(Path(e.filename))):
        for name in names:
            add(Path(folder) / name)
        for name in [d for d in dirs if (Path(folder) / d).is_symlink()]:
            add(Path(folder) / name)
    return found


def unaccounted(ctx: Ctx) -> list[str]:
    """Source entries and report rows or messages neither released nor quarantined (an entry
    inside a folder listed as unreadable is accounted for by the folder)."""
    listed: dict[str, set[str]] = {}
    qpath = ctx.private / "quarantine.csv"
    if qpath.exists():
        with qpath.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                listed.setdefault(row["source"], set()).add(row["item"])
    sop_to_id: dict[str, str] = {}
    acc_to_study: dict[str, int] = {}
    ks = ctx.private / "keystore.sqlite"
    if ks.exists():
        with sqlite3.connect(ks) as conn:
            sop_to_id = dict(conn.execute("select sop_instance_uid, dicom_id from images"))
            acc_to_study = dict(conn.execute("select source_study, study_id from studies"))
    released_ids = {r["dicom_id"] for r in _table(ctx.out / "cxr-record-list.csv.gz")}
    released_studies = {int(r["study_id"]) for r in _table(ctx.out / "cxr-study-list.csv.gz")}
    missing = []
    dicom = ctx.src / "dicom"
    entries = source_entries(dicom) if dicom.is_dir() else {}
    for rel, path in sorted(entries.items()):
        parts = rel.split("/")
        if any("/".join(parts[:n]) in listed for n in range(1, len(parts) + 1)):
            continue
        if sop_to_id.get(_sop(path) or "") not in released_ids:
            missing.append(f"dicom/{rel}")
    for report, items in _report_items(ctx.src / "reports").items():
        rel = report.relative_to(ctx.src).as_posix()
        got = listed.get(escaped(rel), set())
        folders = ["/".join(rel.split("/")[:n]) for n in range(1, rel.count("/") + 1)]
        if "" in got or "file" in got or any(f in listed for f in folders):
            continue
        starts = [int(m.group(1)) for i in got if (m := re.fullmatch(r"rows (\d+)-", i))]
        for n, accession in items:
            if {str(n), f"row {n}", f"message {n}"} & got or (starts and n >= min(starts)):
                continue
            study = acc_to_study.get(f"acc:{accession}")
            if study is None or int(study) not in released_studies:
                missing.append(f"{rel} [{n}]")
    return missing


def _table(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _sop(path: Path) -> str | None:
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None
        return str(pydicom.dcmread(path, stop_before_pixels=True, force=True).SOPInstanceUID)
    except Exception:
        return None


def _report_items(reports: Path) -> dict[Path, list[tuple[int, str]]]:
    """Each report file's rows or messages: (item as the quarantine list names it, accession)."""
    from cxrkit.sources.textfile import decode_text

    found: dict[Path, list[tuple[int, str]]] = {}
    if not reports.is_dir():
        return found
    for path in sorted(reports.rglob("*")):
        if path.suffix.lower() not in (".csv", ".hl7") or not path.is_file() or path.is_symlink():
            continue
        try:
            text = decode_text(path.read_bytes()).text
        except Exception:
            found[path] = [(-1, "")]
            continue
        if path.suffix.lower() == ".csv":
            try:
                rows = list(csv.DictReader(io.StringIO(text, newline="")))
            except csv.Error:
                found[path] = [(-1, "")]
                continue
            found[path] = [
                (n, (r.get("accession_number") or "").strip()) for n, r in enumerate(rows)
            ]
        else:
            text = text.replace("\r\n", "\r").replace("\n", "\r")
            messages = [m for m in re.split(r"(?=MSH\|)", text) if m.startswith("MSH")]
            found[path] = [
                (n, (re.search(r"\rOBR\|[^|]*\|[^|]*\|([^|\r^]*)", m) or [None, ""])[1].strip())
                for n, m in enumerate(messages)
            ]
    return found


@dataclass
class Outcome:
    case: Case
    code: int | None = None
    expected: bool = False
    traceback: bool = False
    phi: int = 0
    verify: str = "-"
    lost: list[str] = field(default_factory=list)
    note: str = ""
    seconds: float = 0.0

    @property
    def verdict(self) -> str:
        if self.note.startswith(("not testable", "skipped")):
            return "n/a"
        bad = self.traceback or self.phi or not self.expected or self.verify == "FAIL" or self.lost
        return "FAIL" if bad else "ok"


def run_case(c: Case, baseline: Path, work: Path, phi: set[str]) -> Outcome:
    started = time.time()
    base = work / re.sub(r"[^a-z0-9]+", "-", f"{c.group} {c.name}".lower()).strip("-")[:80]
    base.mkdir(parents=True)
    shutil.copytree(baseline / "src", base / "src", symlinks=True)
    ctx = Ctx(base, base / "src", base / "out", base / "private", base / "src" / "truth")
    shutil.copytree(baseline / "private", ctx.private)
    if c.mode == "rerun":
        shutil.copytree(baseline / "out", ctx.out)
    outcome = Outcome(c)
    try:
        c.apply(ctx)
        if ctx.skip:
            outcome.note = (
                ctx.skip if ctx.skip.startswith("not testable") else f"skipped: {ctx.skip}"
            )
            return outcome
        args = ctx.command or build_args(ctx)
        outcome.code, console = cxrkit(args, ctx.prefix, ctx.during)
        outcome.expected = outcome.code in c.expect
        if ctx.rerun:  # the fault undone: the same command completes the release
            _undo(ctx)
            code, again = cxrkit(build_args(ctx))
            console += again
            outcome.note = f"rerun exit {code}"
            if code not in NORMAL:
                outcome.expected = False
            if ctx.same_release:
                same = _sums(ctx.out) == _sums(baseline / "out")
                outcome.note += (
                    ", release identical to the baseline" if same else ", release DIFFERS"
                )
                outcome.expected = outcome.expected and same
            final = code
        else:
            final = outcome.code
        outcome.traceback = "Traceback" in console or "NoneType: None" in console
        outcome.phi = sum(1 for v in phi if v in console)
        if ctx.command is None and final in NORMAL:
            _undo(ctx)
            vcode, vout = cxrkit(
                ["verify", str(ctx.out), "--private", str(ctx.private), "--no-ocr"]
            )
            outcome.verify = "ok" if vcode == 0 else "FAIL"
            outcome.phi += sum(1 for v in phi if v in vout)
            outcome.lost = unaccounted(ctx)
        if not outcome.expected:
            outcome.note = (outcome.note + "; " if outcome.note else "") + _last_line(console)
    except Exception as exc:
        outcome.note = f"campaign error: {type(exc).__name__}: {exc}"
    finally:
        _undo(ctx)
        outcome.seconds = round(time.time() - started, 1)
    return outcome


def _undo(ctx: Ctx) -> None:
    while ctx.undo:
        ctx.undo.pop()()


def _sums(out: Path) -> bytes:
    path = out / "SHA256SUMS.txt"
    return path.read_bytes() if path.exists() else b""


def _last_line(console: str) -> str:
    lines = [line for line in console.strip().splitlines() if line.strip()]
    return lines[-1][:160] if lines else ""


def make_baseline(work: Path) -> Path:
    baseline = work / "baseline"
    src, out, private = baseline / "src", baseline / "out", baseline / "private"
    if (out / "SHA256SUMS.txt").exists():  # kept from an earlier run (--keep)
        _remember_released(src, out, private)
        return baseline
    code, console = cxrkit(
        ["synth", str(src), "--patients", str(PATIENTS), "--seed", str(SEED), "-q"]
    )
    assert code == 0, console
    code, console = cxrkit(
        ["build", str(src), str(out), "--private", str(private), "--workers", "2", "-q"]
    )
    assert code in NORMAL, console
    # images whose burned-in text is not proven gone are OCR'd again by every rerun (slow):
    # set aside, and put back by one case
    with (private / "quarantine.csv").open(encoding="utf-8", newline="") as fh:
        slow = [r["source"] for r in csv.DictReader(fh) if r["kind"] == "burned-in-unproven"]
    for rel in slow:
        (baseline / "aside" / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / "dicom" / rel).rename(baseline / "aside" / rel)
    _remember_released(src, out, private)
    return baseline


def _remember_released(src: Path, out: Path, private: Path) -> None:
    with sqlite3.connect(private / "keystore.sqlite") as conn:
        id_to_sop = {v: k for k, v in conn.execute("select sop_instance_uid, dicom_id from images")}
    released = {id_to_sop[r["dicom_id"]] for r in _table(out / "cxr-record-list.csv.gz")}
    for path in (src / "dicom").rglob("*"):
        if path.is_file() and _sop(path) in released:
            BASE_RELEASED.add(path.relative_to(src / "dicom").as_posix())


def write_table(outcomes: list[Outcome], seconds: float) -> str:
    counts = {v: sum(1 for o in outcomes if o.verdict == v) for v in ("ok", "FAIL", "n/a")}
    ran = [o for o in outcomes if o.verdict != "n/a"]
    lines = [
        "# Fault campaign (issue 15)",
        "",
        f"`PYTHONPATH=src python benchmarks/fault_campaign.py` — {len(outcomes)} cases on a "
        f"`cxrkit synth --patients {PATIENTS} --seed {SEED}` export, {seconds / 60:.0f} min; "
        f"{'run as root' if os.geteuid() == 0 else 'run as a user'}.",
        "",
        f"**{counts['ok']} ok, {counts['FAIL']} failed, {counts['n/a']} not run**; "
        f"tracebacks {sum(o.traceback for o in ran)}, unexpected exit codes "
        f"{sum(not o.expected for o in ran)}, `verify` failures after a normal exit "
        f"{sum(o.verify == 'FAIL' for o in ran)}, runs with entries neither released nor "
        f"quarantined {sum(bool(o.lost) for o in ran)}, runs with PHI on the console "
        f"{sum(bool(o.phi) for o in ran)}.",
        "",
        "Mode `rerun`: the case starts from a copy of the baseline release and workspace (as a "
        "later build would); `fresh`: from an empty OUT. `verify` is `cxrkit verify OUT "
        "--private PRIVATE --no-ocr` after a normal exit; *lost* counts source entries and "
        "report rows or messages in neither the release nor `quarantine.csv`.",
        "",
        "| # | group | case | mode | exit | expected | traceback | verify | lost | PHI | verdict "
        "| note |",
        "| --- " * 12 + "|",
    ]
    for n, o in enumerate(outcomes, 1):
        note = o.note.replace("|", "\\|")
        if o.lost:
            note += f" lost: {len(o.lost)}"
        lines.append(
            f"| {n} | {o.case.group} | {o.case.name} | {o.case.mode} | "
            f"{'-' if o.code is None else o.code} | {'/'.join(map(str, o.case.expect))} | "
            f"{'YES' if o.traceback else 'no'} | {o.verify} | {len(o.lost)} | {o.phi} | "
            f"{o.verdict} | {note} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="run the cases whose name holds this word")
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    opts = parser.parse_args()
    # a campaign started in the background has SIGINT ignored, and its builds would inherit
    # that: a handler of its own is reset to the default in each build
    signal.signal(signal.SIGINT, signal.default_int_handler)
    register()
    cases = [c for c in CASES if opts.only.lower() in f"{c.group} {c.name}".lower()]
    work = opts.keep or Path(tempfile.mkdtemp(prefix="fault-campaign-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    baseline = make_baseline(work)
    phi = phi_strings(baseline / "src" / "truth")
    outcomes = []
    shutil.rmtree(work / "cases", ignore_errors=True)
    for n, c in enumerate(cases, 1):
        o = run_case(c, baseline, work / "cases", phi)
        outcomes.append(o)
        head = f"{n:3d}/{len(cases)} {o.verdict:4s} {o.seconds:6.1f}s"
        print(f"{head}  {c.group}: {c.name}  exit {o.code} {o.note[:90]}", flush=True)
    table = write_table(outcomes, time.time() - started)
    opts.output.parent.mkdir(parents=True, exist_ok=True)
    opts.output.write_text(table, encoding="utf-8")
    print(table.split("\n\n")[2])
    if opts.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
