"""S4–S8: DICOM header de-identification, burned-in text, graphics cleaning, chest filter.

See ``docs/deid-dicom.md`` (headers) and ``docs/burned-in.md`` (pixels).
"""
