"""S16–S17: DICOM to JPG and metadata rows.

Used by the per-image work of a build and by ``cxrkit jpg``; see ``docs/build.md``.
"""
