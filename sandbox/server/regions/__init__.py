"""Regions: indicators per region and year, children as GeoJSON, trends."""
