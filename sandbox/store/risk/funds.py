"""The funds rules (资金使用): duplicate vouchers, invoices and payments, payees outside the register or in a
cadre's family, one account for several households, payments split under an approval line, the fund chain's
anomalies."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox.domain.rules import FUND_IDLE_MONTHS, is_idle, is_overpaid, is_paid_without_progress, months_between
from sandbox.store import queries
from sandbox.store.models import Cadre, FundAllocation, FundPayment, Member, Project
from sandbox.store.risk.hits import Evidence, Hit
from sandbox.store.risk.rules import Thresholds, rule

__all__ = ["payments"]

SOURCE = "资金支付"


@dataclass(frozen=True)
class Pay:
    id: int
    allocation_id: int
    project_id: int
    project: str
    region: str
    payee: str
    amount: float
    voucher: str
    date: dt.date
    payee_id: str | None
    account: str | None
    invoice: str | None

    def evidence(self, **extra: str) -> Evidence:
        fields = {"支付编号": str(self.id), "项目": self.project, "收款方": self.payee, "金额(元)": f"{self.amount:,.2f}",
                  "凭证号": self.voucher, "支付日期": self.date.isoformat()}
        person = ["收款方"]
        if self.invoice:
            fields["发票号"] = self.invoice
        if self.payee_id:
            fields["收款人身份证号"] = self.payee_id
            person.append("收款人身份证号")
        if self.account:
            fields["收款账号"] = self.account
            person.append("收款账号")
        fields.update(extra)
        return Evidence(SOURCE, f"支付 {self.id}", fields, tuple(person))


def payments(session: Session, where=()) -> list[Pay]:
    """Every payment with its project and region (one query; the rules group them in memory)."""
    q = (select(FundPayment.id, FundPayment.allocation_id, FundAllocation.project_id, Project.name,
                FundAllocation.region_code, FundPayment.payee, FundPayment.amount, FundPayment.voucher,
                FundPayment.paid_date, FundPayment.payee_id_number, FundPayment.bank_account, FundPayment.invoice_number)
         .join(FundAllocation, FundAllocation.id == FundPayment.allocation_id)
         .join(Project, Project.id == FundAllocation.project_id, isouter=True)
         .where(*where).order_by(FundPayment.id))
    return [Pay(r[0], r[1], r[2], r[3] or f"项目 {r[2]}", r[4], r[5], float(r[6]), r[7], r[8], r[9], r[10], r[11])
            for r in session.execute(q)]


def _repeats(pays: Iterable[Pay], key) -> Iterator[tuple[Pay, list[Pay]]]:
    """(a later payment, the group it repeats) for each group sharing `key` (None keys skipped): the first
    payment is the original, every later one is a hit."""
    groups: dict = defaultdict(list)
    for p in pays:
        k = key(p)
        if k is not None:
            groups[k].append(p)
    for group in groups.values():
        for p in group[1:]:
            yield p, group


@rule("funds.duplicate_voucher", "凭证号重复")
def duplicate_voucher(session: Session, t: Thresholds) -> Iterator[Hit]:
    for p, group in _repeats(payments(session), lambda p: p.voucher.strip() or None):
        first = group[0]
        yield Hit("funds.duplicate_voucher", "payment", str(p.id), p.region,
                  f"凭证号 {p.voucher} 已用于支付 {first.id}({first.date.isoformat()}, {first.amount:,.2f} 元),"
                  f"支付 {p.id} 又用同一凭证号支付 {p.amount:,.2f} 元: 一张凭证只能报账一次, 需核实是否重复报账。",
                  tuple(g.evidence() for g in group), float(t.value("funds.duplicate_voucher", "score")))


@rule("funds.duplicate_invoice", "发票号重复")
def duplicate_invoice(session: Session, t: Thresholds) -> Iterator[Hit]:
    for p, group in _repeats(payments(session), lambda p: (p.invoice or "").strip() or None):
        first = group[0]
        yield Hit("funds.duplicate_invoice", "payment", str(p.id), p.region,
                  f"发票号 {p.invoice} 已用于支付 {first.id}({first.date.isoformat()}),支付 {p.id} 又凭同一张发票"
                  f"支付 {p.amount:,.2f} 元: 需核实是否一票多报。",
                  tuple(g.evidence() for g in group), float(t.value("funds.duplicate_invoice", "score")))


@rule("funds.duplicate_payment", "同一收款方同日同额重复支付")
def duplicate_payment(session: Session, t: Thresholds) -> Iterator[Hit]:
    for p, group in _repeats(payments(session), lambda p: (p.payee.strip(), round(p.amount, 2), p.date)):
        yield Hit("funds.duplicate_payment", "payment", str(p.id), p.region,
                  f"同一收款方于 {p.date.isoformat()} 收到 {len(group)} 笔相同金额 {p.amount:,.2f} 元的支付"
                  f"(支付 {'、'.join(str(g.id) for g in group)}): 需核实是否重复支付。",
                  tuple(g.evidence() for g in group), float(t.value("funds.duplicate_payment", "score")))


def _households_of(session: Session, id_numbers: Iterable[str]) -> dict[str, set[int]]:
    """ID number → the households holding a member with it."""
    wanted = sorted(set(id_numbers))
    out: dict[str, set[int]] = defaultdict(set)
    for i in range(0, len(wanted), 500):
        for idn, hh in session.execute(select(Member.id_number, Member.household_id)
                                       .where(Member.id_number.in_(wanted[i:i + 500]))):
            out[idn].add(hh)
    return out


@rule("funds.unregistered_payee", "收款人不在建档立卡名册")
def unregistered_payee(session: Session, t: Thresholds) -> Iterator[Hit]:
    # a payment to a person (an ID number on it: 到户 subsidies) whose ID number no register member holds;
    # payments to companies carry none and are not this rule's business
    person_pays = payments(session, (FundPayment.payee_id_number.is_not(None),))
    homes_of = _households_of(session, (p.payee_id for p in person_pays))
    for p in person_pays:
        if homes_of.get(p.payee_id):
            continue
        yield Hit("funds.unregistered_payee", "payment", str(p.id), p.region,
                  f"支付 {p.id} 以到户资金付给个人 {p.amount:,.2f} 元, 但收款人的身份证号不在建档立卡贫困户成员名册中:"
                  "需核实收款人身份与资金用途。",
                  (p.evidence(),), float(t.value("funds.unregistered_payee", "score")))


@rule("funds.cadre_payee", "收款人为干部或干部家庭成员")
def cadre_payee(session: Session, t: Thresholds) -> Iterator[Hit]:
    cadres = {idn: (cid, name, unit) for cid, name, unit, idn in session.execute(
        select(Cadre.id, Cadre.name, Cadre.unit, Cadre.id_number).where(Cadre.id_number.is_not(None)))}
    if not cadres:
        return
    cadre_homes: dict[int, tuple] = {}  # household → the cadre who is a member of it (one join, no ID list)
    for idn, hh in session.execute(select(Member.id_number, Member.household_id)
                                   .join(Cadre, Cadre.id_number == Member.id_number)):
        cadre_homes[hh] = cadres[idn]
    person_pays = payments(session, (FundPayment.payee_id_number.is_not(None),))
    homes_of = _households_of(session, (p.payee_id for p in person_pays))
    score = float(t.value("funds.cadre_payee", "score"))
    for p in person_pays:
        cadre = cadres.get(p.payee_id)
        if cadre is not None:
            why = f"收款人即帮扶干部 {cadre[1]}({cadre[2]})本人"
        else:
            home = next((h for h in sorted(homes_of.get(p.payee_id, ())) if h in cadre_homes), None)
            if home is None:
                continue
            cadre = cadre_homes[home]
            why = f"收款人与干部 {cadre[1]}({cadre[2]})同属一户(户 {home})"
        yield Hit("funds.cadre_payee", "payment", str(p.id), p.region,
                  f"支付 {p.id} 付给个人 {p.amount:,.2f} 元, {why}: 干部及其家庭成员领取扶贫资金须核实是否符合规定。",
                  (p.evidence(干部编号=str(cadre[0]), 干部姓名=cadre[1]),), score)


@rule("funds.shared_account", "一个账户收取多户资金")
def shared_account(session: Session, t: Thresholds) -> Iterator[Hit]:
    most = int(t.value("funds.shared_account", "max_households_per_account"))
    pays = payments(session, (FundPayment.bank_account.is_not(None), FundPayment.payee_id_number.is_not(None)))
    homes_of = _households_of(session, (p.payee_id for p in pays))
    by_account: dict[str, list[Pay]] = defaultdict(list)
    for p in pays:
        by_account[p.account.strip()].append(p)
    score = float(t.value("funds.shared_account", "score"))
    for group in by_account.values():
        homes = sorted({h for p in group for h in homes_of.get(p.payee_id, ())})
        # a payee outside the register counts as a household of its own: the account still takes for many
        outsiders = {p.payee_id for p in group if not homes_of.get(p.payee_id)}
        n = len(homes) + len(outsiders)
        if n <= most:
            continue
        first = group[0]
        yield Hit("funds.shared_account", "payment", str(first.id), first.region,
                  f"同一收款账号收取了 {n} 户的到户资金(共 {len(group)} 笔, {sum(p.amount for p in group):,.2f} 元),"
                  f"超过每个账号 {most} 户: 需核实是否有人代领、截留。",
                  tuple(p.evidence() for p in group), score)


@rule("funds.split_payment", "拆分支付规避审批")
def split_payment(session: Session, t: Thresholds) -> Iterator[Hit]:
    rid = "funds.split_payment"
    line = float(t.value(rid, "approval_threshold_yuan"))
    near = float(t.value(rid, "near_fraction"))
    window = dt.timedelta(days=int(t.value(rid, "window_days")))
    least = int(t.value(rid, "min_parts"))
    score = float(t.value(rid, "score"))
    by_payee: dict[str, list[Pay]] = defaultdict(list)
    for p in payments(session, (FundPayment.amount >= line * near, FundPayment.amount < line)):
        by_payee[p.payee.strip()].append(p)
    for payee_pays in by_payee.values():
        payee_pays.sort(key=lambda p: (p.date, p.id))
        i = 0
        while i < len(payee_pays):
            run = [p for p in payee_pays[i:] if p.date - payee_pays[i].date <= window]
            total = sum(p.amount for p in run)
            if len(run) >= least and total >= line:
                first = run[0]
                yield Hit(rid, "payment", str(first.id), first.region,
                          f"同一收款方在 {int(window.days)} 天内收到 {len(run)} 笔支付, 每笔都略低于 {line:,.0f} 元的审批线"
                          f"(在其 {near:.0%} 以上), 合计 {total:,.2f} 元: 需核实是否拆分支付以规避审批。",
                          tuple(p.evidence() for p in run), score)
                i += len(run)
            else:
                i += 1


# -- the fund chain's anomalies (the same predicates as GET /funds/chain: sandbox.domain.rules) ------------

def _chain(session: Session) -> list[dict]:
    """Per allocation: project, region, progress, arrived, paid, payments, arrived date."""
    pay = (select(FundPayment.allocation_id, func.sum(FundPayment.amount).label("paid"), func.count().label("n"))
           .group_by(FundPayment.allocation_id).subquery())
    q = (select(FundAllocation.id, FundAllocation.project_id, Project.name, Project.region_code, Project.progress,
                FundAllocation.arrived, func.coalesce(pay.c.paid, 0.0), func.coalesce(pay.c.n, 0),
                FundAllocation.arrived_date)
         .join(Project, Project.id == FundAllocation.project_id)
         .outerjoin(pay, pay.c.allocation_id == FundAllocation.id).order_by(FundAllocation.id))
    return [dict(id=r[0], project_id=r[1], project=r[2], region=r[3], progress=float(r[4] or 0),
                 arrived=float(r[5] or 0), paid=float(r[6] or 0), n=int(r[7] or 0), arrived_date=r[8])
            for r in session.execute(q)]


def _as_of(session: Session) -> dt.date:
    text = queries.meta(session).get("data_as_of")
    try:
        return dt.datetime.fromisoformat(text).date() if text else dt.date.today()
    except ValueError:
        return dt.date.today()


def _alloc_evidence(a: dict, **extra: str) -> Evidence:
    fields = {"下达编号": str(a["id"]), "项目": a["project"], "到位(元)": f"{a['arrived']:,.2f}",
              "已支付(元)": f"{a['paid']:,.2f}", "支付笔数": str(a["n"]),
              "到位日期": a["arrived_date"].isoformat() if a["arrived_date"] else "—"}
    fields.update(extra)
    return Evidence("资金下达", f"下达 {a['id']}", fields)


def _by_project(allocs: list[dict]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = defaultdict(list)
    for a in allocs:
        out[a["project_id"]].append(a)
    return out


@rule("funds.chain_overpaid", "支付超过到位资金")
def chain_overpaid(session: Session, t: Thresholds) -> Iterator[Hit]:
    for pid, allocs in _by_project(_chain(session)).items():
        over = [a for a in allocs if is_overpaid(a["arrived"], a["paid"])]
        if over:
            arrived, paid = sum(a["arrived"] for a in over), sum(a["paid"] for a in over)
            yield Hit("funds.chain_overpaid", "project", str(pid), over[0]["region"],
                      f"“{over[0]['project']}”到位 {arrived:,.2f} 元, 却已支付 {paid:,.2f} 元, 超出 {paid - arrived:,.2f} 元:"
                      "资金链不平, 需核实多付款项的收款方与凭证。",
                      tuple(_alloc_evidence(a) for a in over), float(t.value("funds.chain_overpaid", "score")))


@rule("funds.chain_idle", f"到位资金闲置超过{FUND_IDLE_MONTHS}个月")
def chain_idle(session: Session, t: Thresholds) -> Iterator[Hit]:
    as_of = _as_of(session)
    for pid, allocs in _by_project(_chain(session)).items():
        idle = [a for a in allocs if is_idle(a["arrived"], a["n"], a["arrived_date"], as_of)]
        if idle:
            since = min(a["arrived_date"] for a in idle)
            yield Hit("funds.chain_idle", "project", str(pid), idle[0]["region"],
                      f"“{idle[0]['project']}”有 {len(idle)} 笔到位资金共 {sum(a['arrived'] for a in idle):,.2f} 元,"
                      f"最早于 {since.isoformat()} 到位, 截至 {as_of.isoformat()} 已 {months_between(since, as_of)} 个月"
                      f"没有任何支付: 资金闲置超过 {FUND_IDLE_MONTHS} 个月。",
                      tuple(_alloc_evidence(a) for a in idle), float(t.value("funds.chain_idle", "score")))


@rule("funds.chain_no_progress", "已支付但项目零进度")
def chain_no_progress(session: Session, t: Thresholds) -> Iterator[Hit]:
    for pid, allocs in _by_project(_chain(session)).items():
        paid = sum(a["paid"] for a in allocs)
        if is_paid_without_progress(allocs[0]["progress"], paid):
            yield Hit("funds.chain_no_progress", "project", str(pid), allocs[0]["region"],
                      f"“{allocs[0]['project']}”进度为 0%, 却已支付 {paid:,.2f} 元: 需核实付款依据与实际施工情况。",
                      tuple(_alloc_evidence(a) for a in allocs if a["paid"] > 0),
                      float(t.value("funds.chain_no_progress", "score")))

