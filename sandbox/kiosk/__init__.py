"""The kiosk's pure-Python half: config and tour files, exit PIN hashing, the UI supervisor (no Qt)."""
