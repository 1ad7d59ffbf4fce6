"""What a request to the API can end in besides an answer: an error status, no answer, a retry."""

from __future__ import annotations

__all__ = ["ApiError", "ApiUnavailable", "Unreachable", "Transient"]


class ApiError(Exception):
    """The API answered with an error status; `message` is its Chinese detail."""

    def __init__(self, status: int, message: str, path: str = ""):
        super().__init__(f"{status} {message}")
        self.status, self.message, self.path = status, message, path


class ApiUnavailable(ApiError):
    """The API could not be reached (down, refused, timed out)."""

    def __init__(self, message: str, path: str = ""):
        super().__init__(0, message, path)


class Transient(Exception):
    """Worth another attempt: refused/reset connection, connect timeout, 502/503/504."""

    def __init__(self, reason: str, answer: tuple[int, bytes] | None = None):
        super().__init__(reason)
        self.reason, self.answer = reason, answer


class Unreachable(Exception):
    """No answer within the deadline; not retried (the time is spent). What `transport` raises when
    nothing answered (a test double raises it to play an outage)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
