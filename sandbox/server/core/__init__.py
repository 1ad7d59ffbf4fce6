"""What the server's features share (dataset info, caches, URL signing): features import this, never each other."""
