"""Benchmark: burned-in text scrub, images per second per core, and recall (S5).

Run on demand, not in the test suite::

    python benchmarks/bench_pixels.py                  # 50-patient synthetic export + real CRs
    python benchmarks/bench_pixels.py --patients 20 --repeat 3
    python benchmarks/bench_pixels.py --patients 0      # full-size and real rows only
    python benchmarks/bench_pixels.py --patients 10 --difficulty hard --full-size

Each row is run by cxrkit's scrub and then, in the same process on the same images, by
presidio-image-redactor's ``DicomImageRedactorEngine`` (``redact_and_return_bbox`` with
``use_metadata=True``, its other settings at their defaults):

- ``full-size-text``: the presidio CR (1760 × 2140, burned-in PHI) ``--repeat`` times and four
  3000 × 2500 chest radiographs (vendored ones scaled up) with text burned in by Pillow's
  TrueType rasteriser — a name, a ``*dd.mm.yyyy`` birth date, an ``ID:`` line turned along
  the left edge, an ISO date-time, an institution abbreviation and kept markers; cxrkit's
  row also gives the learned detector's time per image (measured alone on the same images)
  and its share of the scrub's time, and how many images the scrub proved;
- ``full-size-clean``: the NEMA RG1 CR (1955 × 1841) ``--repeat`` times and the same four
  3000 × 2500 radiographs without text;
- ``real-full-size``: the two real CRs, ``--repeat`` times each (the row of earlier runs);
- ``synthetic`` (``synthetic-full-size`` with ``--full-size``): every readable image of a
  synthetic export (``cxrkit synth``, at ``--difficulty``), with per-token
  recall of planted PHI and the share of kept markers against ``truth/``
  (:mod:`cxrkit.dicom.redaction_eval`; presidio's boxes are the rectangles it returns that are
  painted in its output pixels).

Both tools are timed in CPU seconds of the process and its finished children (one core's
work: a machine busy with other jobs does not inflate it; the ``synthetic`` rows are timed
by the wall clock of each scrub), from decoded pixels to redacted pixels: presidio is given
the dataset decompressed, so it neither decodes nor re-encodes. Both OCR on one thread
(``OMP_THREAD_LIMIT=1`` for presidio's ``tesseract`` program; onnxruntime one intra-op thread
for cxrkit's learned detector). Goals (issue 13): on full-size radiographs, one core, >= 1
image/s with text and >= 3 images/s without.

presidio is not a cxrkit dependency. It runs OFFLINE and WITHOUT its NER model: its spaCy NLP
engine is given a blank English pipeline (``spacy.blank("en")`` saved to a temporary folder and
loaded by path), so only its regex pattern recognizers and the deny-list of header values that
its DICOM engine builds with ``use_metadata=True`` find PHI. Set-up (Debian, once)::

    apt-get update && apt-get install -y tesseract-ocr tesseract-ocr-eng
    /tmp/venv/bin/pip install --target /tmp/peers-presidio presidio-image-redactor
    PYTHONPATH=/tmp/peers-presidio /tmp/venv/bin/python benchmarks/bench_pixels.py

The ``PYTHONPATH`` folders are taken off the module path while cxrkit runs and put back, after
this environment's packages, only to import presidio: cxrkit runs on the environment's own
numpy, OpenCV, pydicom and pixel codecs (not the peer folder's copies, nor its python-gdcm), and
presidio reuses them. Without presidio or ``tesseract`` its rows are skipped with the reason.

Prints a table and appends one JSON line per row to ``benchmarks/results/bench_pixels.jsonl``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pydicom

    from cxrkit.dicom.redaction_eval import Recall
    from cxrkit.dicom.textfind import Box

ROOT = Path(__file__).resolve().parents[1]
PRESIDIO = ROOT / "tests" / "data" / "dicom" / "presidio" / "0_ORIGINAL_compressed.dcm"
RESULTS = ROOT / "benchmarks" / "results" / "bench_pixels.jsonl"


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and its finished children (presidio runs the
    ``tesseract`` program): one core's work, which a busy machine does not inflate."""
    import resource

    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def hide_peers() -> list[str]:
    """Take the ``PYTHONPATH`` folders off ``sys.path`` (and the environment); return them."""
    given = os.environ.pop("PYTHONPATH", "")
    peers = [str(Path(p).absolute()) for p in given.split(os.pathsep) if p]
    for p in peers:
        while p in sys.path:
            sys.path.remove(p)
    return peers


def decoded(path: Path) -> pydicom.Dataset:
    """A dataset with its pixel data decompressed (so presidio neither decodes nor re-encodes)."""
    import pydicom

    ds = pydicom.dcmread(path)
    if ds.file_meta.TransferSyntaxUID.is_compressed:
        ds.decompress()
    return ds


def real_images() -> list[pydicom.Dataset]:
    """The two real full-size CRs, decoded."""
    from pydicom.data import get_testdata_file

    return [decoded(PRESIDIO), decoded(Path(str(get_testdata_file("RG1_J2KR.dcm"))))]


#: The full-size synthetic radiographs: height, width (a 35 x 43 cm detector at ~0.14 mm).
FULL_SIZE = (3000, 2500)
CHEST_BASES = ("nih_00000001_000", "nih_00027426_000", "nih_dx_chest_pa", "rg1_chest_pa")


def _full_size_base(name: str) -> Any:
    """A vendored radiograph scaled to :data:`FULL_SIZE`, 12 bits stored.

    Scaled in floating point and given quantum noise (sigma 6 of 4,095), as a detector's
    image has: an 8-bit picture stretched to 12 bits alone would use every 13th value only,
    a comb of histogram spikes that no radiograph read off a detector shows.
    """
    from importlib.resources import files

    import cv2
    import numpy as np

    data = (files("cxrkit.sources.synth") / "_radiographs" / f"{name}.png").read_bytes()
    grey = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    grey = cv2.resize(grey.astype(np.float32), FULL_SIZE[::-1], interpolation=cv2.INTER_CUBIC)
    noise = np.random.default_rng(sum(map(ord, name))).normal(0.0, 6.0, grey.shape)
    return np.clip(300 + grey / 255.0 * 3300 + noise, 0, 4095).astype(np.uint16)


def _burn(a: Any, text: str, xy: tuple[int, int], size: int, angle: int = 0) -> None:
    """``text`` in DejaVu Sans (matplotlib's copy), anti-aliased, at the stored maximum."""
    from pathlib import Path as _Path

    import matplotlib
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(
        str(_Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"), size
    )
    left, top, right, bottom = font.getbbox(text)
    canvas = Image.new("L", (right - left + 4, bottom - top + 4), 0)
    ImageDraw.Draw(canvas).text((2 - left, 2 - top), text, fill=255, font=font)
    ink = np.rot90(np.asarray(canvas), angle // 90).astype(np.float64) / 255.0
    x, y = xy
    h, w = ink.shape
    patch = a[y : y + h, x : x + w].astype(np.float64)
    a[y : y + h, x : x + w] = np.round(patch * (1 - ink) + 4095 * ink).astype(a.dtype)


def full_size_images(text: bool) -> list[tuple[Any, pydicom.Dataset]]:
    """Four full-size (3000 x 2500) chest radiographs, clean or with burned-in text of
    several sizes and orientations (name, birth date, ID along the left edge, date-time,
    institution, and kept markers), each with the header its deny-list is read from."""
    import pydicom

    out = []
    for i, name in enumerate(CHEST_BASES):
        a = _full_size_base(name)
        ds = pydicom.Dataset()
        ds.PatientName, ds.PatientID = f"Lindqvist^Maja{i}", f"7730{i}215"
        ds.PatientBirthDate, ds.StudyDate, ds.StudyTime = "19580412", "20210302", "101544"
        if text:
            _burn(a, f"LINDQVIST, MAJA{i}", (40, 30), 44)
            _burn(a, "*12.04.1958", (40, 90), 30)
            _burn(a, f"ID: 7730{i}215", (8, 900), 22, angle=90)
            _burn(a, "2021-03-02 10:15:44", (1900, 20), 26)
            _burn(a, "NKH RAD", (2320, 2940), 18)
            _burn(a, "PORTABLE", (2100, 160), 48)
            _burn(a, "L", (2300, 400), 90)
        out.append((a, ds))
    return out


def cxrkit_full_size(row: str, items: list[tuple[Any, pydicom.Dataset]]) -> dict[str, Any]:
    """cxrkit's scrub on full-size radiographs: images per second, the learned detector's
    share of the time (measured alone on the same images), and how many were proved."""
    from cxrkit.dicom import learned
    from cxrkit.dicom.scrub import PixelDenyList, scrub_pixels

    took, detect, verified = 0.0, 0.0, 0
    for a, ds in items:
        start = cpu_seconds()
        r = scrub_pixels(
            a,
            photometric=str(ds.get("PhotometricInterpretation", "MONOCHROME2")),
            bits_stored=int(ds.get("BitsStored", 12)),
            deny=PixelDenyList.from_dataset(ds),
        )
        took += cpu_seconds() - start
        verified += r.verified
        start = cpu_seconds()
        learned.detect(learned.display(a))
        detect += cpu_seconds() - start
    n = len(items)
    return {
        "tool": "cxrkit",
        "row": row,
        "images": n,
        "images_per_s_core": n / took,
        "learned_detect_s_per_image": round(detect / n, 3),
        "learned_share": round(detect / took, 3),
        "verified": verified,
    }


def as_dicom(a: Any, header: pydicom.Dataset) -> pydicom.Dataset:
    """A full-size image as an uncompressed 16-bit MONOCHROME2 dataset (for presidio)."""
    import pydicom
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    ds = pydicom.Dataset()
    ds.update(header)
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = SecondaryCaptureImageStorage, generate_uid()
    ds.Modality, ds.Rows, ds.Columns = "CR", a.shape[0], a.shape[1]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = a.astype("<u2").tobytes()
    return ds


def presidio_full_size(
    engine: Any, row: str, items: list[tuple[Any, pydicom.Dataset]]
) -> dict[str, Any]:
    """presidio on the full-size radiographs of a row; images per second."""
    datasets = [ds if "PixelData" in ds else as_dicom(a, ds) for a, ds in items]
    took = sum(presidio_redact(engine, ds)[1] for ds in datasets)
    n = len(datasets)
    return {"tool": "presidio", "row": row, "images": n, "images_per_s_core": n / took}


def recall_fields(recall: Recall) -> dict[str, Any]:
    """The recall figures of a row."""
    return {
        "token_recall": round(recall.overall(), 4),
        "recall_by_category": {k: round(recall.of(k), 4) for k in recall.tokens},
        "tokens": {k: list(v) for k, v in recall.tokens.items()},
        "markers_kept": round(recall.kept(), 4),
    }


def cxrkit_real(items: list[pydicom.Dataset], repeat: int) -> dict[str, Any]:
    """cxrkit's scrub on the real CRs, ``repeat`` times each; images per second."""
    from cxrkit.dicom.scrub import PixelDenyList, scrub_pixels

    took, n = 0.0, 0
    for _ in range(repeat):
        for ds in items:
            a, photometric, bits = ds.pixel_array, str(ds.PhotometricInterpretation), ds.BitsStored
            start = cpu_seconds()
            scrub_pixels(
                a, photometric=photometric, bits_stored=bits, deny=PixelDenyList.from_dataset(ds)
            )
            took += cpu_seconds() - start
            n += 1
    return {"tool": "cxrkit", "row": "real-full-size", "images": n, "images_per_s_core": n / took}


def make_export(root: Path, args: argparse.Namespace) -> list[str]:
    """Write a synthetic export; its readable image files."""
    from cxrkit.sources.synth import synthesize

    synthesize(
        root,
        patients=args.patients,
        seed=args.seed,
        workers=2,
        difficulty=args.difficulty,
        full_size=args.full_size,
    )
    with (root / "truth" / "images.csv").open(encoding="utf-8") as fh:
        return [r["file"] for r in csv.DictReader(fh) if not r["broken"]]


def synthetic_row(args: argparse.Namespace) -> str:
    """The synthetic row's name: ``synthetic``, or ``synthetic-full-size``."""
    return "synthetic-full-size" if args.full_size else "synthetic"


def cxrkit_synthetic(root: Path, files: list[str], row_name: str) -> dict[str, Any]:
    """cxrkit's scrub on every image of an export: speed, recall and kept markers."""
    from cxrkit.dicom.redaction_eval import measure, read_truth, scrub_file

    outcomes = [scrub_file(root, f) for f in files]
    recall = measure(read_truth(root), {o.file: o.boxes for o in outcomes})
    row = {"tool": "cxrkit", "row": row_name, "images": len(outcomes)}
    return {
        **row,
        "images_per_s_core": len(outcomes) / sum(o.seconds for o in outcomes),
        **recall_fields(recall),
        "unverified": sum(not o.verified for o in outcomes),
    }


def presidio_engine(peers: list[str]) -> Any:
    """presidio's DICOM redactor on a blank spaCy pipeline (no NER model), or why it can't run."""
    sys.path.extend(peers)
    if importlib.util.find_spec("presidio_image_redactor") is None:
        return "not installed: install it apart and put that folder on PYTHONPATH"
    if shutil.which("tesseract") is None:
        return "the tesseract program is not on PATH (apt-get install tesseract-ocr-eng)"
    try:
        import spacy
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_image_redactor import DicomImageRedactorEngine, ImageAnalyzerEngine
    except ImportError as exc:
        return f"not importable ({exc.name} is missing)"
    os.environ["OMP_THREAD_LIMIT"] = "1"  # one OCR thread, as cxrkit
    with tempfile.TemporaryDirectory() as tmp:
        spacy.blank("en").to_disk(tmp)
        model = {"lang_code": "en", "model_name": tmp}
        config = {"nlp_engine_name": "spacy", "models": [model]}
        nlp = NlpEngineProvider(nlp_configuration=config).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])
    return DicomImageRedactorEngine(ImageAnalyzerEngine(analyzer_engine=analyzer))


def presidio_redact(engine: Any, ds: pydicom.Dataset) -> tuple[tuple[Box, ...], float]:
    """presidio's boxes on one image (those painted in its output pixels), and the seconds taken."""
    import numpy as np

    start = cpu_seconds()
    out, found = engine.redact_and_return_bbox(ds, use_metadata=True)
    took = cpu_seconds() - start
    pixels = out.pixel_array
    boxes = []
    for b in found:
        x0, y0 = max(b["left"], 0), max(b["top"], 0)
        x1, y1 = min(x0 + b["width"], pixels.shape[1]), min(y0 + b["height"], pixels.shape[0])
        area = pixels[y0:y1, x0:x1]
        if area.size and np.all(area == area.flat[0]):
            boxes.append((int(x0), int(y0), int(x1), int(y1)))
    return tuple(boxes), took


def presidio_real(engine: Any, items: list[pydicom.Dataset], repeat: int) -> dict[str, Any]:
    """presidio on the real CRs, ``repeat`` times each; images per second."""
    took = sum(presidio_redact(engine, ds)[1] for _ in range(repeat) for ds in items)
    n = repeat * len(items)
    return {"tool": "presidio", "row": "real-full-size", "images": n, "images_per_s_core": n / took}


def presidio_synthetic(engine: Any, root: Path, files: list[str], row_name: str) -> dict[str, Any]:
    """presidio on every image of an export: speed and recall (an image it fails on counts 0)."""
    from cxrkit.dicom.redaction_eval import measure, read_truth

    boxes: dict[str, tuple[Box, ...]] = {}
    took, failed = 0.0, 0
    for f in files:
        try:
            boxes[f], seconds = presidio_redact(engine, decoded(root / f))
            took += seconds
        except Exception as exc:  # a peer's failure is a result, not a crash
            print(f"presidio failed on {f}: {type(exc).__name__}: {exc}", file=sys.stderr)
            boxes[f], failed = (), failed + 1
    recall = measure(read_truth(root), boxes)
    images = len(files) - failed
    row = {"tool": "presidio", "row": row_name, "images": images, "failed": failed}
    return {**row, "images_per_s_core": images / took, **recall_fields(recall)}


def print_table(rows: list[dict[str, Any]], skipped: str | None) -> None:
    """The table on stdout: one line per tool and row, then tokens removed by category."""
    head = f"{'tool':<9} {'row':<16} {'images':>7} {'img/s/core':>11} {'recall':>7} {'kept':>7}"
    print(head + f" {'learned s/img':>14} {'learned share':>14} {'verified':>9}")
    for row in rows:
        recall, kept = row.get("token_recall", ""), row.get("markers_kept", "")
        cost = row.get("learned_detect_s_per_image", "")
        share, verified = row.get("learned_share", ""), row.get("verified", "")
        print(
            f"{row['tool']:<9} {row['row']:<16} {row['images']:>7} "
            f"{row['images_per_s_core']:>11.2f} {recall!s:>7} {kept!s:>7}"
            f" {cost!s:>14} {share!s:>14} {verified!s:>9}"
        )
    if skipped is not None:
        print(f"{'presidio':<9} skipped: {skipped}")
    for row in rows:
        if "tokens" in row:
            parts = [f"{k} {h}/{n}" for k, (h, n) in row["tokens"].items()]
            print(f"{row['tool']} {row['row']} tokens removed/planted: " + ", ".join(parts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--difficulty", choices=("classic", "mixed", "hard"), default="classic")
    parser.add_argument("--full-size", action="store_true", help="synthetic images 2,000-3,000 px")
    args = parser.parse_args(argv)
    synthetic = synthetic_row(args)
    peers = hide_peers()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "export"
        files = make_export(root, args) if args.patients else []
        items = real_images()
        with_text = [(items[0].pixel_array, items[0])] * args.repeat
        with_text += full_size_images(text=True)
        clean = [(items[1].pixel_array, items[1])] * args.repeat
        clean += full_size_images(text=False)
        rows = [
            cxrkit_full_size("full-size-text", with_text),
            cxrkit_full_size("full-size-clean", clean),
            cxrkit_real(items, args.repeat),
        ]
        rows += [cxrkit_synthetic(root, files, synthetic)] if files else []
        engine = presidio_engine(peers)
        skipped = engine if isinstance(engine, str) else None
        if skipped is not None:
            print(f"presidio-image-redactor: skipped ({skipped})", file=sys.stderr)
        else:
            rows += [presidio_full_size(engine, "full-size-text", with_text)]
            rows += [presidio_full_size(engine, "full-size-clean", clean)]
            rows += [presidio_real(engine, items, args.repeat)]
            rows += [presidio_synthetic(engine, root, files, synthetic)] if files else []
    order = ["full-size-text", "full-size-clean", "real-full-size", synthetic]
    rows.sort(key=lambda r: (order.index(r["row"]), r["tool"] != "cxrkit"))
    print_table(rows, skipped)
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps({"when": stamp, "machine": platform.machine(), **row}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
