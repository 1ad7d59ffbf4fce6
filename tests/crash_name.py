"""A crash of the test process names its test first: the nodeid, then faulthandler's dump, in one file.

CI's log keeps the start and the end of a long output: a segfault's dump of every thread's stack (the idle
worker threads first, the crashing one last) lost the one line that mattered. With SANDBOX_TEST_CRASH_LOG
set (scripts/test sets it), faulthandler writes into that file, which each test start empties and begins
with the test's nodeid (two system calls per test); scripts/test prints its head when pytest dies of a signal.
"""

from __future__ import annotations

import faulthandler
import os

import pytest

_fd: int | None = None


@pytest.hookimpl(trylast=True)  # after pytest's own faulthandler plugin, which enables it on stderr
def pytest_configure(config) -> None:
    global _fd
    path = os.environ.get("SANDBOX_TEST_CRASH_LOG")
    if not path or _fd is not None:
        return
    # O_APPEND: faulthandler's dump goes after the nodeid, wherever the last truncate left the offset
    _fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
    faulthandler.enable(file=_fd, all_threads=True)


def pytest_runtest_logstart(nodeid: str, location) -> None:
    if _fd is not None:
        os.ftruncate(_fd, 0)
        os.write(_fd, f"crashed in test: {nodeid}\n".encode("utf-8", "backslashreplace"))


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config) -> None:
    global _fd
    if _fd is not None:
        faulthandler.disable()
        os.ftruncate(_fd, 0)  # the run ended: no test to name
        os.close(_fd)
        _fd = None
