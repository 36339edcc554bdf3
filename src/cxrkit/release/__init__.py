"""S18–S20, S22: release layout, record lists, split, checksums, summary tables.

Not built yet: see the build issue.
"""
