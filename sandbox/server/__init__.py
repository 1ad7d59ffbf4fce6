"""The central API (FastAPI): one folder per feature, roles and masking enforced here."""
