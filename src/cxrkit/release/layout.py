"""Release layout (S19): where each file of a MIMIC-CXR-style release goes.

``files/p<first 2 digits of subject_id>/p<subject_id>/s<study_id>/<dicom_id>.dcm`` and the
report beside the study folder as ``s<study_id>.txt``.
"""

from __future__ import annotations

from pathlib import PurePosixPath


def patient_dir(subject_id: int) -> PurePosixPath:
    """``files/pNN/p<subject_id>``.

    Examples
    --------
    >>> str(patient_dir(10000032))
    'files/p10/p10000032'
    """
    s = str(subject_id)
    return PurePosixPath("files", f"p{s[:2]}", f"p{s}")


def study_dir(subject_id: int, study_id: int) -> PurePosixPath:
    return patient_dir(subject_id) / f"s{study_id}"


def image_path(
    subject_id: int, study_id: int, dicom_id: str, suffix: str = ".dcm"
) -> PurePosixPath:
    """The release path of an image, relative to the release root.

    Examples
    --------
    >>> str(image_path(10000032, 50414267, "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014"))
    'files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.dcm'
    """
    return study_dir(subject_id, study_id) / f"{dicom_id}{suffix}"


def report_path(subject_id: int, study_id: int) -> PurePosixPath:
    return patient_dir(subject_id) / f"s{study_id}.txt"
