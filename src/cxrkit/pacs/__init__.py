"""Fetch the studies of a RIS export from the PACS into the source contract's ``SRC/dicom/``.

- :mod:`cxrkit.pacs.store`: what ``SRC/dicom/`` already holds, atomic writes by SOP Instance UID.
- :mod:`cxrkit.pacs.dicomweb`: QIDO-RS / WADO-RS client (httpx).
- :mod:`cxrkit.pacs.dimse`: C-FIND / C-GET / C-MOVE client and the storage SCP (pynetdicom).
- :mod:`cxrkit.pacs.pull`: accessions of ``SRC/reports/`` → studies → missing instances.
- :mod:`cxrkit.pacs.log`: ``SRC/pull-log.csv``, what came and what did not.
"""
