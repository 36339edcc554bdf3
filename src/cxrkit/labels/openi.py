"""Read the Open-I (Indiana University) chest X-ray reports from NLM's ``NLMCXR_reports.tgz``.

The archive (CC BY-NC-ND 4.0, Demner-Fushman et al., JAMIA 2016) holds one NLM XML file per
report with ``AbstractText`` elements labeled COMPARISON, INDICATION, FINDINGS and IMPRESSION.
It is read as it is, in memory: nothing is extracted to disk.

Examples
--------
>>> import io, tarfile
>>> xml = (b'<eCitation><uId id="CXR7"/><Abstract>'
...        b'<AbstractText Label="FINDINGS">No effusion.</AbstractText>'
...        b'<AbstractText Label="IMPRESSION"/></Abstract></eCitation>')
>>> buf = io.BytesIO()
>>> with tarfile.open(fileobj=buf, mode="w:gz") as tar:
...     info = tarfile.TarInfo("ecgen-radiology/7.xml"); info.size = len(xml)
...     tar.addfile(info, io.BytesIO(xml))
>>> _ = buf.seek(0)
>>> read_openi_reports(buf)["CXR7"].findings
'No effusion.'
"""

from __future__ import annotations

import tarfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cxrkit.errors import DataFileError


@dataclass(frozen=True)
class OpenIReport:
    """The labeled sections of one Open-I report (empty string when absent)."""

    uid: str
    comparison: str
    indication: str
    findings: str
    impression: str

    @property
    def label_text(self) -> str:
        """The text a labeler reads: the impression, else the findings."""
        return self.impression or self.findings


def _parse(data: bytes, name: str) -> OpenIReport:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise DataFileError(f"{name} in the Open-I archive is not valid XML: {exc}") from exc
    uid_el = root.find("uId")
    uid = uid_el.get("id", "") if uid_el is not None else ""
    sections = {
        (el.get("Label") or "").upper(): " ".join((el.text or "").split())
        for el in root.iter("AbstractText")
    }
    return OpenIReport(
        uid,
        sections.get("COMPARISON", ""),
        sections.get("INDICATION", ""),
        sections.get("FINDINGS", ""),
        sections.get("IMPRESSION", ""),
    )


def read_openi_reports(source: str | Path | BinaryIO) -> dict[str, OpenIReport]:
    """Read every report of ``NLMCXR_reports.tgz``, keyed by uid (``CXR<n>``).

    Parameters
    ----------
    source
        Path of the archive, or a binary file object holding it.

    Examples
    --------
    See the module docstring.
    """
    reports: dict[str, OpenIReport] = {}
    kwargs: dict[str, Any] = (
        {"name": source} if isinstance(source, str | Path) else {"fileobj": source}
    )
    try:
        with tarfile.open(mode="r:gz", **kwargs) as tar:
            for member in tar:
                if not (member.isfile() and member.name.endswith(".xml")):
                    continue
                handle = tar.extractfile(member)
                if handle is None:  # pragma: no cover
                    continue
                report = _parse(handle.read(), member.name)
                if report.uid:
                    reports[report.uid] = report
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise DataFileError(f"cannot read the Open-I archive {source!s}: {exc}") from exc
    return reports
