"""What a rule finds: a hit on one subject, with its reason in Chinese and the rows that show it."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Evidence", "Hit", "SUBJECTS"]

# What a hit can be about; the key of a hit is (rule, subject, subject_id), so running the rules twice
# finds the same hits instead of new ones.
SUBJECTS = {
    "household": "贫困户",
    "member": "家庭成员",
    "payment": "资金支付",
    "project": "产业项目",
    "checkin": "走访签到",
    "cadre": "帮扶干部",
}


@dataclass(frozen=True)
class Evidence:
    """One row that shows the hit: which source, which row, and what it says.

    `fields` holds the row's values as text under Chinese column names; person data (ID numbers, names,
    phones, bank accounts) is kept whole here and masked by role where it leaves the server, with the
    register's masking (sandbox.domain.masking), so name those keys in `person_fields`.
    """

    source: str  # Chinese name of the source: 财政供养人员, 车辆登记, 资金支付, 走访签到 …
    row: str  # where in the source: a file row number, a record id
    fields: dict[str, str] = field(default_factory=dict)
    person_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    rule: str  # the rule's id, e.g. "persons.public_payroll"
    subject: str  # one of SUBJECTS
    subject_id: str  # the household's, payment's, check-in's … id as text
    region: str  # the region code the hit is counted under (a village's 12 digits where known)
    reason: str  # Chinese: which rule, which rows and why, with the figures and the threshold
    evidence: tuple[Evidence, ...] = ()
    score: float = 1.0  # 0 … 1: how strongly the rows point at fraud, for ordering the register

    def __post_init__(self) -> None:
        if self.subject not in SUBJECTS:
            raise ValueError(f"unknown subject {self.subject!r}")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score {self.score} outside 0 … 1")

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.rule, self.subject, self.subject_id)
