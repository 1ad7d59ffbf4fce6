"""HTTP client of the central API: the only way the wall display sees records."""
