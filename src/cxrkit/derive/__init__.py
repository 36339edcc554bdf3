"""S16–S17: DICOM to JPG and metadata rows.

Not built yet: see the build issue.
"""
