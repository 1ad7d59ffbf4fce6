"""The wall display: PySide6 widgets over plain-Python state, fed only through the API client."""
