"""What the wall exports: the map view as self-contained HTML (html, no Qt) and a PNG of a widget (png)."""
