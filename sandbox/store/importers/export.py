"""`sandbox export boundaries|households`: the database back out as files the importers read.

Registers go out in the layout of the mapping (the 建档立卡 one by default), so an export can be
edited in Excel and imported again; boundaries as GeoPackage (one layer per level), GeoJSON or
Shapefile, in WGS-84.
"""

from __future__ import annotations

import bisect
import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from sandbox.domain.enums import ExitBatch, HouseholdAttribute, HouseholdStatus, PovertyCause
from sandbox.domain.regions import RegionCode
from sandbox.store import models as m
from sandbox.store.importers.mapping import Mapping, load_mapping
from sandbox.store.importers.report import ImportFailed
from sandbox.store.importers.xlsx import write_xlsx
from sandbox.store.queries import within

__all__ = ["export_households", "export_boundaries", "HOUSEHOLD_EXPORT_FIELDS", "MEMBER_EXPORT_FIELDS",
           "VILLAGE_EXPORT_FIELDS"]

HOUSEHOLD_EXPORT_FIELDS = (
    "household_number", "province", "prefecture", "county", "town", "village", "village_code", "head_name",
    "id_number", "phone", "bank_account", "attribute", "identified_year", "main_cause", "exit_batch", "year",
    "status", "exit_year", "members", "income_wage", "income_business", "income_transfer", "income_property",
    "production_cost", "net_income", "per_capita_net_income", "food_clothing_ok", "housing_grade", "relocated",
    "water_safe", "school_age_children", "dropout", "all_insured", "survey_satisfied", "lon", "lat",
)
MEMBER_EXPORT_FIELDS = ("household_number", "name", "id_number", "relation", "sex", "ethnicity", "education",
                        "health", "labour_capacity", "migrant_work")
VILLAGE_EXPORT_FIELDS = ("village_code", "county", "town", "village", "year", "rural_population",
                         "is_poor_village", "poor_village_exit_year")

_ATTR = HouseholdAttribute.labels()
_CAUSE = PovertyCause.labels()
_BATCH = ExitBatch.labels()
_STATUS = HouseholdStatus.labels()


def _yes(v) -> str | None:
    return None if v is None else ("是" if v else "否")


def _sheet_name(mapping: Mapping, key: str, fallback: str) -> str:
    sheets = mapping.tables[key].sheets
    return sheets[0] if sheets else fallback


def _region_filter(column, region: str | None):
    return [within(column, RegionCode.parse(region))] if region else []


def export_households(engine: Engine, path: Path | str, *, years: Sequence[int] | None = None,
                      region: str | None = None, mapping: Mapping | Path | str | None = None,
                      members: bool = True, villages: bool = True) -> dict[str, int]:
    """Write the register (户信息, and 家庭成员 / 村级数据 unless turned off); returns rows per table.

    .xlsx: one workbook with a sheet per table; .csv: FILE.csv, FILE.家庭成员.csv, FILE.村级数据.csv.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ImportFailed(f"导出文件 {path.name}: 登记表只能导出为 .xlsx 或 .csv")
    mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    with engine.connect() as conn:
        meta = dict(conn.execute(select(m.Meta.key, m.Meta.value)).all())
        regions = {r.code: r for r in conn.execute(select(m.Region.code, m.Region.name, m.Region.level,
                                                          m.Region.parent_code, m.Region.is_poor_village,
                                                          m.Region.poor_village_exit_year))}
        H, Y = m.Household, m.HouseholdYear
        q = (select(H.id, H.household_number, H.village_code, H.head_name, H.id_number, H.phone, H.bank_account,
                    H.attribute, H.identified_year, H.main_cause, H.exit_batch, H.lon, H.lat, Y.year, Y.status,
                    Y.exited_this_year, Y.members, Y.income_wage, Y.income_business, Y.income_transfer,
                    Y.income_property, Y.production_cost, Y.net_income, Y.per_capita_net_income,
                    Y.food_clothing_ok, Y.housing_grade, Y.relocated, Y.water_safe, Y.school_age_children,
                    Y.dropout, Y.all_insured, Y.survey_satisfied)
             .join(Y, Y.household_id == H.id).where(*_region_filter(H.village_code, region))
             .order_by(H.household_number, Y.year))
        if years:
            q = q.where(Y.year.in_(list(years)))
        rows = conn.execute(q).all()
        # 脱贫年度 of a row: the household's latest exit up to that year (years outside the export count).
        exits: dict[int, list[int]] = {}
        for hid, y in conn.execute(select(Y.household_id, Y.year).join(H, H.id == Y.household_id)
                                   .where(Y.exited_this_year.is_(True), *_region_filter(H.village_code, region))
                                   .order_by(Y.household_id, Y.year)).all():
            exits.setdefault(hid, []).append(y)
        member_rows = []
        if members:
            M = m.Member
            member_rows = conn.execute(
                select(H.household_number, M.name, M.id_number, M.relation, M.sex, M.ethnicity, M.education,
                       M.health, M.labour_capacity, M.migrant_work)
                .join(H, H.id == M.household_id).where(*_region_filter(H.village_code, region))
                .order_by(H.household_number, M.id)).all()
        pop_rows = []
        if villages:
            P = m.RegionPopulation
            pop_rows = conn.execute(select(P.region_code, P.year, P.rural_population)
                                    .where(*_region_filter(P.region_code, region))
                                    .order_by(P.region_code, P.year)).all()
    wanted = set(years) if years else None  # for the village table

    def names(code: str) -> tuple[str | None, str | None, str | None]:
        v = regions.get(code)
        t = regions.get(v.parent_code) if v else None
        c = regions.get(t.parent_code) if t else None
        return (c.name if c else None, t.name if t else None, v.name if v else None)

    place = {}

    def household_rows() -> Iterable[list]:
        for r in rows:
            last_exit = None
            if r.status == "exited":
                done = exits.get(r.id, ())
                k = bisect.bisect_right(done, r.year)
                last_exit = done[k - 1] if k else None
            where = place.get(r.village_code)
            if where is None:
                where = place[r.village_code] = names(r.village_code)
            satisfied = None if r.survey_satisfied is None else ("满意" if r.survey_satisfied else "不满意")
            yield [r.household_number, meta.get("province"), meta.get("prefecture"), *where, r.village_code,
                   r.head_name, r.id_number, r.phone, r.bank_account, _ATTR[r.attribute], r.identified_year,
                   _CAUSE[r.main_cause], _BATCH.get(r.exit_batch), r.year, _STATUS[r.status],
                   last_exit, r.members, r.income_wage, r.income_business,
                   r.income_transfer, r.income_property, r.production_cost, r.net_income,
                   r.per_capita_net_income, _yes(r.food_clothing_ok), r.housing_grade, _yes(r.relocated),
                   _yes(r.water_safe), _yes(r.school_age_children), _yes(r.dropout), _yes(r.all_insured),
                   satisfied, r.lon, r.lat]

    def village_rows() -> Iterable[list]:
        for r in pop_rows:
            if wanted is not None and r.year not in wanted:
                continue
            v = regions.get(r.region_code)
            poor = bool(v and v.is_poor_village)
            yield [r.region_code, *names(r.region_code)[:2], v.name if v else None, r.year, r.rural_population,
                   _yes(poor), v.poor_village_exit_year if poor else None]

    def member_out() -> Iterable[list]:
        for r in member_rows:
            yield [*r[:9], _yes(r.migrant_work)]

    tables = [("households", HOUSEHOLD_EXPORT_FIELDS, household_rows(), "户信息", None)]
    if members:
        tables.append(("members", MEMBER_EXPORT_FIELDS, member_out(), "家庭成员", "家庭成员"))
    if villages:
        tables.append(("villages", VILLAGE_EXPORT_FIELDS, village_rows(), "村级数据", "村级数据"))
    out: dict[str, int] = {}
    if suffix == ".xlsx":
        sheets = [(_sheet_name(mapping, key, fallback), [mapping.tables[key].header(f) for f in fields], it)
                  for key, fields, it, fallback, _ in tables]
        counts = write_xlsx(path, sheets)
        for (key, *_), (name, _, _) in zip(tables, sheets):
            out[key] = counts[name]
        return out
    for key, fields, it, _, companion in tables:
        target = path if companion is None else path.with_name(f"{path.stem}.{companion}.csv")
        with target.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow([mapping.tables[key].header(fld) for fld in fields])
            n = 0
            for row in it:
                writer.writerow(["" if v is None else v for v in row])
                n += 1
        out[key] = n
    return out


def export_boundaries(engine: Engine, path: Path | str, *, level: str | None = None,
                      region: str | None = None) -> dict[str, int]:
    """Write region boundaries (WGS-84); returns features per level.

    .gpkg: a layer per level (county, town, village); .geojson: one collection (every level, or
    `level`); .shp: one level, so `level` is required when there is more than one.
    """
    import geopandas as gpd

    from sandbox.geo.io import write_boundaries
    from sandbox.geo.simplify import geojson_to_geometry

    path = Path(path)
    R = m.Region
    with engine.connect() as conn:
        q = (select(R.code, R.name, R.level, R.parent_code, R.boundary).where(R.boundary.is_not(None))
             .where(*_region_filter(R.code, region)).order_by(R.code))
        if level:
            q = q.where(R.level == level)
        rows = conn.execute(q).all()
    if not rows:
        raise ImportFailed("数据库中没有可导出的边界" + (f" (级别 {level})" if level else ""))
    layers = {}
    for lvl in ("county", "town", "village"):
        part = [r for r in rows if r.level == lvl]
        if part:
            layers[lvl] = gpd.GeoDataFrame(
                {"code": [r.code for r in part], "name": [r.name for r in part], "level": [r.level for r in part],
                 "parent": [r.parent_code for r in part]},
                geometry=[geojson_to_geometry(json.loads(r.boundary)) for r in part], crs="EPSG:4326")
    write_boundaries(path, layers)
    return {k: len(v) for k, v in layers.items()}
