"""What one department import did: rows in and out, people in and not in the register, and its summary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.store.importers.report import ImportReport

__all__ = ["DepartmentImport"]


@dataclass
class DepartmentImport:
    file: str
    source: str
    source_name: str
    rows_read: int = 0
    rows_rejected: int = 0
    duplicates: int = 0  # rows repeating an earlier row's ID number and key: the first one counts
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    people: int = 0  # distinct ID numbers among the imported rows
    in_register: int = 0  # of them: a member or head in the 建档立卡 register
    not_in_register: int = 0  # kept all the same: the rules need only those in the register, a later register may add them
    unknown_columns: list[str] = field(default_factory=list)
    rows_skipped: int = 0  # 合计, 制表人, the header again
    as_of: dt.date | None = None
    as_of_changed: bool = False
    report: ImportReport = field(default_factory=ImportReport)
    report_path: Path | None = None
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated or self.as_of_changed)

    def summary_zh(self) -> list[str]:
        """The lines a clerk reads: what came in, who is not in the register, what was not understood."""
        head = (f"{self.source_name} {self.file}: 新增 {self.new:,} 条, 更新 {self.updated:,} 条, 未变 {self.unchanged:,} 条"
                if self.changed else f"{self.source_name} {self.file}: {self.unchanged:,} 条与数据库一致, 无变化")
        lines = [head + f"; 用时 {self.seconds:.1f} 秒" + (f"; 报告: {self.report_path}" if self.report_path else "")]
        lines.append(f"涉及 {self.people:,} 人, 其中 {self.in_register:,} 人在建档立卡登记表中, "
                     f"{self.not_in_register:,} 人不在 (已保存, 不算错误)")
        if self.rows_rejected:
            lines.append(f"未导入 {self.rows_rejected:,} 行 (证件号码无效、日期或数字不可识别等), 见报告")
        if self.duplicates:
            lines.append(f"重复行 {self.duplicates:,} 行 (与前面某行的证件号码和记录相同), 以第一行为准")
        if self.unknown_columns:
            lines.append(f"未识别的列 {len(self.unknown_columns)} 个, 未导入: {'、'.join(self.unknown_columns)}"
                         " (如需导入, 请在映射文件中加上列名)")
        if self.rows_skipped:
            lines.append(f"跳过非数据行 {self.rows_skipped} 行 (合计、表尾、重复的表头)")
        if self.as_of:
            lines.append(f"数据截至 {self.as_of.isoformat()}")
        return lines
