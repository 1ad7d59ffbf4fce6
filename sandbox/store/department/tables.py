"""ORM tables of department data: one row per person and record of a source, and each source's import state."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models import Base, Household, Member

__all__ = ["DepartmentRecord", "DepartmentSource"]


class DepartmentRecord(Base):
    """One row of a department's file, keyed by (source, ID number, the row's own key within the source:
    a plate number, a property certificate, a company's credit code and role …; "" where a person has one
    row). The generic columns mean what each source's mapping says (sandbox/store/department/sources.py)."""

    __tablename__ = "department_records"
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), primary_key=True)
    record_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(32))  # vehicle type, 权利性质, role, 注销原因, 险种 …
    status: Mapped[str | None] = mapped_column(String(16))  # 登记状态, 参保状态, 学籍状态
    amount: Mapped[float | None] = mapped_column(Float)  # yuan: a vehicle's value, capital subscribed, allowance
    place: Mapped[str | None] = mapped_column(String(128))  # 坐落, 住所
    detail: Mapped[str | None] = mapped_column(String(128))  # 工作单位, 企业名称, 学校, 用途 …
    start_date: Mapped[dt.date | None] = mapped_column(Date)  # 入职, 登记, 注销, 入监, 参保, 入学 …
    end_date: Mapped[dt.date | None] = mapped_column(Date)  # 刑满释放, 企业注销, 退保 …
    row: Mapped[int] = mapped_column(Integer)  # the row in the file it was last imported from

    __table_args__ = (Index("ix_department_records_id_number", "id_number"),)


class DepartmentSource(Base):
    """Each source's last import that changed something: its file, its own date (数据截至) and counts."""

    __tablename__ = "department_sources"
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    file: Mapped[str] = mapped_column(String(255))
    as_of: Mapped[dt.date | None] = mapped_column(Date)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, naive
    rows: Mapped[int] = mapped_column(Integer)  # records of the source after the import
    in_register: Mapped[int] = mapped_column(Integer)  # of the file's people: in the 建档立卡 register
    not_in_register: Mapped[int] = mapped_column(Integer)


# The rules join department rows to the register by ID number: without these, each rule scans
# millions of members per source at province scale.
Index("ix_members_id_number", Member.id_number)
Index("ix_households_id_number", Household.id_number)
