"""The declarative base every table of the store is mapped on, and the dataset's own facts (meta)."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "Meta"]


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Dataset facts: demo or real, county, build time, source CRS of boundaries."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
