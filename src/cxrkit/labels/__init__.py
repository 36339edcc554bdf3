"""S12–S15: the CheXpert-style and NegBio-style report labelers and their evaluation.

Not built yet: see the labelers issue.
"""
