"""S1–S3: keystore, pseudonym allocation, date shifts, keyed UID and dicom_id derivation.

Not built yet: see the identity and header de-identification issue.
"""
