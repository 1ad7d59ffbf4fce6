"""Fixtures for the importers: empty databases, a tiny made-up county, registers built row by row."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from sandbox.domain.idcard import make_id_number
from sandbox.store.importers.export import HOUSEHOLD_EXPORT_FIELDS, MEMBER_EXPORT_FIELDS, VILLAGE_EXPORT_FIELDS
from sandbox.store.importers.mapping import load_mapping
from sandbox.store.importers.xlsx import write_xlsx
from tests.databases import scratch_engine

# A square county split into two towns (west, east), each into two villages (north, south).
COUNTY = "990101000000"
TOWNS = {"990101100000": ("西镇", (107.0, 25.0, 107.1, 25.2)), "990101101000": ("东镇", (107.1, 25.0, 107.2, 25.2))}
VILLAGES = {
    "990101100201": ("北村", "990101100000", (107.0, 25.1, 107.1, 25.2)),
    "990101100202": ("南村", "990101100000", (107.0, 25.0, 107.1, 25.1)),
    "990101101201": ("上寨村", "990101101000", (107.1, 25.1, 107.2, 25.2)),
    "990101101202": ("下寨村", "990101101000", (107.1, 25.0, 107.2, 25.1)),
}
MAPPING = load_mapping()


def box(x0, y0, x1, y1) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def feature(code: str, name: str, geometry: dict | None, **props) -> dict:
    return {"type": "Feature", "properties": {"code": code, "name": name, **props}, "geometry": geometry}


def county_features() -> list[dict]:
    out = [feature(COUNTY, "试点县", box(107.0, 25.0, 107.2, 25.2))]
    out += [feature(c, n, box(*b)) for c, (n, b) in TOWNS.items()]
    out += [feature(c, n, box(*b)) for c, (n, _, b) in VILLAGES.items()]
    return out


def write_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def fingerprint(engine, hash_limit: int = 20_000) -> dict[str, str]:
    """Row count and a hash of every row, per table (counts only above `hash_limit` rows, to keep the
    demo database quick): equal before and after means nothing changed."""
    out = {}
    with engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            n = conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
            if n > hash_limit:
                out[table] = f"{n}"
                continue
            rows = conn.execute(text(f"SELECT * FROM {table}")).all()
            digest = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()[:16]
            out[table] = f"{n}:{digest}"
    return out


_PG_SCHEMA = "sandbox_import_test"


@pytest.fixture
def empty_engine(tmp_path):
    """A migrated, empty database: SQLite, or with SANDBOX_TEST_DATABASE_URL a scratch schema of that
    PostgreSQL database (the demo's tables there are left alone)."""
    engine = scratch_engine(tmp_path, _PG_SCHEMA)
    yield engine
    engine.dispose()


@pytest.fixture
def county_engine(empty_engine, tmp_path):
    """The tiny county's boundaries imported, no registers yet."""
    from sandbox.store.importers import import_boundaries

    import_boundaries(empty_engine, write_geojson(tmp_path / "county.geojson", county_features()))
    return empty_engine


# --- registers ---------------------------------------------------------------------------------------

H = {k: MAPPING.households.header(k) for k in HOUSEHOLD_EXPORT_FIELDS}
MEMBER_H = {k: MAPPING.members.header(k) for k in MEMBER_EXPORT_FIELDS}
VILLAGE_H = {k: MAPPING.villages.header(k) for k in VILLAGE_EXPORT_FIELDS}


def person_id(seq: int, born=dt.date(1970, 5, 17), male: bool = True) -> str:
    return make_id_number("990101", born, seq, male)


def village_of(n: int) -> str:
    """Households 1, 2, 3, 4, 5 … live in the villages in turn."""
    return list(VILLAGES)[(n - 1) % len(VILLAGES)]


def household_row(n: int, year: int = 2016, village: str | None = None, **over) -> dict:
    """A valid 户信息 row (header → value) for household n."""
    village = village or village_of(n)
    row = {
        "household_number": f"{village}{n:05d}", "county": "试点县", "town": TOWNS[VILLAGES[village][1]][0],
        "village": VILLAGES[village][0], "village_code": village, "head_name": f"王{n}明",
        "id_number": person_id(n), "phone": f"1380000{n:04d}", "attribute": "一般贫困户", "identified_year": 2014,
        "main_cause": "因病", "exit_batch": "发展生产脱贫一批", "year": year, "status": "未脱贫", "exit_year": None,
        "members": 4, "income_wage": 3000.0, "income_business": 2000.0, "income_transfer": 1500.0,
        "income_property": 100.0, "production_cost": 600.0, "food_clothing_ok": "是", "housing_grade": "B",
        "relocated": "否", "water_safe": "是", "school_age_children": "是", "dropout": "否", "all_insured": "是",
    }
    row.update(over)
    return {H[k]: v for k, v in row.items()}


def member_row(n: int, k: int, village: str | None = None, **over) -> dict:
    village = village or village_of(n)
    row = {"household_number": f"{village}{n:05d}", "name": f"王{n}之{k}", "id_number": person_id(n * 10 + k),
           "relation": "户主" if k == 0 else "子女", "sex": "男", "ethnicity": "布依族", "education": "初中",
           "health": "健康", "labour_capacity": "普通劳动力", "migrant_work": "否"}
    row.update(over)
    return {MEMBER_H[k]: v for k, v in row.items()}


def village_row(code: str, year: int, population: int, poor: str = "否", exit_year=None) -> dict:
    name, town, _ = VILLAGES[code]
    row = {"village_code": code, "county": "试点县", "town": TOWNS[town][0], "village": name, "year": year,
           "rural_population": population, "is_poor_village": poor, "poor_village_exit_year": exit_year}
    return {VILLAGE_H[k]: v for k, v in row.items()}


def _table(rows: list[dict]) -> tuple[list[str], list[list]]:
    header: list[str] = []
    for r in rows:
        header += [h for h in r if h not in header]
    return header, [[r.get(h) for h in header] for r in rows]


def write_register(path: Path, households: list[dict], members: list[dict] | None = None,
                   villages: list[dict] | None = None) -> Path:
    """An .xlsx with sheets 户信息 / 家庭成员 / 村级数据, or CSV files (FILE.家庭成员.csv …)."""
    tables = [("户信息", households)]
    if members is not None:
        tables.append(("家庭成员", members))
    if villages is not None:
        tables.append(("村级数据", villages))
    if path.suffix == ".xlsx":
        write_xlsx(path, [(name, *_table(rows)) for name, rows in tables])
        return path
    for i, (name, rows) in enumerate(tables):
        target = path if i == 0 else path.with_name(f"{path.stem}.{name}.csv")
        header, body = _table(rows)
        with target.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows([["" if v is None else v for v in r] for r in body])
    return path


def basic_register(years=(2016,), n: int = 6) -> tuple[list[dict], list[dict]]:
    """n households spread over the four villages, and the villages' populations."""
    codes = list(VILLAGES)
    rows = [household_row(i, y) for y in years for i in range(1, n + 1)]
    pops = [village_row(c, y, 100 + 10 * k) for y in years for k, c in enumerate(codes)]
    return rows, pops


# person_id(2) and person_id(3) are one number (the sequence's parity is the sex, so 2 becomes 3), and so
# are the heads of households 2k and 2k+1 of household_row and members (n, 0) and (n, 1) of member_row.
# The importer rejects a person in two households; these give every household and member its own.


def head_id(n: int) -> str:
    """The head of household n (n < 500): one number per household."""
    return make_id_number("990101", dt.date(1970, 5, 17), 2 * n + 1, True)


def member_id(n: int, k: int) -> str:
    """Member k (< 500) of household n: born on a day of household n's own."""
    return make_id_number("990101", dt.date(1980, 1, 1) + dt.timedelta(days=n), 2 * k + 1, True)


def distinct_household_row(n: int, year: int = 2016, village: str | None = None, **over) -> dict:
    """household_row with a head ID of the household's own."""
    over.setdefault("id_number", head_id(n))
    return household_row(n, year, village, **over)


def distinct_member_row(n: int, k: int, village: str | None = None, **over) -> dict:
    """member_row with an ID of the member's own."""
    over.setdefault("id_number", member_id(n, k))
    return member_row(n, k, village, **over)


def distinct_register(years=(2016,), n: int = 6) -> tuple[list[dict], list[dict]]:
    """basic_register with a head ID per household."""
    rows, pops = basic_register(years, n)
    for r in rows:
        r[H["id_number"]] = head_id(int(r[H["household_number"]][-5:]))
    return rows, pops
