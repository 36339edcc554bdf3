"""The source contract (S9a) and the synthetic hospital export generator."""
