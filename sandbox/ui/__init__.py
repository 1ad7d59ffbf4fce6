"""The wall display: PySide6 widgets over plain-Python state, fed only through the API client."""

from sandbox.ui.heap import keep_no_source_lines

# First thing any wall, kiosk or safe-mode process imports from here: from now on PySide6's import
# hook no longer fills `linecache` with every module's source (issue 20: ≈ 100 MiB of Python
# arenas held for good from the first seconds).
keep_no_source_lines()
