"""The wall display: PySide6 widgets over plain-Python state, fed only through the API client."""

from sandbox.ui.source_lines import keep_no_source_lines_once_qt_loads

# First thing any wall, kiosk or safe-mode process imports from here: once PySide6 loads, its import
# hook no longer fills `linecache` with every module's source (issue 20: ≈ 100 MiB of Python arenas
# held for good from the first seconds). A pure module under sandbox.ui still loads no Qt.
keep_no_source_lines_once_qt_loads()
