"""Project-site cameras: where they are and where their stream is."""
