"""The demo's public side: what each linked household gets from its project, and the QR slugs."""

from __future__ import annotations

import numpy as np
from sqlalchemy import bindparam, delete, func, select, update

from sandbox.domain.public import LinkMode
from sandbox.store.models import HouseholdYear, Project, ProjectBeneficiary, PublicSlug
from sandbox.store.public import ensure_all_slugs

__all__ = ["prepare_public"]

# yuan a year a household gets, by the way it is linked (Guizhou 2017-2020 明白卡 of the kind)
_RANGES = {LinkMode.dividend: (300, 1500), LinkMode.land: (400, 2400), LinkMode.wage: (3000, 14000)}


def prepare_public(conn, seed: int) -> int:
    """Link terms for every 利益联结, and a fresh slug for every project and linked household (a rebuild
    replaces the demo's slugs with its records: an old slug may now name another household).
    Returns how many slugs were made."""
    _link_terms(conn, np.random.default_rng(seed + 15))
    conn.execute(delete(PublicSlug))
    return ensure_all_slugs(conn)


def _link_terms(conn, rng: np.random.Generator) -> None:
    latest = conn.execute(select(func.max(HouseholdYear.year))).scalar()
    rows = conn.execute(
        select(ProjectBeneficiary.project_id, ProjectBeneficiary.household_id, Project.batch,
               HouseholdYear.income_property, HouseholdYear.income_wage)
        .join(Project, Project.id == ProjectBeneficiary.project_id)
        .outerjoin(HouseholdYear, (HouseholdYear.household_id == ProjectBeneficiary.household_id)
                   & (HouseholdYear.year == latest))
        .order_by(ProjectBeneficiary.project_id, ProjectBeneficiary.household_id)).all()
    if not rows:
        return
    links_of: dict[int, int] = {}
    for _, h, *_ in rows:
        links_of[h] = links_of.get(h, 0) + 1
    modes = rng.choice(np.array([LinkMode.dividend.value, LinkMode.land.value, LinkMode.wage.value]), len(rows),
                       p=[.55, .25, .20])
    draws = rng.random(len(rows))
    out = []
    for (pid, hid, batch, prop, wage), mode, u in zip(rows, modes, draws):
        if batch == "relocation":  # a resettlement site houses the household; what it earns is not the site's
            out.append({"p": pid, "h": hid, "mode": LinkMode.relocation.value, "income": None})
            continue
        mode = LinkMode(str(mode))
        low, high = _RANGES[mode]
        amount = low + u * (high - low)
        # never more than the household's own register says it earns from that source, shared by its links
        cap = (wage if mode is LinkMode.wage else prop) or 0.0
        if cap > 0:
            amount = min(amount, cap / links_of[hid])
        out.append({"p": pid, "h": hid, "mode": mode.value, "income": float(max(100.0, round(amount / 10) * 10))})
    table = ProjectBeneficiary.__table__
    conn.execute(update(table).where(table.c.project_id == bindparam("p"), table.c.household_id == bindparam("h"))
                 .values(link_mode=bindparam("mode"), yearly_income=bindparam("income")), out)
