"""S4–S8: DICOM header de-identification, burned-in text, graphics cleaning, chest filter.

Not built yet: see the header and burned-in pixel issues.
"""
