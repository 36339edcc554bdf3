"""S9–S11: RIS intake, report segments, text de-identification and sections.

Not built yet: see the reports issue.
"""
