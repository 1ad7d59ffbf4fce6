"""SQLAlchemy 2.x ORM models of the poverty-alleviation records (DOMAIN.md §2), one module per kind of record.

Everything is imported from here (`from sandbox.store.models import Region`): the modules are how the
tables are kept, this package is how the rest of the code (and the migrations) sees them.
"""

from __future__ import annotations

from sandbox.store.models.access import ApiToken, FieldDevice, FieldInvite
from sandbox.store.models.base import Base, Meta
from sandbox.store.models.cadres import Assignment, Cadre, Checkin
from sandbox.store.models.funds import FundAllocation, FundPayment, FundSource
from sandbox.store.models.households import Household, HouseholdYear, Member
from sandbox.store.models.projects import Camera, Project, ProjectBeneficiary, ProjectProgress
from sandbox.store.models.public import Complaint, PublicSlug
from sandbox.store.models.region_facts import RegionYearBreakdown, RegionYearFacts, RegionYearTotals
from sandbox.store.models.regions import PovertyLine, Region, RegionPopulation

__all__ = [
    "Base", "Meta", "Region", "RegionPopulation", "PovertyLine", "Household", "HouseholdYear",
    "Member", "Cadre", "Assignment", "Checkin", "Project", "ProjectProgress", "ProjectBeneficiary",
    "FundSource", "FundAllocation", "FundPayment", "Camera", "ApiToken", "RegionYearFacts",
    "RegionYearTotals", "RegionYearBreakdown", "PublicSlug", "Complaint", "FieldInvite", "FieldDevice",
]

# The command loop's tables live beside their operations (sandbox/store/command); importing the
# package here puts them on Base.metadata wherever the models are imported.
import sandbox.store.command  # noqa: E402,F401
import sandbox.store.department.tables  # noqa: E402,F401  (department data: issue 17)
import sandbox.store.event_log  # noqa: E402,F401  (the shared event log of several API workers: issue 18)
import sandbox.store.office  # noqa: E402,F401  (staff accounts, access log, console imports: issue 21)
import sandbox.store.risk.tables  # noqa: E402,F401  (the risk register's hits and cases: issue 17)
