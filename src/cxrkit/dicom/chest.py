"""Chest-only filter (S7): is this image a chest radiograph, from its metadata?

Evidence is read from the original header, strongest first: the modality must be a
radiograph (CR, DX, DR); then Body Part Examined; then the examination names (procedure code
meanings, study, requested and performed procedure descriptions, protocol name). An image with
no evidence either way is taken for a chest radiograph (the export is of chest studies) and is
marked as such in the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydicom.dataset import Dataset

RADIOGRAPH_MODALITIES = frozenset({"CR", "DX", "DR"})
CHEST_WORDS = re.compile(r"\b(CHEST|THORAX|THORACIC|CXR|LUNGS?|RIBS?|PICC|STERNUM)\b")
#: Words that name another body part, matched as whole words only ("HANDHELD" is no hand).
OTHER_BODY_PARTS = (
    "ABD", "ABDOMEN", "ABDOMINAL", "PELVIS", "PELVIC", "HIP", "HIPS", "KNEE", "KNEES", "ANKLE",
    "ANKLES", "FOOT", "FEET", "HAND", "HANDS", "WRIST", "WRISTS", "ELBOW", "ELBOWS", "SHOULDER",
    "SHOULDERS", "HUMERUS", "FEMUR", "TIB", "TIBIA", "FIB", "FIBULA", "LEG", "LEGS", "ARM",
    "ARMS", "EXTREMITY", "EXTREMITIES", "SKULL", "HEAD", "CSPINE", "C-SPINE", "LSPINE",
    "L-SPINE", "LUMBAR", "CERVICAL", "KUB", "FINGER", "FINGERS", "TOE", "TOES", "MANDIBLE",
    "SINUS", "SINUSES", "FACIAL", "BREAST", "BREASTS", "MAMMO", "MAMMOGRAM", "MAMMOGRAPHY",
)  # fmt: skip
OTHER_WORDS = re.compile(r"\b(?:" + "|".join(map(re.escape, OTHER_BODY_PARTS)) + r")\b")
NAME_KEYWORDS = (
    "StudyDescription",
    "RequestedProcedureDescription",
    "PerformedProcedureStepDescription",
    "ProtocolName",
    "SeriesDescription",
)


@dataclass(frozen=True)
class ChestVerdict:
    is_chest: bool
    reason: str  # names the evidence, never a header value


def _exam_names(ds: Dataset) -> list[tuple[str, str]]:
    names = [(kw, str(ds.get(kw, "") or "")) for kw in NAME_KEYWORDS]
    for item in ds.get("ProcedureCodeSequence", []) or []:
        names.append(("ProcedureCodeSequence", str(item.get("CodeMeaning", "") or "")))
    return [(kw, v.upper()) for kw, v in names if v]


def chest_verdict(ds: Dataset) -> ChestVerdict:
    """Whether ``ds`` (an original header) is a chest radiograph, and on what evidence.

    Examples
    --------
    >>> ds = Dataset()
    >>> ds.Modality, ds.BodyPartExamined = "CR", "PELVIS"
    >>> chest_verdict(ds)
    ChestVerdict(is_chest=False, reason='BodyPartExamined names another body part')
    """
    modality = str(ds.get("Modality", "") or "").upper()
    if modality not in RADIOGRAPH_MODALITIES:
        return ChestVerdict(False, f"modality {modality or 'missing'} is not a radiograph")
    body = str(ds.get("BodyPartExamined", "") or "").upper()
    if body:
        if CHEST_WORDS.search(body):
            return ChestVerdict(True, "BodyPartExamined is chest")
        if OTHER_WORDS.search(body):
            return ChestVerdict(False, "BodyPartExamined names another body part")
    for keyword, name in _exam_names(ds):
        if CHEST_WORDS.search(name):
            return ChestVerdict(True, f"{keyword} names the chest")
    for keyword, name in _exam_names(ds):
        if OTHER_WORDS.search(name):
            return ChestVerdict(False, f"{keyword} names another body part")
    return ChestVerdict(True, "no body-part evidence; taken for a chest radiograph")
