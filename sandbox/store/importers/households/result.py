"""What one register import did: counts of rows, households and people in and out, and its summary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.store.importers.report import ImportReport
from sandbox.store.importers.tables import SKIP_KINDS

__all__ = ["Counts", "RegisterImport"]


@dataclass
class Counts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.new + self.updated


@dataclass
class RegisterImport:
    """What one import did; `report_path` is set when the report was written."""

    file: str
    rows_read: int = 0
    rows_rejected: int = 0
    households: Counts = field(default_factory=Counts)
    years: Counts = field(default_factory=Counts)
    members: Counts = field(default_factory=Counts)  # households whose member list is new / replaced / equal
    member_rows: int = 0
    member_rows_not_imported: int = 0  # members of rejected households: not errors of their own
    households_imported: int = 0  # distinct households with a valid row (new, updated or equal)
    households_rejected: int = 0
    household_rows_rejected: int = 0
    people_imported: int = 0
    people_rejected: int = 0
    rows_skipped: dict[str, int] = field(default_factory=dict)  # not records (合计, 制表人, header again)
    as_of: dt.date | None = None  # the register's own date, shown as 数据截至
    populations: Counts = field(default_factory=Counts)
    poor_villages_updated: int = 0
    derived_village_exits: int = 0
    poverty_lines_added: list[int] = field(default_factory=list)
    existing_households: int = 0  # a dry run: households of the file already in the database (would be updated)
    report: ImportReport = field(default_factory=ImportReport)
    report_path: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.households.changed or self.years.changed or self.members.changed
                    or self.populations.changed or self.poor_villages_updated or self.poverty_lines_added
                    or self.derived_village_exits)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def summary_zh(self) -> list[str]:
        """What a clerk reads first: households and people in and out, rows skipped, warnings, the date."""
        lines = []
        if self.households_imported or self.households_rejected:
            line = f"户信息: 导入 {self.households_imported:,} 户 ({self.people_imported:,} 人)"
            if self.households_rejected:
                line += f", 拒绝 {self.households_rejected:,} 户 ({self.people_rejected:,} 人)"
            if self.member_rows_not_imported:
                line += f"; 被拒户的家庭成员 {self.member_rows_not_imported:,} 行随之未导入 (不另算错误)"
            lines.append(line)
        if self.rows_skipped:
            kinds = "、".join(f"{SKIP_KINDS[k]} {n}" for k, n in self.rows_skipped.items())
            lines.append(f"跳过非数据行 {sum(self.rows_skipped.values())} 行 ({kinds})")
        warnings = len(self.report.warnings)
        if warnings:
            lines.append(f"警告 {warnings} 条: 已导入, 但请核对 (如按近似写法识别的值、乡镇村名), 见报告")
        if self.as_of:
            lines.append(f"数据截至 {self.as_of.isoformat()}")
        return lines

