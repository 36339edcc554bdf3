"""The test PACS itself: Orthanc answers DICOMweb and holds the export."""

from __future__ import annotations

import httpx
from pacs_server import Orthanc


def test_orthanc_holds_the_export_and_answers_qido(orthanc: Orthanc) -> None:
    stats = httpx.get(f"{orthanc.url}/statistics").json()
    assert stats["CountInstances"] == 15  # 12 images, 1 without pixels, 1 CT, 1 blank
    studies = httpx.get(f"{orthanc.dicomweb}/studies").json()
    assert len(studies) == 10
