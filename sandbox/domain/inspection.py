"""Inspections (督查): finding categories and severities, and the monthly plan's rules (pure Python)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

from sandbox.domain.enums import LabelledEnum

__all__ = ["FindingCategory", "Severity", "RectificationStatus", "SubGroupRef", "VillageRef", "parse_month",
           "is_cross_month", "generate_plan", "assignment_problem", "plan_problems", "default_deadline"]


class FindingCategory(LabelledEnum):
    support_false = ("support_false", "帮扶不实")
    data_wrong = ("data_wrong", "数据不准")
    policy_unmet = ("policy_unmet", "政策未落实")
    funds = ("funds", "资金问题")
    conduct = ("conduct", "作风问题")
    other = ("other", "其他")


class Severity(LabelledEnum):
    minor = ("minor", "一般")
    major = ("major", "较重")
    serious = ("serious", "严重")

    @property
    def days_to_rectify(self) -> int:
        """The default rectification period in calendar days: the graver, the sooner."""
        return {"minor": 30, "major": 15, "serious": 7}[self.value]


class RectificationStatus(LabelledEnum):
    open = ("open", "整改中")  # the responsible unit must act (also after a rejected acceptance)
    submitted = ("submitted", "待验收")  # evidence in: the inspector must accept or send it back
    closed = ("closed", "已销号")  # accepted


@dataclass(frozen=True)
class SubGroupRef:
    id: int
    town_code: str | None  # the town the sub-group belongs to (its 联系乡镇); None: a county-level sub-group


@dataclass(frozen=True)
class VillageRef:
    code: str
    town_code: str


def parse_month(text: str) -> tuple[int, int]:
    """'2019-03' → (2019, 3); ValueError with a Chinese message otherwise."""
    parts = (text or "").strip().split("-")
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() for p in parts) or len(parts[0]) != 4 \
            or len(parts[1]) != 2:
        raise ValueError(f"月份 {text!r} 无效, 应为 YYYY-MM, 如 2019-03")
    y, m = int(parts[0]), int(parts[1])
    if not (1 <= m <= 12 and 2000 <= y <= 2100):
        raise ValueError(f"月份 {text!r} 无效, 应为 YYYY-MM (2000-2100 年, 1-12 月)")
    return y, m


def is_cross_month(month: str) -> bool:
    """The third month of each quarter (3, 6, 9, 12) is the quarterly cross-inspection (季度交叉巡查)."""
    return parse_month(month)[1] % 3 == 0


def generate_plan(month: str, subgroups: Sequence[SubGroupRef], villages: Sequence[VillageRef],
                  seed: int) -> dict[str, int]:
    """Every village → one sub-group, the same for the same (month, seed, inputs).

    An ordinary month is 网格化: a village goes to the least-loaded sub-group of its own town (any
    sub-group when its town has none). A cross-inspection month sends it to the least-loaded sub-group
    of another town. Ties are broken by a seeded draw so the load spreads differently each month."""
    if not subgroups:
        raise ValueError("没有督查小组, 无法生成督查计划")
    cross = is_cross_month(month)
    rng = random.Random(f"{seed}:{month}")
    order = sorted(villages, key=lambda v: v.code)
    rng.shuffle(order)
    groups = sorted(subgroups, key=lambda s: s.id)
    tiebreak = {s.id: rng.random() for s in groups}
    load = dict.fromkeys(tiebreak, 0)
    out: dict[str, int] = {}
    for v in order:
        if cross:
            pool = [s for s in groups if s.town_code != v.town_code]
            if not pool:
                raise ValueError(f"交叉巡查: 没有不属于 {v.town_code} 的督查小组可派往村 {v.code}")
        else:
            pool = [s for s in groups if s.town_code == v.town_code] or groups
        best = min(pool, key=lambda s: (load[s.id], tiebreak[s.id]))
        load[best.id] += 1
        out[v.code] = best.id
    return out


def assignment_problem(month: str, subgroup: SubGroupRef, village: VillageRef, town_name: str = "") -> str | None:
    """Why this assignment breaks the plan's rules (Chinese), or None when it keeps them."""
    if is_cross_month(month) and subgroup.town_code is not None and subgroup.town_code == village.town_code:
        where = town_name or subgroup.town_code
        return (f"{month} 是季度交叉巡查月: 督查小组不得检查本镇, 该小组属于{where}, "
                f"村 {village.code} 也在{where}; 请改派其他乡镇的小组")
    return None


def plan_problems(month: str, plan: dict[str, int], subgroups: Sequence[SubGroupRef],
                  villages: Sequence[VillageRef]) -> list[str]:
    """Every rule a stored plan breaks: a poor village not inspected, an unknown sub-group, a cross
    inspection of a sub-group's own town. Empty when the plan keeps them all."""
    by_id = {s.id: s for s in subgroups}
    problems = []
    for v in villages:
        sid = plan.get(v.code)
        if sid is None:
            problems.append(f"村 {v.code} 本月无督查小组")
        elif sid not in by_id:
            problems.append(f"村 {v.code} 的督查小组 {sid} 不存在")
        else:
            why = assignment_problem(month, by_id[sid], v)
            if why:
                problems.append(why)
    return problems


def default_deadline(severity: Severity, found_on: dt.date) -> dt.date:
    return found_on + dt.timedelta(days=severity.days_to_rectify)
