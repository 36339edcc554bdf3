"""S18–S20, S22: release layout, record lists, split, checksums, summary tables.

Also ``cxrkit verify`` (with its leak audit and census) and ``cxrkit stats``; see
``docs/build.md``.
"""
