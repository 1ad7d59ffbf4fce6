"""What every command group shares: the settings and database a command line names, Beijing time, tables."""

from __future__ import annotations

import argparse
import datetime as dt
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pydantic-settings loads when a command needs the settings, not for every command line
    from sandbox.settings import Settings

__all__ = ["settings_for", "data_engine", "beijing", "print_table", "raised_by"]


class _NotRaised(Exception):
    """Nothing raises it: what an `except` matches for an error whose module was never imported."""


def raised_by(module: str, name: str) -> type[BaseException]:
    """`module.name` (an exception class) if `module` was imported — only then can it have been raised —
    else a class nothing raises. For `except raised_by(...)`, evaluated only when an exception is on its way:
    a command that never touches the database (the wall on a remote API) never imports SQLAlchemy (≈ 0.3 s)."""
    import sys

    mod = sys.modules.get(module)
    return getattr(mod, name) if mod is not None else _NotRaised


def positive_int(text: str) -> int:
    """An argparse type: a whole number ≥ 1, refused in Chinese (a record's or device's number)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为正整数, 不是 {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("必须是正整数")
    return value


def settings_for(args: argparse.Namespace) -> Settings:
    """The deployment's settings, with `--db` (when given) as the database."""
    from sandbox.settings import Settings

    return Settings(**({"database_url": args.db} if getattr(args, "db", None) else {}))


def data_engine(args: argparse.Namespace):
    """The database as `sandbox serve` uses it: migrated, never built here."""
    from sandbox.server.runtime import prepare_database

    return prepare_database(settings_for(args), build_if_empty=False)


def beijing(at: dt.datetime | None) -> str:
    """A stored UTC time as a clerk reads it (北京时间, to the minute); '-' for none."""
    return "-" if at is None else (at + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")


def _width(text: str) -> int:
    # A CJK character takes two columns of a terminal.
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def print_table(rows: list[tuple[str, ...]]) -> None:
    """Rows (the first a header) in columns aligned for Chinese text."""
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(r, widths)).rstrip())
