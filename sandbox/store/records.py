"""A database's records, cleared in an order its foreign keys allow (demo rebuilds, --replace-demo)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from sandbox.store import models as m
from sandbox.store.command.callbacks import Callback
from sandbox.store.command.inspection import INSPECTION_TABLES
from sandbox.store.command.instructions import Instruction, InstructionItem
from sandbox.store.command.notices import Notice, NoticeRead
from sandbox.store.department.tables import DepartmentRecord, DepartmentSource
from sandbox.store.risk.tables import RISK_TABLES

__all__ = ["RECORD_TABLES", "clear_records"]

# Children before parents. Phones enrolled for demo cadres and the public pages' slugs and complaints
# go with the records they point at; tokens other than the phones' stay (walls, staff).
RECORD_TABLES = (
    *RISK_TABLES,  # hits point at payments, check-ins, households by id: a new county's ids mean others
    InstructionItem, Instruction, NoticeRead, Notice,
    *INSPECTION_TABLES,
    Callback,
    DepartmentRecord, DepartmentSource,
    m.FieldDevice, m.FieldInvite, m.Complaint, m.PublicSlug,
    m.RegionYearTotals, m.RegionYearBreakdown, m.RegionYearFacts, m.FundPayment, m.FundAllocation, m.FundSource,
    m.Camera, m.ProjectBeneficiary, m.ProjectProgress, m.Project, m.Checkin, m.Assignment, m.Cadre, m.Member,
    m.HouseholdYear, m.Household, m.RegionPopulation, m.PovertyLine, m.Region, m.Meta,
)


def clear_records(conn: Connection) -> None:
    """Delete every record of the county (not the schema, not the walls' and staff's tokens). A
    phone's token goes with its device: it must not outlive the cadre it was bound to, whose id a
    new cadre may take."""
    phone_tokens = list(conn.execute(select(m.FieldDevice.token_id)).scalars())
    for table in RECORD_TABLES:
        conn.execute(delete(table))
    if phone_tokens:
        conn.execute(delete(m.ApiToken).where(m.ApiToken.id.in_(phone_tokens)))
