"""The source contract (``SYSTEM.md`` S9a) and the synthetic hospital export generator."""
