"""Static files of the phone app and its pages (no build step)."""
