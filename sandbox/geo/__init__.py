"""Geometry for the sandbox: county outlines, GCJ-02 ↔ WGS-84, synthetic divisions, simplification."""
