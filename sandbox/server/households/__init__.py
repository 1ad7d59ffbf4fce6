"""Household records (建档立卡户), masked by the caller's role on the server."""
