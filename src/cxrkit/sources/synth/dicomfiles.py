"""Write the DICOM files of one synthetic study: pixels, headers, graphics, encoding, paths.

:func:`write_study` is what a worker process runs; it is a pure function of the study
record and the seed, so exports are byte-identical whatever the number of workers.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import imagecodecs
import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.pixels.utils import pack_bits
from pydicom.sequence import Sequence
from pydicom.uid import JPEG2000Lossless, JPEGLosslessSV1, RLELossless

from cxrkit.sources.synth import hardlines, hardtext, pixels
from cxrkit.sources.synth.headers import build_header, person_text
from cxrkit.sources.synth.model import Image, Study


@dataclass(frozen=True)
class WrittenImage:
    """What writing one image produced: its file and its truth records."""

    file: str  # relative to the export root
    row: dict[str, Any]  # one row of truth/images.csv
    phi: tuple[dict[str, Any], ...]
    markers: tuple[dict[str, Any], ...]


def _fmt_date(rng: np.random.Generator, d: dt.date) -> str:
    forms = ("%m/%d/%Y", "%Y-%m-%d", "%d-%b-%Y", "%Y%m%d", "%d %b %Y")
    return d.strftime(forms[int(rng.integers(len(forms)))]).upper()


def _phi_lines(study: Study, rng: np.random.Generator) -> list[pixels.TextLine]:
    """Patient and study identifiers as a modality prints them in a corner."""
    pat = study.patient
    greys = ("max", "min", "mid")
    grey = greys[int(rng.integers(3))]
    names = (
        person_text(pat.name),
        pat.name.dicom.upper().replace("^", " "),
        f"{pat.name.given} {pat.name.family}",
        pat.name.dicom.upper(),
    )
    lines = [pixels.TextLine(names[int(rng.integers(len(names)))], "name", grey)]
    mrn_label = ("MRN: ", "ID: ", "")[int(rng.integers(3))]
    lines.append(pixels.TextLine(f"{mrn_label}{pat.mrn}", "mrn", grey))
    if rng.random() < 0.85:
        lines.append(pixels.TextLine(f"DOB: {_fmt_date(rng, pat.birth_date)}", "date", grey))
    if rng.random() < 0.8:
        stamp = f"{_fmt_date(rng, study.when.date())} {study.when:%H:%M:%S}"
        lines.append(pixels.TextLine(stamp, "datetime", grey))
    if rng.random() < 0.5:
        lines.append(pixels.TextLine(f"ACC# {study.accession}", "accession", grey))
    return lines


def _keep_lines(
    study: Study, image: Image, rng: np.random.Generator
) -> dict[str, list[pixels.TextLine]]:
    """Markers and technique text that a de-identifier must keep, by corner."""
    greys = ("max", "min", "mid")
    out: dict[str, list[pixels.TextLine]] = {}
    if rng.random() < 0.9:
        marker = ("L", "R", "LT", "RT")[int(rng.integers(4))]
        out["tr"] = [pixels.TextLine(marker, "keep", greys[int(rng.integers(3))])]
    words: list[str] = []
    if image.view == "AP":
        words.append("PORTABLE")
    if rng.random() < 0.7:
        words.append(
            ("UPRIGHT", "SEMI-ERECT", "SUPINE", "ERECT", "SEMI-UPRIGHT")[int(rng.integers(5))]
        )
    if rng.random() < 0.6:
        kv, mas = int(rng.integers(60, 125)), round(float(rng.uniform(0.8, 6.0)), 1)
        words.append((f"{kv} kVp {mas} mAs", f"{kv}KV {mas}MAS")[int(rng.integers(2))])
    if words:
        grey = greys[int(rng.integers(3))]
        out["br"] = [pixels.TextLine(w, "keep", grey) for w in words]
    return out


def _blocks(
    study: Study, image: Image, rng: np.random.Generator
) -> dict[str, list[pixels.TextLine]]:
    blocks = _keep_lines(study, image, rng)
    if image.burn_phi:
        corner = "tl" if rng.random() < 0.8 else "bl"
        blocks[corner] = _phi_lines(study, rng)
    return blocks


#: Export difficulties: how the burned-in text of the images is drawn.
DIFFICULTIES = ("classic", "mixed", "hard")
#: The share of images drawn the hard way in a ``mixed`` export.
MIXED_HARD_SHARE = 1 / 3


def is_hard(difficulty: str, seed: int, study: Study, image: Image) -> bool:
    """Whether ``image`` gets hard text: always, never, or (mixed) a seeded third of images."""
    if difficulty == "mixed":
        own = np.random.default_rng([seed, study.patient.index, study.index, image.index, 13])
        return bool(own.random() < MIXED_HARD_SHARE)
    return difficulty == "hard"


def _hard_lines(study: Study, image: Image, rng: np.random.Generator) -> list[hardlines.HardLine]:
    lines = hardlines.keep_lines(image, rng)
    if image.burn_phi:
        lines += hardlines.phi_lines(study, rng)
    return [lines[int(k)] for k in rng.permutation(len(lines))]


def make_pixels(
    study: Study,
    image: Image,
    rng: np.random.Generator,
    *,
    hard: bool = False,
    full_size: bool = False,
) -> pixels.Pixels:
    """The stored pixel array of ``image`` with text burned in, and the text's boxes.

    With ``full_size`` the image is 2,000 to 3,000 pixels on its longer side, and its text
    larger in proportion, but for the small text (:func:`hardtext.draw_style`)."""
    base = pixels.load_base(image.base)
    display = pixels.vary(base, image.view, study.exam.body_part, rng, full_size=full_size)
    a = pixels.quantise(display, image.bits_stored)
    if hard:
        scale = pixels.text_scale(a.shape) if full_size else 1.0
        lines = _hard_lines(study, image, rng)
        burned = hardtext.burn_hard(a, lines, image.bits_stored, rng, scale=scale)
    else:
        burned = pixels.burn_lines(a, _blocks(study, image, rng), image.bits_stored, rng)
    a, burned = pixels.invert_for(image.photometric, a, image.bits_stored, burned)
    array = a.astype(np.uint8) if image.bits_stored == 8 else a
    return pixels.Pixels(array, tuple(burned))


def _pixel_module(ds: Dataset, image: Image, a: NDArray[Any]) -> None:
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = image.photometric
    ds.Rows, ds.Columns = a.shape
    ds.BitsAllocated = 8 if image.bits_stored == 8 else 16
    ds.BitsStored = image.bits_stored
    ds.HighBit = image.bits_stored - 1
    ds.PixelRepresentation = 0
    top = (1 << image.bits_stored) - 1
    ds.WindowCenter = str(top // 2)
    ds.WindowWidth = str(top)
    ds.RescaleIntercept = "0"
    ds.RescaleSlope = "1"
    if image.modality == "DX":
        ds.PresentationLUTShape = "INVERSE" if image.photometric == "MONOCHROME1" else "IDENTITY"


def _graphics(ds: Dataset, study: Study, a_shape: tuple[int, int]) -> list[dict[str, Any]]:
    """An overlay plane and a graphic annotation carrying the patient's identity."""
    rows, cols = a_shape
    pat = study.patient
    text = f"{pat.name.family.upper()} {pat.mrn}"
    mask = np.zeros((rows, cols), np.uint8)
    height = max(12, rows // 40)
    cv2.putText(
        mask,
        text,
        (cols // 3, rows - 3 * height),
        cv2.FONT_HERSHEY_SIMPLEX,
        height / 22,
        1,
        max(1, height // 10),
        cv2.LINE_8,
    )
    ys, xs = np.nonzero(mask)
    box = [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]
    ds.add_new(0x60000010, "US", rows)
    ds.add_new(0x60000011, "US", cols)
    ds.add_new(0x60000040, "CS", "G")
    ds.add_new(0x60000050, "SS", [1, 1])
    ds.add_new(0x60000100, "US", 1)
    ds.add_new(0x60000102, "US", 0)
    ds.add_new(0x60000022, "LO", f"Annotation for {pat.name.display}")
    ds.add_new(0x60003000, "OW", pack_bits(mask))
    anno = Dataset()
    anno.GraphicLayer = "ANNOTATION"
    obj = Dataset()
    note = f"{pat.name.dicom.replace('^', ' ')} DOB {study.patient.birth_date:%m/%d/%Y}"
    obj.UnformattedTextValue = note
    obj.BoundingBoxAnnotationUnits = "PIXEL"
    obj.BoundingBoxTopLeftHandCorner = [10.0, 10.0]
    obj.BoundingBoxBottomRightHandCorner = [float(cols // 2), 40.0]
    obj.BoundingBoxTextHorizontalJustification = "LEFT"
    anno.TextObjectSequence = Sequence([obj])
    ds.GraphicAnnotationSequence = Sequence([anno])
    return [
        {
            "tag_path": "(6000,0022)",
            "value": pat.name.display,
            "category": "name",
            "match": "contains",
        },
        {
            "tag_path": "(6000,3000)",
            "value": text,
            "category": "name",
            "match": "overlay",
            "box": box,
        },
        {
            "tag_path": "(0070,0001)[0].(0070,0008)[0].(0070,0006)",
            "value": pat.name.family,
            "category": "name",
            "match": "contains",
        },
    ]


def _encode(ds: Dataset, image: Image, a: NDArray[Any]) -> None:
    ts = image.transfer_syntax
    if ts == str(JPEGLosslessSV1):
        frame = imagecodecs.jpeg8_encode(
            a, lossless=True, predictor=1, bitspersample=image.bits_stored
        )
        ds.PixelData = encapsulate([bytes(frame)])
        ds["PixelData"].VR = "OB"
    elif ts in (str(JPEG2000Lossless), str(RLELossless)):
        # pylibjpeg (rle, openjpeg) by name: pydicom would pick gdcm when it is importable.
        ds.compress(ts, a, generate_instance_uid=False, encoding_plugin="pylibjpeg")
    else:
        ds.PixelData = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()
        ds["PixelData"].VR = "OB" if image.bits_stored == 8 else "OW"


def _serialise(ds: Dataset) -> bytes:
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def image_path(study: Study, image: Image) -> tuple[str, list[dict[str, Any]]]:
    """Where a PACS export would put ``image``, and the PHI its folder and file names carry.

    Three export styles, by patient, as different PACS write them: by MRN and name, by
    accession, and by UID.
    """
    pat = study.patient
    style = pat.index % 3
    if style == 0:
        top = f"{pat.mrn}_{pat.name.family.upper()}"
        mid = f"{study.when:%Y%m%d}_{study.accession}"
        rel = f"dicom/{top}/{mid}/S{image.series_number:03d}/IM{image.index + 1:05d}"
        found = [
            (top, pat.mrn, "mrn"),
            (top, pat.name.family.upper(), "name"),
            (mid, f"{study.when:%Y%m%d}", "date"),
            (mid, study.accession, "accession"),
        ]
    elif style == 1:
        top = study.accession
        name = f"{image.sop_instance_uid}.dcm"
        rel = f"dicom/{top}/{name}"
        found = [(top, study.accession, "accession"), (name, image.sop_instance_uid, "uid")]
    else:
        top = f"PAT{pat.mrn}"
        mid = study.study_instance_uid
        rel = f"dicom/{top}/{mid}/{image.index + 1}.DCM"
        found = [(top, pat.mrn, "mrn"), (mid, study.study_instance_uid, "uid")]
    return rel, [
        {"where": "path", "file": rel, "part": part, "value": value, "category": category}
        for part, value, category in found
    ]


def _image_row(study: Study, image: Image, rel: str, burned: bool) -> dict[str, Any]:
    return {
        "file": rel,
        "patient_index": study.patient.index,
        "mrn": study.patient.mrn,
        "accession": study.accession,
        "study_instance_uid": study.study_instance_uid,
        "sop_instance_uid": image.sop_instance_uid,
        "exam_code": study.exam.code,
        "body_part": study.exam.body_part,
        "chest": study.exam.is_chest,
        "view": image.view,
        "modality": image.modality,
        "transfer_syntax": image.transfer_syntax,
        "photometric": image.photometric,
        "bits_stored": image.bits_stored,
        "burned_in_phi": burned,
        "has_report": study.has_report,
        "broken": image.broken,
    }


def _burned_item(rel: str, line_id: str, b: pixels.BurnedText) -> dict[str, Any]:
    """One ``"pixels"`` truth entry (see :mod:`cxrkit.sources.synth.truth`)."""
    item: dict[str, Any] = {
        "where": "pixels",
        "file": rel,
        "line": line_id,
        "box": list(b.box),
        "glyphs": [list(g) for g in b.glyphs],
        "text": b.text,
        "category": b.category,
        "kind": b.kind,
        "grey": b.grey,
        "stored_value": b.stored_value,
        "angle": b.angle,
        "font": b.font,
        "height": b.height,
        "aa": b.aa,
        "style": b.style,
    }
    if b.fmt:
        item["format"] = b.fmt
    return item


def render_image(
    study: Study,
    image: Image,
    rng: np.random.Generator,
    *,
    hard: bool = False,
    full_size: bool = False,
) -> tuple[bytes, WrittenImage]:
    """Render one image to file bytes and its truth records (without writing anything)."""
    rel, path_phi = image_path(study, image)
    if image.broken == "not-dicom":
        data = json.dumps({"exporter": "SynthPACS", "job": image.series_number}).encode()
        return data, WrittenImage(rel, _image_row(study, image, rel, False), tuple(path_phi), ())
    px = make_pixels(study, image, rng, hard=hard, full_size=full_size)
    phi_burned = [b for b in px.burned if b.category != "keep"]
    ds, planted = build_header(study, image, burned=bool(px.burned))
    _pixel_module(ds, image, px.array)
    graphic_items = _graphics(ds, study, px.array.shape)
    if image.broken != "no-pixels":
        _encode(ds, image, px.array)
    data = _serialise(ds)
    if image.broken == "truncated":
        data = data[: int(len(data) * 0.6)]
    row = _image_row(study, image, rel, bool(phi_burned))
    if image.broken == "truncated":
        return data, WrittenImage(rel, row, tuple(path_phi), ())
    dicom_items = [
        {"where": "dicom", "file": rel, **item} for item in planted.items + graphic_items
    ]
    burned_items = [
        _burned_item(rel, f"{image.sop_instance_uid}/{k}", b) for k, b in enumerate(px.burned)
    ]
    if image.broken == "no-pixels":
        burned_items = []
    phi = tuple(dicom_items + [b for b in burned_items if b["category"] != "keep"] + path_phi)
    markers = tuple(b for b in burned_items if b["category"] == "keep")
    return data, WrittenImage(rel, row, phi, markers)


def write_study(
    root: Path, study: Study, seed: int, difficulty: str = "classic", full_size: bool = False
) -> list[WrittenImage]:
    """Write every image file of ``study`` under ``root``; return their truth records."""
    out = []
    for image in study.images:
        rng = np.random.default_rng([seed, study.patient.index, study.index, image.index])
        hard = is_hard(difficulty, seed, study, image)
        data, written = render_image(study, image, rng, hard=hard, full_size=full_size)
        path = root / written.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        out.append(written)
    return out
