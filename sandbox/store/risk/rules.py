"""The rule registry: each family's module registers its rules here; thresholds come from TOML, never from code."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module
from importlib.resources import files
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from sandbox.store.risk.hits import Hit

__all__ = ["FAMILIES", "Rule", "Thresholds", "rule", "all_rules", "load_thresholds"]

# family id → (Chinese name, module under sandbox.store.risk holding its rules)
FAMILIES = {
    "persons": "伪贫困户",
    "funds": "资金使用",
    "checkins": "挂名帮扶",
}


class Thresholds:
    """One rule family's thresholds, read from thresholds/<family>.toml (a [rule_id] table per rule)."""

    def __init__(self, tables: dict[str, dict[str, Any]]):
        self._tables = tables

    def of(self, rule_id: str) -> dict[str, Any]:
        """The rule's table; a rule without one has no thresholds (an empty table)."""
        return dict(self._tables.get(rule_id.split(".", 1)[-1], {}))

    def value(self, rule_id: str, key: str) -> Any:
        table = self.of(rule_id)
        if key not in table:
            raise KeyError(f"阈值缺失: 规则 {rule_id} 的 {key} 未在阈值文件中设置")
        return table[key]


@dataclass(frozen=True)
class Rule:
    id: str  # "<family>.<name>"
    family: str
    name: str  # Chinese, as the register lists it
    run: Callable[[Session, Thresholds], Iterable[Hit]]


_RULES: dict[str, Rule] = {}


def rule(rule_id: str, name: str) -> Callable[[Callable[[Session, Thresholds], Iterable[Hit]]], Callable]:
    """Registers a rule function under `<family>.<name>` (the family is the id's first part)."""
    family = rule_id.split(".", 1)[0]
    if family not in FAMILIES or "." not in rule_id:
        raise ValueError(f"rule id {rule_id!r} must be <family>.<name> with a family in {sorted(FAMILIES)}")

    def register(fn: Callable[[Session, Thresholds], Iterable[Hit]]) -> Callable:
        _RULES[rule_id] = Rule(rule_id, family, name, fn)
        return fn

    return register


def load_thresholds(family: str, path: Path | None = None) -> Thresholds:
    """The family's thresholds: the file at `path` if given (an operator's copy), else the packaged default."""
    text = path.read_text(encoding="utf-8") if path is not None else \
        files("sandbox.store.risk").joinpath(f"thresholds/{family}.toml").read_text(encoding="utf-8")
    return Thresholds(tomllib.loads(text))


def all_rules() -> dict[str, Rule]:
    """Every rule of every family whose module exists (importing a family's module registers its rules)."""
    for family in FAMILIES:
        try:
            import_module(f"sandbox.store.risk.{family}")
        except ModuleNotFoundError as exc:
            if exc.name != f"sandbox.store.risk.{family}":
                raise
    return dict(sorted(_RULES.items()))
