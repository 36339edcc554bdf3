"""Plan, linking, per-image work, executors, quarantine: the package that drives every stage.

``cxrkit build`` and ``cxrkit deid-dicom`` live here; see ``docs/build.md`` and
``docs/architecture.md``.
"""
