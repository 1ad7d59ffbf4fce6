"""Synthetic live video for the demo cameras: MJPEG over HTTP, signed short-lived URLs."""
