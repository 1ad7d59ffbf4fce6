"""Finds the line of a key in a TOML text, so that a validation error can say where to look."""

from __future__ import annotations

import re

__all__ = ["KeyLocator"]

_TABLE = re.compile(r"^\s*(\[\[?)\s*(?P<name>[^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*(?P<key>(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _split(dotted: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'""", dotted)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


class KeyLocator:
    """Maps a key path such as ("screen", "geometry") or ("steps", 3, "region") to a 1-based line.

    A small line scanner rather than a full TOML parser: the file has already been parsed by
    tomllib, this only needs headers (`[a.b]`, `[[steps]]`) and `key =` lines, which is what
    people write in config files. Multi-line strings and arrays are skipped so their contents
    never look like keys."""

    def __init__(self, text: str):
        self._lines: dict[tuple, int] = {}
        counts: dict[tuple, int] = {}
        table: tuple = ()
        open_multiline: str | None = None
        depth = 0
        for no, line in enumerate(text.splitlines(), start=1):
            if open_multiline is not None:
                if open_multiline in line:
                    open_multiline = None
                continue
            if depth > 0:  # inside a multi-line array: brackets only
                depth += _bracket_balance(line)
                continue
            m = _TABLE.match(line)
            if m and not _KEY.match(line):
                name = _split(m.group("name"))
                if m.group(1) == "[[":
                    i = counts.get(name, 0)
                    counts[name] = i + 1
                    table = (*name, i)
                else:
                    table = name
                self._lines.setdefault(table, no)
                continue
            k = _KEY.match(line)
            if k:
                path = (*table, *_split(k.group("key")))
                self._lines.setdefault(path, no)
                rest = line[k.end():]
                for quote in ('"""', "'''"):
                    if rest.count(quote) == 1:
                        open_multiline = quote
                depth = max(0, _bracket_balance(rest))

    def line_of(self, path: tuple) -> int | None:
        """The line of `path`, else of its nearest enclosing key or table that the file names."""
        path = tuple(path)
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return None


def _bracket_balance(text: str) -> int:
    text = re.sub(r'"(?:\\.|[^"\\])*"|\'[^\']*\'', "", text).split("#", 1)[0]  # strings first: "#" may be in one
    return text.count("[") - text.count("]")
