"""How much of a client's value an error message quotes back: one cut for every message."""

from __future__ import annotations

__all__ = ["ECHO_MAX_CHARS", "cut"]

ECHO_MAX_CHARS = 200  # a 422 quotes at most this much of a bad value


def cut(text: str) -> str:
    """`text` as an error message may quote it: at most ECHO_MAX_CHARS, then how long it was."""
    return text if len(text) <= ECHO_MAX_CHARS else text[:ECHO_MAX_CHARS] + f"…(共 {len(text)} 字符)"
