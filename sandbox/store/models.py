"""SQLAlchemy 2.x ORM models of the poverty-alleviation records (DOMAIN.md §2)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sandbox.domain.indicators import FACTS

__all__ = [
    "Base", "Meta", "Region", "RegionPopulation", "PovertyLine", "Household", "HouseholdYear",
    "Member", "Cadre", "Assignment", "Checkin", "Project", "ProjectProgress", "ProjectBeneficiary",
    "FundSource", "FundAllocation", "FundPayment", "Camera", "ApiToken", "RegionYearFacts",
    "RegionYearTotals", "RegionYearBreakdown", "PublicSlug", "Complaint", "FieldInvite", "FieldDevice",
]


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Dataset facts: demo or real, county, build time, source CRS of boundaries."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Region(Base):
    __tablename__ = "regions"
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_code: Mapped[str | None] = mapped_column(String(12), index=True)
    is_poor_village: Mapped[bool] = mapped_column(Boolean, default=False)
    poor_village_exit_year: Mapped[int | None] = mapped_column(Integer)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)  # demo partitions say so
    # GeoJSON geometry, WGS-84; deferred: most queries need only names and codes
    boundary: Mapped[str | None] = mapped_column(Text, deferred=True)
    boundary_source_crs: Mapped[str | None] = mapped_column(String(32))
    label_lon: Mapped[float | None] = mapped_column(Float)
    label_lat: Mapped[float | None] = mapped_column(Float)


class RegionPopulation(Base):
    """Rural registered population (农村户籍人口) per village and year: the incidence denominator."""

    __tablename__ = "region_populations"
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    rural_population: Mapped[int] = mapped_column(Integer)


class PovertyLine(Base):
    """One row per year: the income line (yuan per person per year, current prices)."""

    __tablename__ = "poverty_lines"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_yuan: Mapped[float] = mapped_column(Float)


class Household(Base):
    __tablename__ = "households"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    household_number: Mapped[str] = mapped_column(String(32), unique=True)
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    head_name: Mapped[str] = mapped_column(String(32))
    id_number: Mapped[str] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    bank_account: Mapped[str | None] = mapped_column(String(32))
    attribute: Mapped[str] = mapped_column(String(16))
    identified_year: Mapped[int] = mapped_column(Integer)
    main_cause: Mapped[str] = mapped_column(String(2))
    exit_batch: Mapped[str | None] = mapped_column(String(24))  # None: the register has no 脱贫路径
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)


class HouseholdYear(Base):
    """A household's state at the end of a year: status, members, income, 两不愁三保障 checks."""

    __tablename__ = "household_years"
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    exited_this_year: Mapped[bool] = mapped_column(Boolean, default=False)
    members: Mapped[int] = mapped_column(Integer)
    income_wage: Mapped[float] = mapped_column(Float, default=0)
    income_business: Mapped[float] = mapped_column(Float, default=0)
    income_transfer: Mapped[float] = mapped_column(Float, default=0)
    income_property: Mapped[float] = mapped_column(Float, default=0)
    production_cost: Mapped[float] = mapped_column(Float, default=0)
    net_income: Mapped[float] = mapped_column(Float, default=0)
    per_capita_net_income: Mapped[float] = mapped_column(Float, default=0)
    food_clothing_ok: Mapped[bool | None] = mapped_column(Boolean, default=True)  # None: not in the register
    school_age_children: Mapped[bool | None] = mapped_column(Boolean, default=False)
    dropout: Mapped[bool] = mapped_column(Boolean, default=False)
    all_insured: Mapped[bool] = mapped_column(Boolean, default=True)
    housing_grade: Mapped[str] = mapped_column(String(1))
    relocated: Mapped[bool | None] = mapped_column(Boolean, default=False)
    water_safe: Mapped[bool] = mapped_column(Boolean, default=True)
    survey_satisfied: Mapped[bool | None] = mapped_column(Boolean)  # None: not surveyed

    __table_args__ = (Index("ix_household_years_year_status", "year", "status"),)


class Member(Base):
    __tablename__ = "members"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    id_number: Mapped[str] = mapped_column(String(18))
    relation: Mapped[str] = mapped_column(String(16))
    sex: Mapped[str] = mapped_column(String(2))
    ethnicity: Mapped[str] = mapped_column(String(16))
    education: Mapped[str] = mapped_column(String(16))
    health: Mapped[str] = mapped_column(String(16))
    labour_capacity: Mapped[str] = mapped_column(String(16))
    migrant_work: Mapped[bool] = mapped_column(Boolean, default=False)


class Cadre(Base):
    __tablename__ = "cadres"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(24))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    start_year: Mapped[int] = mapped_column(Integer)
    end_year: Mapped[int | None] = mapped_column(Integer)  # first year no longer active
    id_number: Mapped[str | None] = mapped_column(String(18), nullable=True)  # for the funds rules (issue 17)


class Assignment(Base):
    """结对: one cadre helps a household from start_year until (not including) end_year."""

    __tablename__ = "assignments"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    start_year: Mapped[int] = mapped_column(Integer)
    end_year: Mapped[int | None] = mapped_column(Integer)


class Checkin(Base):
    """工作签到: stored in WGS-84 whatever the phone sent; `effective` when near the household."""

    __tablename__ = "checkins"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    source_crs: Mapped[str] = mapped_column(String(16))
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    effective: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[str | None] = mapped_column(Text)  # JSON list of stored photo names
    # the phone's own id for the check-in (UUID): a retried upload finds the stored one (issue 15)
    client_id: Mapped[str | None] = mapped_column(String(36), unique=True, index=True)
    # read at ingest for the risk rules (issue 17): the photos' perceptual hashes (JSON list of hex) and the
    # first photo's EXIF time (Beijing, naive) before the EXIF is stripped; never the EXIF GPS
    photo_hashes: Mapped[str | None] = mapped_column(Text, nullable=True)
    photo_taken_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # the photos' full decode runs after the answer (load test, issue 18): "pending" until it ran, then "ok" or
    # "bad" with the problem in Chinese; NULL for a check-in without photos or checked before it was answered.
    # `photo_check_at` (naive UTC): when the check was queued or last claimed, so a check lost with its worker
    # is claimed again by another
    photo_check: Mapped[str | None] = mapped_column(String(8), nullable=True, index=True)
    photo_problem: Mapped[str | None] = mapped_column(Text, nullable=True)
    photo_check_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    industry: Mapped[str] = mapped_column(String(24))
    batch: Mapped[str] = mapped_column(String(24))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    budget: Mapped[float] = mapped_column(Float)
    stage: Mapped[str] = mapped_column(String(16))
    progress: Mapped[float] = mapped_column(Float)
    planned_year: Mapped[int] = mapped_column(Integer)
    started_year: Mapped[int | None] = mapped_column(Integer)  # entered 实施中; None if not yet
    description: Mapped[str | None] = mapped_column(Text)


class ProjectProgress(Base):
    __tablename__ = "project_progress"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(16))
    progress: Mapped[float] = mapped_column(Float)


class ProjectBeneficiary(Base):
    """利益联结: households that share in a project's benefits."""

    __tablename__ = "project_beneficiaries"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), primary_key=True)
    # what the household gets from the project (the 明白卡's line): sandbox.domain.public.LinkMode, yuan a
    # year; None where the register does not say
    link_mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    yearly_income: Mapped[float | None] = mapped_column(Float, nullable=True)


class PublicSlug(Base):
    """The unguessable part of a public QR page's address (/q/<slug>) for one project or household.

    No foreign key: a slug outlives a rebuild of the records it points at (the page then answers 404),
    and a complaint keeps the slug it came through."""

    __tablename__ = "public_slugs"
    slug: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "project" or "household"
    subject_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, naive
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (Index("ix_public_slugs_subject", "kind", "subject_id"),)


class Complaint(Base):
    """A complaint from the public, made through a QR page's form; triage comes later (status)."""

    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)  # shown to the complainant
    submission_id: Mapped[str] = mapped_column(String(64), unique=True)  # the form's nonce: stored once
    slug: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    subject_name: Mapped[str] = mapped_column(String(128))  # as the page showed it (masked for a household)
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    text: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)  # for a call back; never shown publicly
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)  # UTC, naive
    status: Mapped[str] = mapped_column(String(16), default="new")  # sandbox.domain.complaints.ComplaintStatus
    # triage (issue 16): the town that answers, by when (working days), and what it answered
    category: Mapped[str | None] = mapped_column(String(16), nullable=True)
    town_code: Mapped[str | None] = mapped_column(String(12), nullable=True, index=True)
    deadline: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    photos: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON list of stored file names
    assignee: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the unit or person it went to
    reply: Mapped[str | None] = mapped_column(Text, nullable=True)  # shown to the complainant
    replied_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)  # sent to the county by hand
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    handled_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the last token that acted


class FundSource(Base):
    __tablename__ = "fund_sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    fund_type: Mapped[str] = mapped_column(String(64))
    document_number: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[float] = mapped_column(Float)


class FundAllocation(Base):
    """下达 → 到位 → 备案 → 报账 for one project; payments (支付) hang off it."""

    __tablename__ = "fund_allocations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("fund_sources.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    allocated: Mapped[float] = mapped_column(Float)
    allocated_date: Mapped[dt.date] = mapped_column(Date)
    arrived: Mapped[float] = mapped_column(Float, default=0)
    arrived_date: Mapped[dt.date | None] = mapped_column(Date)
    filed: Mapped[float] = mapped_column(Float, default=0)
    reimbursed: Mapped[float] = mapped_column(Float, default=0)


class FundPayment(Base):
    __tablename__ = "fund_payments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("fund_allocations.id"), index=True)
    payee: Mapped[str] = mapped_column(String(64))
    amount: Mapped[float] = mapped_column(Float)
    voucher: Mapped[str] = mapped_column(String(32))
    paid_date: Mapped[dt.date] = mapped_column(Date)
    # what the funds rules need (issue 17); None for a payment to a company or one recorded before them
    payee_id_number: Mapped[str | None] = mapped_column(String(18), nullable=True, index=True)
    bank_account: Mapped[str | None] = mapped_column(String(32), nullable=True)
    invoice_number: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Camera(Base):
    __tablename__ = "cameras"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    site: Mapped[str] = mapped_column(String(128))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    stream_url: Mapped[str] = mapped_column(String(512))  # relative URLs resolve against the API
    # the platform's sub-stream (NVRs give each camera a main and a low-resolution sub-stream): wall
    # tiles play it, full screen plays `stream_url`; none: tiles play the main stream too
    sub_stream_url: Mapped[str | None] = mapped_column(String(512), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="online")


class ApiToken(Base):
    """Bearer tokens, stored as SHA-256 hashes; the plain token is shown once at creation."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(String(12))
    label: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC, naive; None: never
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC, naive; updated at most once a minute


def _facts_columns() -> dict:
    cols = {name: mapped_column(Float, nullable=True) for name in FACTS}
    return cols


class RegionYearFacts(Base):
    """Additive facts per region and year, rolled up in SQL from the records (see rollup.py)."""

    __tablename__ = "region_year_facts"
    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    locals().update(_facts_columns())

    __table_args__ = (Index("ix_region_year_facts_year_code", "year", "region_code"),)


class RegionYearTotals(Base):
    """Facts summed for every region (village, town, county) and year: one row answers a request."""

    __tablename__ = "region_year_totals"
    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    locals().update(_facts_columns())
    first_secretary_villages: Mapped[int] = mapped_column(Integer, default=0)
    villages: Mapped[int] = mapped_column(Integer, default=0)
    poor_villages: Mapped[int] = mapped_column(Integer, default=0)
    exited_poor_villages: Mapped[int] = mapped_column(Integer, default=0)


class RegionYearBreakdown(Base):
    """Poor households and people per category (五个一批 batch, 致贫原因, 两不愁三保障 gap), per
    village and, summed from those, per town and county."""

    __tablename__ = "region_year_breakdowns"
    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(24), primary_key=True)
    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    households: Mapped[int] = mapped_column(Integer)
    population: Mapped[int] = mapped_column(Integer)


class FieldInvite(Base):
    """A one-time enrolment link for the phone app: a cadre's (role cadre) or a leader's (with a scope);
    only its SHA-256 hash is stored."""

    __tablename__ = "field_invites"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(String(12))
    label: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, naive
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class FieldDevice(Base):
    """A phone bound by an invite: its token is an api_tokens row (hashed, revocable, last use)."""

    __tablename__ = "field_devices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"), unique=True)
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("field_invites.id"))
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"), index=True)
    user_agent: Mapped[str | None] = mapped_column(String(256))
    enrolled_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, naive


# The command loop's tables live beside their operations (sandbox/store/command); importing the
# package here puts them on Base.metadata wherever the models are imported.
import sandbox.store.command  # noqa: E402,F401
import sandbox.store.department.tables  # noqa: E402,F401  (department data: issue 17)
import sandbox.store.event_log  # noqa: E402,F401  (the shared event log of several API workers: issue 18)
import sandbox.store.office  # noqa: E402,F401  (staff accounts, access log, console imports: issue 21)
import sandbox.store.risk.tables  # noqa: E402,F401  (the risk register's hits and cases: issue 17)
