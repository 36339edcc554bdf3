"""README and LICENSE of a release (no PHI: counts only)."""

from __future__ import annotations

LICENSE_TEXT = """\
This release is a de-identified research database. Its terms of use are set by the institution
that published it; until they are stated here, no use is permitted beyond what the publishing
institution's data use agreement allows. Users must not attempt to re-identify any individual.
"""


def readme_text(patients: int, studies: int, images: int, labeled: int = 0) -> str:
    """The release README, in MIMIC-CXR's layout terms (``labeled``: studies of the manual
    test-set labels)."""
    manual = (
        f"- `mimic-cxr-2.1.0-test-set-labeled.csv`: manual labels of {labeled} test studies\n"
        "  (study_id and the 14 observations), as in MIMIC-CXR-JPG.\n"
        if labeled
        else ""
    )
    return f"""\
# De-identified chest radiograph release

Made with cxrkit. {patients} patients, {studies} studies, {images} images.

## Layout

- `files/p<NN>/p<subject_id>/s<study_id>/<dicom_id>.dcm` — de-identified DICOM images;
  `files/p<NN>/p<subject_id>/s<study_id>.txt` — the de-identified report of the study.
- `jpg/files/…/<dicom_id>.jpg` and the four tables beside it — the MIMIC-CXR-JPG form.
- `cxr-record-list.csv.gz` (subject_id, study_id, dicom_id, path) and `cxr-study-list.csv.gz`
  (subject_id, study_id, path): lookup tables linking patients, studies and images.
- `mimic-cxr-2.0.0-metadata.csv.gz`, `mimic-cxr-2.0.0-chexpert.csv.gz`,
  `mimic-cxr-2.0.0-negbio.csv.gz`, `mimic-cxr-2.0.0-split.csv.gz`: as in MIMIC-CXR-JPG.
{manual}- `IMAGE_FILENAMES`: one image path per line, for partial downloads.
- `SHA256SUMS.txt`: checksums of every file (`sha256sum -c SHA256SUMS.txt`).

## De-identification

subject_id (8 digits, starting with 1), study_id (8 digits, starting with 5) and dicom_id are
random and imply no order. Dates are shifted by a per-patient number of days into the years
2100–2200; times of day are unchanged. DICOM headers follow DICOM PS3.15's Basic Application
Level Confidentiality Profile with the Clean Descriptors, Retain Longitudinal Temporal
Information with Modified Dates, Clean Pixel Data and Clean Graphics options. Burned-in text
that could identify a patient is covered by black boxes. In reports, every PHI span is `___`.
`StudyTime` in the metadata table is the DICOM TM string (leading zeros kept).
"""
