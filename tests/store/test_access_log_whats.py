"""Every `what` the code writes to the access log has a Chinese name for the log's page, filter and export."""

from __future__ import annotations

import ast
from pathlib import Path

import sandbox
from sandbox.store.office.access_log import WHAT_ZH

ROOT = Path(sandbox.__file__).parent
# the functions that pass their caller's `what` on to access_log.append, and where the caller puts it
WRAPPERS = {"note_read": 3, "_log": 1}


def _logged() -> tuple[dict[str, str], list[str]]:
    """({what: where it is logged}, [calls whose what is not a literal, outside the wrappers])."""
    found: dict[str, str] = {}
    loose: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for call in ast.walk(fn):
                if not isinstance(call, ast.Call):
                    continue
                where = f"{path.relative_to(ROOT.parent)}:{call.lineno}"
                name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
                if name == "append" and isinstance(call.func, ast.Attribute) and \
                        getattr(call.func.value, "id", "") == "access_log":
                    what = next((k.value for k in call.keywords if k.arg == "what"), None)
                elif name in WRAPPERS and fn.name not in WRAPPERS and len(call.args) > WRAPPERS[name]:
                    what = call.args[WRAPPERS[name]]
                else:
                    continue
                if isinstance(what, ast.Constant) and isinstance(what.value, str):
                    found.setdefault(what.value, where)
                elif fn.name not in WRAPPERS:
                    loose.append(where)
    return found, loose


def test_every_what_the_code_logs_has_a_chinese_name():
    found, loose = _logged()
    assert not loose, f"access_log.append with a `what` that is not a literal (add its wrapper to WRAPPERS): {loose}"
    # the scan sees the API's reads, the console's changes and the CLI's: it is not looking at nothing
    assert {"household", "risk_hits", "risk_hit", "risk_case", "followup", "account"} <= set(found)
    missing = {w: where for w, where in found.items() if w not in WHAT_ZH}
    assert not missing, f"no Chinese name in WHAT_ZH for: {missing}"


def test_the_names_are_chinese_and_distinct():
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in zh) for zh in WHAT_ZH.values())
    assert len(set(WHAT_ZH.values())) == len(WHAT_ZH)
