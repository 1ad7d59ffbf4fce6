"""PySide6 must keep the reference counts of None and True intact (6.12.0 on CPython 3.11 does not)."""

from __future__ import annotations

import os
import subprocess
import sys

CHECK = r'''
import sys
from PySide6 import QtCore
point = QtCore.QPointF()
before = sys.getrefcount(None)
for i in range(1000):
    point.setX(i)
none_drift = sys.getrefcount(None) - before
class Emitter(QtCore.QObject):
    fired = QtCore.Signal(int)
emitter, received = Emitter(), []
emitter.fired.connect(received.append)
before = sys.getrefcount(True)
for i in range(1000):
    emitter.fired.emit(i)
bool_drift = sys.getrefcount(True) - before
print(QtCore.__version__, none_drift, bool_drift, len(received))
sys.exit(0 if none_drift == 0 and bool_drift == 0 and len(received) == 1000 else 1)
'''


def test_installed_pyside6_keeps_refcounts():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, f"PySide6 drifts reference counts: {r.stdout} {r.stderr}"
