"""A hit as a role may read it: evidence's person fields masked like the register's, the reason scrubbed."""

from __future__ import annotations

import json

from sandbox.domain.enums import Role
from sandbox.domain.masking import PersonView, person_view
from sandbox.store.risk.cases import ACTION_ZH, OUTCOME_ZH, STATE_ZH
from sandbox.store.risk.hits import SUBJECTS
from sandbox.store.risk.rules import FAMILIES, Rule
from sandbox.store.risk.tables import RiskCase, RiskCaseMove, RiskHit

__all__ = ["mask_evidence", "hit_out", "case_out", "HIT_ROLES"]

# Who reads hits themselves (evidence, reasons); display and delegation get the counts alone.
HIT_ROLES = (Role.admin, Role.leader)


def _mask_account(v: str | None) -> str | None:
    return v if not v else "*" * max(0, len(v) - 4) + v[-4:]


def mask_field(key: str, value: str | None, view: PersonView) -> str | None:
    """One person field by what its Chinese column name says it is."""
    if "身份证" in key or "证件" in key:
        return view.id_number(value)
    if "账号" in key or "账户" in key or "卡号" in key:
        # an account is masked wherever an ID number is (it pays out like one)
        return value if view.ids == "full" else (None if view.ids == "none" else _mask_account(value))
    if "电话" in key or "手机" in key:
        return view.phone(value)
    return view.name(value)


def mask_evidence(items: list[dict], view: PersonView, names: list[str]) -> list[dict]:
    out = []
    for e in items:
        person = set(e.get("person_fields") or ())
        fields = {k: mask_field(k, v, view) if k in person else view.text(v, names)
                  for k, v in (e.get("fields") or {}).items()}
        out.append({"source": e.get("source"), "row": e.get("row"), "fields": fields})
    return out


def _names(items: list[dict]) -> list[str]:
    """The person names in the evidence: scrubbed out of the reason for a role that may not read them."""
    return [v for e in items for k, v in (e.get("fields") or {}).items()
            if k in (e.get("person_fields") or ()) and isinstance(v, str) and "身份证" not in k and "账号" not in k]


def case_out(case: RiskCase | None, moves: list[RiskCaseMove] | None = None) -> dict | None:
    if case is None:
        return None
    out = {"id": case.id, "state": case.state, "state_zh": STATE_ZH.get(case.state, case.state),
           "outcome": case.outcome, "outcome_zh": OUTCOME_ZH.get(case.outcome or "", None),
           "assignee": case.assignee, "assigned_by": case.assigned_by,
           "assigned_at": case.assigned_at.isoformat(timespec="seconds") + "Z",
           "decided_by": case.decided_by,
           "decided_at": case.decided_at.isoformat(timespec="seconds") + "Z" if case.decided_at else None,
           "note": case.note, "closed_by": case.closed_by,
           "closed_at": case.closed_at.isoformat(timespec="seconds") + "Z" if case.closed_at else None}
    if moves is not None:
        out["moves"] = [{"action": mv.action, "action_zh": ACTION_ZH.get(mv.action, mv.action), "by": mv.by,
                         "at": mv.at.isoformat(timespec="seconds") + "Z", "note": mv.note} for mv in moves]
    return out


def hit_out(hit: RiskHit, rule: Rule | None, role: Role, region_name: str | None, case: RiskCase | None = None,
            moves: list[RiskCaseMove] | None = None) -> dict:
    view = person_view(role)
    try:
        items = json.loads(hit.evidence or "[]")
    except ValueError:
        items = []
    names = _names(items)
    family = rule.family if rule else hit.rule.split(".", 1)[0]
    c = case_out(case, moves)
    if c is not None and c.get("note"):
        c["note"] = view.text(c["note"], names)
    return {
        "id": hit.id, "rule": hit.rule, "rule_zh": rule.name if rule else hit.rule, "family": family,
        "family_zh": FAMILIES.get(family, family), "subject": hit.subject, "subject_zh": SUBJECTS.get(hit.subject),
        "subject_id": hit.subject_id, "region_code": hit.region_code, "region_name": region_name,
        "reason": view.text(hit.reason, names), "score": hit.score, "active": hit.active,
        "first_seen": hit.first_seen.isoformat(timespec="seconds") + "Z",
        "last_seen": hit.last_seen.isoformat(timespec="seconds") + "Z",
        "cleared_at": hit.cleared_at.isoformat(timespec="seconds") + "Z" if hit.cleared_at else None,
        "evidence": mask_evidence(items, view, names), "case": c,
    }
