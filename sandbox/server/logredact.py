"""Signatures out of logs: `sig=` values of signed stream URLs are replaced in every log record
(the message, its string args, and the formatted message when an arg is an object that prints one).

A signed demo stream URL works for an hour; uvicorn's access log writes the whole path with its
query, and our own messages may quote a URL. The record factory is process-wide, so it covers
every logger and handler, whenever and however they are configured (uvicorn configures its own
after the app is built).
"""

from __future__ import annotations

import logging
import re

__all__ = ["redact", "install_log_redaction"]

_SIG = re.compile(r"(\bsig=)[^&\s\"']+")
_REDACTED = r"\1<已隐去>"


def redact(text: str) -> str:
    return _SIG.sub(_REDACTED, text) if "sig=" in text else text


def _redacted_args(args):
    if isinstance(args, tuple):
        return tuple(redact(a) if isinstance(a, str) else a for a in args)
    if isinstance(args, dict):
        return {k: redact(v) if isinstance(v, str) else v for k, v in args.items()}
    return args


_PLAIN = (str, int, float, bool, type(None))


def _plain(record: logging.LogRecord) -> bool:
    """Whether the message is a string and every arg a string or number (already redacted above)."""
    if not isinstance(record.msg, str):
        return False
    args = record.args
    values = args.values() if isinstance(args, dict) else (args or ())
    return all(isinstance(v, _PLAIN) for v in values)


def install_log_redaction() -> None:
    """Wrap the log record factory once (calling it again changes nothing)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts_signatures", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.args:
            # string args redacted one by one: uvicorn's access formatter unpacks its args tuple
            record.args = _redacted_args(record.args)
        if not _plain(record):  # an object (a URL, an exception, bytes) may print a signature
            try:
                text = record.getMessage()
            except Exception:  # noqa: BLE001 — a bad format string is logging's to report, as before
                return record
            if redact(text) != text:
                record.msg, record.args = redact(text), None
        return record

    factory.redacts_signatures = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
