"""S22: a release in a database (``cxrkit db``) and EHR extracts on the release's pseudonyms
(``cxrkit link-ehr``).

:func:`load_release` loads every table of a release into DuckDB (default), PostgreSQL or
SQLite with typed columns, keys, indexes and derived views; :func:`link_ehr` pseudonymises a
hospital EHR table with the keystore of the release. See ``docs/database.md``.
"""

from cxrkit.db.load import LoadOptions, LoadSummary, load_release

__all__ = ["LoadOptions", "LoadSummary", "load_release"]
