"""S1–S3: keystore, pseudonym allocation, date shifts, keyed UID and dicom_id derivation.

Everything here reads or writes the private workspace; see ``docs/deid-dicom.md``.
"""
