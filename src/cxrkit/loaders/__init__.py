"""S23: loaders for MIMIC-CXR-JPG, CheXpert and NIH ChestX-ray14.

Not built yet: see the loaders issue.
"""
