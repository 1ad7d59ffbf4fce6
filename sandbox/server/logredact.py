"""Signatures out of logs: `sig=` values of signed stream URLs are replaced in every log record.

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
            record.args = _redacted_args(record.args)
        return record

    factory.redacts_signatures = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
