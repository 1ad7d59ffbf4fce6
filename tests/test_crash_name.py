"""A test process that dies of a signal leaves the dying test's nodeid first in the crash log (tests/crash_name.py)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_segfault_leaves_the_tests_nodeid_then_the_crashing_stack(tmp_path):
    (tmp_path / "test_dies.py").write_text(
        "import faulthandler\n\n"
        "def test_fine():\n    pass\n\n"
        "def test_dies():\n    faulthandler._sigsegv()\n\n"
        "def test_never_runs():\n    pass\n")
    log = tmp_path / "crash.log"
    env = {**os.environ, "SANDBOX_TEST_CRASH_LOG": str(log), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.crash_name",
                           "--rootdir", str(tmp_path), str(tmp_path / "test_dies.py")],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode < 0 or proc.returncode > 128  # killed by the signal
    text = log.read_text()
    assert text.splitlines()[0] == "crashed in test: test_dies.py::test_dies"
    assert "Fatal Python error: Segmentation fault" in text
    assert 'line 7 in test_dies' in text.split("Current thread", 1)[1]


def test_a_run_that_ends_leaves_no_test_named(tmp_path):
    (tmp_path / "test_fine.py").write_text("def test_fine():\n    pass\n")
    log = tmp_path / "crash.log"
    env = {**os.environ, "SANDBOX_TEST_CRASH_LOG": str(log), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.crash_name",
                           "--rootdir", str(tmp_path), str(tmp_path / "test_fine.py")],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert log.read_text() == ""
