"""Demo step (issue 17): what the funds and check-in rules read, with planted cases of every rule and an innocent
look-alike beside each; the planted ones are listed in meta `risk_planted` for the tests and bench/risk.py."""

from __future__ import annotations

import datetime as dt
import io
import json

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from sandbox.domain.rules import haversine_m
from sandbox.store import models as m
from sandbox.store.bulk import bulk_insert
from sandbox.store.demo import people
from sandbox.store.importers.upsert import reset_sequence
from sandbox.store.risk.photo_marks import exif_taken_at, photo_hash

__all__ = ["plant_risk_cases", "run_demo_register", "planted", "demo_photo"]

PLANTED_KEY = "risk_planted"
PERSON_PAYMENTS = 120  # 到户 payments to register members: the innocent crowd the person rules look through
PHOTO_CHECKINS = 60  # check-ins given a photo of their own (hash and EXIF time as ingest stores them)
SPLIT_LINE = 50_000  # funds.toml split_payment.approval_threshold_yuan


def demo_photo(seed: int, taken: dt.datetime | None, quality: int = 85, size: tuple[int, int] = (160, 120)) -> bytes:
    """A small synthetic JPEG (a made-up scene from `seed`), with an EXIF DateTimeOriginal when `taken` is given."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (160, 120), tuple(int(v) for v in rng.integers(40, 220, 3)))
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, 140)), int(rng.integers(0, 100))
        box = (x0, y0, x0 + int(rng.integers(15, 70)), y0 + int(rng.integers(15, 60)))
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < .5 else draw.rectangle)(box, fill=fill)
    if size != (160, 120):
        img = img.resize(size)
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, exif=exif.tobytes() if taken is not None else b"")
    return buf.getvalue()


def _ids_follow(conn: Connection, *tables: str) -> None:
    """After rows written with their ids: PostgreSQL's sequences go on after the highest (SQLite's do by
    themselves), so the API's next check-in or payment does not take an id already used."""
    for t in tables:
        reset_sequence(conn, t)  # never backwards (a rolled-back build must not lower it)


def _marks(data: bytes) -> tuple[str | None, dt.datetime | None]:
    """What ingest keeps of a photo (sandbox.server.checkins.photos): its hash and its EXIF time."""
    return photo_hash(data), exif_taken_at(data)


def plant_risk_cases(conn: Connection, county: str, seed: int) -> dict[str, dict[str, list[str]]]:
    """Fills the funds rules' columns, adds person payments and check-in photos, plants a case of every rule
    and its look-alike. Returns (and stores in meta) {"planted": rule id → subject ids, "alike": the same for
    the innocent look-alikes}."""
    rng = np.random.default_rng(seed + 17)
    plant: dict[str, list[str]] = {}
    alike: dict[str, list[str] | str] = {}
    _fill_columns(conn, county, rng)
    _plant_payments(conn, county, rng, plant, alike)
    _plant_checkins(conn, rng, plant, alike)
    plant.update(_chain_planted(conn))
    _ids_follow(conn, "checkins", "fund_payments")

    def tidy(d: dict) -> dict[str, list[str]]:
        return {k: sorted({v} if isinstance(v, str) else set(v), key=lambda s: (len(s), s)) for k, v in sorted(d.items())}

    out = {"planted": tidy(plant), "alike": tidy(alike)}
    conn.execute(m.Meta.__table__.delete().where(m.Meta.key == PLANTED_KEY))
    conn.execute(m.Meta.__table__.insert().values(key=PLANTED_KEY, value=json.dumps(out)))
    return out


def planted(session: Session) -> dict[str, dict[str, list[str]]]:
    """{"planted": rule id → subject ids, "alike": rule id → innocent look-alikes' ids} of the demo ({} if none)."""
    row = session.get(m.Meta, PLANTED_KEY)
    return json.loads(row.value) if row is not None else {}


# -- funds -----------------------------------------------------------------------------------------------

def _fill_columns(conn: Connection, county: str, rng: np.random.Generator) -> None:
    """Invoice numbers and company accounts on the existing payments; ID numbers for the cadres."""
    pays = conn.execute(select(m.FundPayment.id, m.FundPayment.payee)).all()
    accounts: dict[str, str] = {}
    rows = []
    for pid, payee in pays:
        if payee not in accounts:
            accounts[payee] = f"5200{len(accounts) + 1:08d}{int(rng.integers(0, 10**4)):04d}"
        rows.append({"i": pid, "inv": f"FP{pid:010d}", "acc": accounts[payee]})
    if rows:
        conn.execute(update(m.FundPayment.__table__).where(m.FundPayment.__table__.c.id == _bind("i"))
                     .values(invoice_number=_bind("inv"), bank_account=_bind("acc")), rows)
    ids = [c for (c,) in conn.execute(select(m.Cadre.id).order_by(m.Cadre.id))]
    if ids:
        ages = rng.integers(25, 56, len(ids))
        # registered in the prefecture's seat (XXXX01, or XXXX02 for the seat itself), not the county: no cadre
        # shares a number with a register member by chance; one is made a member on purpose below
        home = county[:4] + ("01" if county[4:6] != "01" else "02")
        numbers = people.id_numbers(rng, home, people.birth_dates(rng, ages), rng.random(len(ids)) < .6)
        conn.execute(update(m.Cadre.__table__).where(m.Cadre.__table__.c.id == _bind("i"))
                     .values(id_number=_bind("n")), [{"i": i, "n": str(n)} for i, n in zip(ids, numbers)])


def _by_rank(conn: Connection, column, ranks: np.ndarray) -> list[int]:
    """The ids at these 0-based ranks of the column, in id order (on SQLite after a fresh build: rank + 1)."""
    ids = conn.execute(select(column).order_by(column)).scalars().all()
    return [ids[int(r)] for r in np.sort(ranks)]


def _bind(name: str):
    from sqlalchemy import bindparam

    return bindparam(name)


def _plant_payments(conn: Connection, county: str, rng: np.random.Generator, plant: dict, alike: dict) -> None:
    # planted payments go on allocations of projects under way, already paid on (never the planted idle one),
    # whose arrived money they do not exceed, so the fund chain's own cases (overpaid, idle, paid at 0 %) stay
    # the projects step's; each is reimbursed (报账) as it is paid, so the county's 支付 stays within its 报账
    paid = dict(conn.execute(select(m.FundPayment.allocation_id, func.sum(m.FundPayment.amount))
                             .group_by(m.FundPayment.allocation_id)).all())
    allocs = conn.execute(select(m.FundAllocation.id, m.FundAllocation.arrived, m.FundAllocation.region_code)
                          .join(m.Project, m.Project.id == m.FundAllocation.project_id)
                          .where(m.FundAllocation.arrived > 0, m.Project.progress >= 50)
                          .order_by(m.FundAllocation.id)).all()
    allocs = [a for a in allocs if paid.get(a.id)]
    room = {a.id: float(a.arrived) - float(paid.get(a.id) or 0) for a in allocs}
    if len(allocs) < 4:
        return
    n_members = conn.scalar(select(func.count()).select_from(m.Member)) or 0
    if n_members < 40:
        return
    next_id = (conn.scalar(select(func.max(m.FundPayment.id))) or 0) + 1
    rows: list[dict] = []
    crowd: list[str] = []

    def pay(payee, amount, date, *, idn=None, account=None, invoice=None, voucher=None) -> str:
        nonlocal next_id
        start = int(rng.integers(0, len(allocs)))
        a = next((allocs[(start + k) % len(allocs)] for k in range(len(allocs))
                  if room[allocs[(start + k) % len(allocs)].id] >= amount + 1), allocs[start])
        room[a.id] -= amount
        pid = next_id
        next_id += 1
        rows.append({"id": pid, "allocation_id": a[0], "payee": payee, "amount": round(float(amount), 2),
                     "voucher": voucher or f"PZD{pid:08d}", "paid_date": date, "payee_id_number": idn,
                     "bank_account": account, "invoice_number": invoice})
        return str(pid)

    # the innocent crowd: 产业奖补到户 payments to members, into their household's account. Drawn by rank, not
    # by id: on PostgreSQL a rebuild's ids go on from the previous build's (a sequence is not reset by a delete)
    picks = _by_rank(conn, m.Member.id, rng.choice(n_members, PERSON_PAYMENTS + 40, replace=False))
    found = {r.id: r for r in conn.execute(
        select(m.Member.id, m.Member.name, m.Member.id_number, m.Member.household_id, m.Household.bank_account)
        .join(m.Household, m.Household.id == m.Member.household_id).where(m.Member.id.in_(picks)))}
    members = [tuple(found[i])[1:] for i in picks if i in found]
    day0 = dt.date(2018, 3, 1)
    for name, idn, _hh, account in members[:PERSON_PAYMENTS]:
        crowd.append(pay(name, rng.choice([800, 1000, 1500, 2000, 3000]), day0 + dt.timedelta(days=int(rng.integers(0, 600))),
            idn=idn, account=account))
    for rid in ("funds.unregistered_payee", "funds.cadre_payee", "funds.shared_account"):
        alike[rid] = crowd[:5]
    spare = members[PERSON_PAYMENTS:]
    company = conn.execute(select(m.FundPayment.id, m.FundPayment.payee, m.FundPayment.voucher, m.FundPayment.invoice_number,
                                  m.FundPayment.amount, m.FundPayment.paid_date).order_by(m.FundPayment.id)).all()
    c1, c2, c3 = company[len(company) // 3], company[len(company) // 2], company[2 * len(company) // 3]

    # duplicate voucher: a second payment filed on an existing voucher; look-alike: a voucher one digit off
    plant["funds.duplicate_voucher"] = [pay("某农资经营部", 18_600, c1.paid_date + dt.timedelta(days=40),
                                            voucher=c1.voucher, invoice="FPD-V-1", account="520099990001")]
    alike["funds.duplicate_voucher"] = pay("某农资经营部", 18_600, c1.paid_date + dt.timedelta(days=41), voucher=c1.voucher[:-1] + "X",
        invoice="FPD-V-2", account="520099990001")
    # duplicate invoice: one invoice behind two payments; look-alike: the next invoice number
    plant["funds.duplicate_invoice"] = [pay("某建材有限公司", 36_420, c2.paid_date + dt.timedelta(days=15),
                                            invoice=c2.invoice_number, account="520099990002")]
    alike["funds.duplicate_invoice"] = pay("某建材有限公司", 36_420, c2.paid_date + dt.timedelta(days=16), invoice=c2.invoice_number + "1",
        account="520099990002")
    # the same payee, amount and date twice; look-alike: the same payee and amount a month later
    when = c3.paid_date + dt.timedelta(days=7)
    pay("某种养殖专业合作社", 27_350, when, invoice="FPD-P-1", account="520099990003")
    plant["funds.duplicate_payment"] = [pay("某种养殖专业合作社", 27_350, when, invoice="FPD-P-2", account="520099990003")]
    alike["funds.duplicate_payment"] = pay("某种养殖专业合作社", 27_350, when + dt.timedelta(days=30), invoice="FPD-P-3", account="520099990003")
    # a person paid who is in no register; look-alike: the register members above
    ghosts = people.id_numbers(rng, county, people.birth_dates(rng, np.array([41, 37])), np.array([True, False]))
    plant["funds.unregistered_payee"] = [
        pay("李*（不在册）", 3_000, day0 + dt.timedelta(days=200), idn=str(ghosts[0]), account="6217000011112222333"),
    ]
    # a cadre paid, and a member of a cadre's household paid; look-alike: a member sharing a cadre's surname
    cadres = conn.execute(select(m.Cadre.id, m.Cadre.name, m.Cadre.id_number).where(m.Cadre.id_number.is_not(None))
                          .order_by(m.Cadre.id)).all()
    if len(cadres) >= 3:
        c_self, c_home = cadres[len(cadres) // 4], cadres[len(cadres) // 2]
        plant["funds.cadre_payee"] = [pay(c_self.name, 2_000, day0 + dt.timedelta(days=90), idn=c_self.id_number,
                                          account="6217000044445555666")]
        # a cadre is in no poor household's register: the payment is also one to a payee outside it
        plant["funds.unregistered_payee"].append(plant["funds.cadre_payee"][0])
        # the cadre is a member of a household: the cadre's ID number on that household's second member
        _name, _idn, hh, account = spare[0]
        family = conn.execute(select(m.Member.id, m.Member.name, m.Member.id_number)
                              .where(m.Member.household_id == hh).order_by(m.Member.id)).all()
        if len(family) >= 2:
            conn.execute(update(m.Cadre).where(m.Cadre.id == c_home.id).values(id_number=family[1].id_number))
            plant["funds.cadre_payee"].append(pay(family[0].name, 3_000, day0 + dt.timedelta(days=120),
                                                  idn=family[0].id_number, account=account))
    # one account paid for three households; look-alike: two members of one household into its own account
    ring = spare[2:5]
    plant["funds.shared_account"] = [pay(ring[0][0], 2_000, day0 + dt.timedelta(days=300), idn=ring[0][1],
                                         account="6217000077778888999")]
    for name, idn, _hh, _acc in ring[1:]:
        pay(name, 2_000, day0 + dt.timedelta(days=301), idn=idn, account="6217000077778888999")
    home = spare[6]
    mates = conn.execute(select(m.Member.name, m.Member.id_number).where(m.Member.household_id == home[2])
                         .order_by(m.Member.id)).all()
    for name, idn in mates[:2]:
        alike["funds.shared_account"].append(pay(name, 1_500, day0 + dt.timedelta(days=310), idn=idn, account=home[3]))
    # split under the approval line: three parts just under it within ten days; look-alike: two such parts
    # three months apart
    start = dt.date(2019, 5, 6)
    parts = [pay("某扶贫车间设备供应商", SPLIT_LINE - v, start + dt.timedelta(days=d), invoice=f"FPD-S-{d}",
                 account="520099990004") for v, d in ((120, 0), (350, 4), (800, 9))]
    plant["funds.split_payment"] = parts[:1]
    alike["funds.split_payment"] = [
        pay("某农机销售门市", SPLIT_LINE - 200, start, invoice="FPD-S-A", account="520099990005"),
        pay("某农机销售门市", SPLIT_LINE - 300, start + dt.timedelta(days=95), invoice="FPD-S-B", account="520099990005")]

    bulk_insert(conn, m.FundPayment.__table__, tuple(rows[0]), (tuple(r.values()) for r in rows))
    added: dict[int, float] = {}
    for r in rows:
        added[r["allocation_id"]] = added.get(r["allocation_id"], 0.0) + r["amount"]
    fa = m.FundAllocation.__table__
    conn.execute(update(fa).where(fa.c.id == _bind("i")).values(reimbursed=fa.c.reimbursed + _bind("x")),
                 [{"i": i, "x": round(x, 2)} for i, x in sorted(added.items())])


def _chain_planted(conn: Connection) -> dict[str, list[str]]:
    """The fund chain's cases planted by the projects step (sandbox.store.demo.projects._plant_anomalies): the
    last project with allocations overpaid, the one before it idle, and the one set back to 0 % with payments."""
    with_alloc = conn.execute(select(m.FundAllocation.project_id).distinct().order_by(m.FundAllocation.project_id)).scalars().all()
    if len(with_alloc) < 4:
        return {}
    paid = select(m.FundAllocation.project_id).join(m.FundPayment, m.FundPayment.allocation_id == m.FundAllocation.id)
    zero = conn.execute(select(m.Project.id).where(m.Project.progress <= 0, m.Project.stage == "approved",
                                                   m.Project.id.in_(paid))).scalars().all()
    return {"funds.chain_overpaid": [str(with_alloc[-1])], "funds.chain_idle": [str(with_alloc[-2])],
            "funds.chain_no_progress": [str(p) for p in zero]}


# -- check-ins -------------------------------------------------------------------------------------------

def _plant_checkins(conn: Connection, rng: np.random.Generator, plant: dict, alike: dict) -> None:
    c = m.Checkin
    n = conn.scalar(select(func.count()).select_from(c)) or 0
    if n < PHOTO_CHECKINS + 20:
        return
    cols = (c.id, c.cadre_id, c.household_id, c.village_code, c.at, c.lon, c.lat)
    ids = _by_rank(conn, c.id, rng.choice(n, PHOTO_CHECKINS, replace=False))  # by rank, as the members above
    by_id = {r.id: r for r in conn.execute(select(*cols).where(c.id.in_(ids)))}
    picked = [by_id[i] for i in ids if i in by_id]
    updates = []
    for k, r in enumerate(picked):
        # an honest photo: its own scene, taken a few minutes before the check-in
        h, taken = _marks(demo_photo(10_000 + k, r.at - dt.timedelta(minutes=int(rng.integers(1, 30)))))
        updates.append({"i": r.id, "h": json.dumps([h]), "t": taken})
    # reused: a later check-in carries an earlier one's photo, re-encoded smaller (the hash a few bits off)
    src, dst = picked[10], picked[-10]
    if dst.at < src.at:
        src, dst = dst, src
    h_src = json.loads(next(u["h"] for u in updates if u["i"] == src.id))[0]
    h_reuse, _ = _marks(demo_photo(10_000 + picked.index(src), None, quality=60, size=(120, 90)))
    for u in updates:
        if u["i"] == dst.id:
            u["h"], u["t"] = json.dumps([h_reuse or h_src]), None
    plant["checkins.reused_photo"] = [str(dst.id)]
    # a photo taken a month before the check-in; look-alike (picked[1]): three hours off
    for u, r in ((updates[0], picked[0]), (updates[1], picked[1])):
        gap = dt.timedelta(days=31) if u is updates[0] else dt.timedelta(hours=3)
        h, taken = _marks(demo_photo(20_000 + r.id, r.at - gap))
        u["h"], u["t"] = json.dumps([h]), taken
    plant["checkins.exif_time"] = [str(picked[0].id)]
    alike["checkins.exif_time"] = [str(picked[1].id)]
    alike["checkins.reused_photo"] = [str(r.id) for r in picked[1:6]]
    conn.execute(update(c.__table__).where(c.__table__.c.id == _bind("i"))
                 .values(photo_hashes=_bind("h"), photo_taken_at=_bind("t")), updates)

    # too fast: a cadre's last check-in followed 15 minutes later by one at the county's farthest household from
    # it; look-alike: as far, 4 hours later
    def last_of(cadre: int):
        return conn.execute(select(*cols).where(c.cadre_id == cadre).order_by(c.at.desc(), c.id.desc()).limit(1)).one()

    def farthest(lon: float, lat: float):
        d2 = (m.Household.lon - lon) * (m.Household.lon - lon) + (m.Household.lat - lat) * (m.Household.lat - lat)
        return conn.execute(select(m.Household.id, m.Household.village_code, m.Household.lon, m.Household.lat)
                            .order_by(d2.desc()).limit(1)).one()

    new_rows = []
    next_id = (conn.scalar(select(func.max(c.id))) or 0) + 1

    def visit(cadre, hh, village, at, lon, lat, hlon, hlat) -> str:
        nonlocal next_id
        dist = float(haversine_m(hlon, hlat, lon, lat))
        new_rows.append((next_id, cadre, hh, village, at, round(lon, 6), round(lat, 6), "WGS-84", 10.0, round(dist, 1),
                         dist <= 200, "入户走访", "[]"))
        next_id += 1
        return str(next_id - 1)

    fast_cadres = [picked[20].cadre_id] + [r.cadre_id for r in picked[21:] if r.cadre_id != picked[20].cadre_id][:1]
    for k, (cadre, gap) in enumerate(zip(fast_cadres, (dt.timedelta(minutes=15), dt.timedelta(hours=4)))):
        base = last_of(cadre)
        dest = farthest(base.lon, base.lat)
        vid = visit(base.cadre_id, dest.id, dest.village_code, base.at + gap, dest.lon, dest.lat, dest.lon, dest.lat)
        (plant if k == 0 else alike)["checkins.too_fast"] = [vid]
    # one spot: ten visits to four households all from the office; look-alike: ten visits to one household at its door
    homes: list = []
    for r in picked[30:]:  # the first cadre (not the fast ones) with four households or more
        if r.cadre_id in fast_cadres:
            continue
        office_cadre = r.cadre_id
        homes = conn.execute(select(m.Household.id, m.Household.village_code, m.Household.lon, m.Household.lat)
                             .where(m.Household.id.in_(select(m.Assignment.household_id)
                                                       .where(m.Assignment.cadre_id == office_cadre)))
                             .order_by(m.Household.id)).all()
        if len(homes) >= 4:
            break
    if len(homes) >= 4:
        region = conn.scalar(select(m.Cadre.region_code).where(m.Cadre.id == office_cadre))
        spot = conn.execute(select(m.Region.label_lon, m.Region.label_lat).where(m.Region.code == region)).one()
        for j in range(10):
            h = homes[j % 4]
            visit(office_cadre, h.id, h.village_code, dt.datetime(2019, 3 + j % 9, 5 + j, 9, 30),
                  spot.label_lon + rng.normal(0, 0.00003), spot.label_lat + rng.normal(0, 0.00003), h.lon, h.lat)
        plant["checkins.one_spot"] = [str(office_cadre)]
    loyal = next(r for r in picked[41:] if r.cadre_id not in fast_cadres and r.cadre_id != office_cadre)
    alike["checkins.one_spot"] = [str(loyal.cadre_id)]
    h = conn.execute(select(m.Household.id, m.Household.village_code, m.Household.lon, m.Household.lat)
                     .where(m.Household.id == loyal.household_id)).one()
    for j in range(10):
        visit(loyal.cadre_id, h.id, h.village_code, dt.datetime(2019, 2 + j % 10, 10 + j, 15, 0),
              h.lon + rng.normal(0, 0.00003), h.lat + rng.normal(0, 0.00003), h.lon, h.lat)
    bulk_insert(conn, c.__table__, ("id", "cadre_id", "household_id", "village_code", "at", "lon", "lat", "source_crs",
                                    "accuracy_m", "distance_m", "effective", "note", "photos"), new_rows)


def run_demo_register(engine: Engine) -> None:
    """Runs every registered rule over the new demo, so the register and the wall's 风险 layer start filled."""
    from sandbox.store.risk.register import run_rules

    with Session(engine) as session:
        run_rules(session)
