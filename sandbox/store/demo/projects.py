"""Industry projects, their fund chain (下达 → 到位 → 备案 → 报账 → 支付) and site cameras."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from sandbox.domain.enums import ProjectStage
from sandbox.store.demo.local import FundSourceSpec
from sandbox.store.demo.targets import CountyTargets

__all__ = ["ProjectRecord", "plan_projects"]

_STAGES = [s.value for s in ProjectStage]


@dataclass
class ProjectRecord:
    name: str
    industry: str
    batch: str
    village_idx: int
    town_idx: int
    lon: float
    lat: float
    budget: float
    planned_year: int
    started_year: int | None
    stage: str
    progress: float
    history: list[tuple[dt.date, str, float]] = field(default_factory=list)
    allocations: list[dict] = field(default_factory=list)
    cameras: list[str] = field(default_factory=list)
    beneficiaries: np.ndarray | None = None
    description: str | None = None


def _history(rng, planned: int, stage_final: int, progress_final: float) -> tuple[list, int | None]:
    """Dated stage steps from 项目库 up to the final stage; returns (history, year it started)."""
    day = dt.date(planned, int(rng.integers(1, 4)), int(rng.integers(1, 28)))
    hist, started = [], None
    for s in range(stage_final + 1):
        stage = _STAGES[s]
        prog = 0.0 if s < 3 else (100.0 if s >= 4 else progress_final)
        if s == 3:
            started = day.year
            # 实施中: monthly-ish progress steps up to the current progress
            for k, p in enumerate(np.linspace(10, progress_final, 4)):
                hist.append((day + dt.timedelta(days=75 * k), stage, round(float(p), 1)))
        else:
            hist.append((day, stage, prog))
        day = day + dt.timedelta(days=int(rng.integers(40, 160)) + (300 if s == 3 else 0))
    return hist, started


def plan_projects(rng: np.random.Generator, t: CountyTargets, towns: list[str], village_town: np.ndarray,
                  village_points, hh_village: np.ndarray,
                  fund_sources: tuple[FundSourceSpec, ...]) -> tuple[list[ProjectRecord], list[dict]]:
    """Returns projects and fund sources; deterministic for the rng state."""
    projects: list[ProjectRecord] = []
    for ti, town in enumerate(towns):
        villages = np.flatnonzero(village_town == ti)
        industries = t.industries_by_town.get(town, ("vegetables", "livestock"))
        count = int(rng.integers(3, 6))
        for k in range(count):
            industry = industries[k % len(industries)]
            v = int(rng.choice(villages))
            labels = t.project_labels[industry]
            label = labels[k % len(labels)]
            planned = int(rng.integers(2015, 2020))
            final = int(rng.choice([1, 2, 3, 4, 5], p=[.05, .05, .25, .25, .40])) if planned <= 2018 else \
                int(rng.choice([0, 1, 2, 3], p=[.2, .3, .2, .3]))
            progress = float(rng.integers(15, 95)) if final == 3 else (100.0 if final > 3 else 0.0)
            hist, started = _history(rng, planned, final, progress)
            lon, lat = village_points(v)
            projects.append(ProjectRecord(
                name=f"{town}{label}", industry=industry, batch="production", village_idx=v, town_idx=ti,
                lon=lon, lat=lat, budget=float(rng.integers(50, 800)) * 10_000, planned_year=planned,
                started_year=started, stage=_STAGES[final], progress=progress, history=hist,
            ))
    if t.flagship:
        f = t.flagship
        ti = towns.index(f.town)
        v = int(np.flatnonzero(village_town == ti)[0])
        hist, started = _history(rng, 2016, 5, 100.0)
        lon, lat = village_points(v)
        projects.insert(0, ProjectRecord(
            name=f.name, industry=f.industry, batch="production", village_idx=v, town_idx=ti, lon=lon, lat=lat,
            budget=12_000_000.0, planned_year=2016, started_year=started, stage="handed_over", progress=100.0,
            history=hist, cameras=list(f.cameras), description=f.description,
        ))
    # Relocation sites (易地搬迁) complete the 五个一批 picture on the map.
    seat = towns.index(t.seat_town) if t.seat_town in towns else 0
    v = int(np.flatnonzero(village_town == seat)[0])
    hist, started = _history(rng, 2016, 5, 100.0)
    lon, lat = village_points(v)
    projects.append(ProjectRecord(
        name=f"{towns[seat]}易地扶贫搬迁安置点", industry="vegetables", batch="relocation", village_idx=v,
        town_idx=seat, lon=lon, lat=lat, budget=30_000_000.0, planned_year=2016, started_year=started,
        stage="handed_over", progress=100.0, history=hist, cameras=["安置点广场"],
    ))

    for p in projects:
        if not p.cameras and p.stage in ("in_progress", "accepted", "handed_over"):
            p.cameras = ["项目现场"]
        town_hh = np.flatnonzero(np.isin(hh_village, np.flatnonzero(village_town == p.town_idx)))
        take = min(len(town_hh), int(rng.integers(20, 200)) * (3 if p.cameras and len(p.cameras) > 1 else 1))
        p.beneficiaries = np.sort(rng.choice(town_hh, take, replace=False)) if take else np.array([], dtype=int)

    sources = _fund_chain(rng, projects, fund_sources)
    return projects, sources


def _fund_chain(rng, projects: list[ProjectRecord], fund_sources: tuple[FundSourceSpec, ...]) -> list[dict]:
    sources: dict[tuple[int, str], dict] = {}
    doc = 10
    for p in projects:
        if p.stage == "pool":
            continue
        parts = rng.dirichlet(np.ones(len(fund_sources))) * p.budget
        spend_share = p.progress / 100.0
        for (level, ftype, prefix), amount in zip(fund_sources, parts):
            year = p.planned_year if p.started_year is None else max(p.planned_year, p.started_year)
            key = (year, level)
            if key not in sources:
                doc += int(rng.integers(3, 40))
                sources[key] = {"level": level, "fund_type": ftype, "year": year,
                                "document_number": f"{prefix}〔{year}〕{doc}号", "amount": 0.0}
            sources[key]["amount"] += round(float(amount), 2)
            allocated = round(float(amount), 2)
            arrived = allocated if rng.random() < .9 else round(allocated * float(rng.uniform(.6, .95)), 2)
            paid_total = round(arrived * spend_share * float(rng.uniform(.85, 1.0)), 2)
            n_pay = int(rng.integers(1, 4)) if paid_total > 0 else 0
            pays = rng.dirichlet(np.ones(n_pay)) * paid_total if n_pay else []
            alloc_date = dt.date(year, int(rng.integers(1, 6)), int(rng.integers(1, 28)))
            p.allocations.append({
                "source_key": key, "year": year, "allocated": allocated, "allocated_date": alloc_date,
                "arrived": arrived, "arrived_date": alloc_date + dt.timedelta(days=int(rng.integers(10, 60))),
                "filed": arrived, "reimbursed": round(paid_total, 2),
                "payments": [
                    {"payee": f"{p.name[:8]}施工方{k + 1}", "amount": round(float(a), 2),
                     "voucher": f"PZ{year}{int(rng.integers(0, 10**6)):06d}",
                     "paid_date": alloc_date + dt.timedelta(days=int(rng.integers(60, 400)))}
                    for k, a in enumerate(pays)
                ],
            })
    _plant_anomalies(projects)
    return [dict(v, key=k) for k, v in sources.items()]


OVERPAID_MAX_YUAN = 20_000  # the planted overpayment above arrived, less 1,000 yuan (a village project's, not a county's)


def _plant_anomalies(projects: list[ProjectRecord]) -> None:
    """Cases the fund-chain layer must flag: overpaid, idle money, paid with no progress."""
    with_alloc = [p for p in projects if p.allocations]
    if len(with_alloc) < 4:
        return
    # overpaid: on the project's smallest allocation, by a sum small against the county's chain (paid and
    # reimbursed both: the county's 支付 stays within its 报账 and 到位, only this allocation goes over)
    over = min(with_alloc[-1].allocations, key=lambda a: a["arrived"])
    room = over["arrived"] - sum(x["amount"] for x in over["payments"])
    excess = round(room + min(over["arrived"] * 0.2, OVERPAID_MAX_YUAN) + 1000, 2)
    over["payments"].append({"payee": "待核实收款方", "amount": excess,
                             "voucher": "PZ-ANOMALY-1", "paid_date": over["arrived_date"] + dt.timedelta(days=90)})
    over["reimbursed"] = round(over["reimbursed"] + excess, 2)
    idle = with_alloc[-2].allocations[0]
    idle["payments"], idle["reimbursed"] = [], 0.0
    # a project that has been paid: set back to 0% it is the "paid but no progress" case
    zero = next((p for p in reversed(with_alloc[:-2]) if any(a["payments"] for a in p.allocations)), with_alloc[-3])
    zero.progress = 0.0
    zero.stage = "approved"
    zero.started_year = None
    zero.history = [h for h in zero.history if h[1] in ("pool", "approved")]


