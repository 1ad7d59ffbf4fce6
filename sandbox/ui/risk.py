"""The wall's 风险 model (Qt-free): GET /regions/{code}/risk read into open hits per child and, for leaders, the top hits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.client.errors import ApiError, ApiUnavailable
from sandbox.ui.events import Events

if TYPE_CHECKING:
    from sandbox.client.api import ApiClient

__all__ = ["RiskCounts", "RiskHitItem", "RiskBoard", "RiskState", "fetch_risk", "count_class", "COUNT_BREAKS",
           "HITS_SHOWN", "FAMILY_ZH"]

HITS_SHOWN = 6  # the top hits (highest score first) a leader's panel lists
COUNT_BREAKS = (3, 10)  # open hits in a child region: 1-2 look, 3-9 check, 10 and more act
FAMILY_ZH = {"persons": "伪贫困户", "funds": "资金使用", "checkins": "挂名帮扶"}  # when the API gives no labels


def _int(v: Any) -> int:
    try:
        return max(0, int(v))
    except (TypeError, ValueError):
        return 0


def count_class(n: int) -> int:
    """0 no open hit, 1 under 3, 2 under 10, 3 at 10 or more."""
    if n <= 0:
        return 0
    return 1 if n < COUNT_BREAKS[0] else (2 if n < COUNT_BREAKS[1] else 3)


@dataclass(frozen=True)
class RiskCounts:
    total: int = 0
    families: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_api(cls, d: Any) -> RiskCounts:
        d = d if isinstance(d, dict) else {}
        fam = d.get("families") if isinstance(d.get("families"), dict) else {}
        return cls(_int(d.get("total")), {str(k): _int(v) for k, v in fam.items()})


@dataclass(frozen=True)
class RiskHitItem:
    """A hit as a leader's wall lists it: rule, place, reason as the server masked it, case state. Never its
    evidence (the client drops it), never on a display or delegation wall (the API refuses those)."""

    rule_zh: str
    family: str
    region_name: str
    reason: str
    score: float
    case_zh: str

    @classmethod
    def from_api(cls, d: Any) -> RiskHitItem | None:
        if not isinstance(d, dict):
            return None
        case = d.get("case") if isinstance(d.get("case"), dict) else None
        try:
            score = float(d.get("score") or 0.0)
        except (TypeError, ValueError):
            score = 0.0
        return cls(str(d.get("rule_zh") or d.get("rule") or ""), str(d.get("family") or ""),
                   str(d.get("region_name") or d.get("region_code") or ""), str(d.get("reason") or ""), score,
                   str(case.get("state_zh") or case.get("state") or "") if case else "未交办")


@dataclass(frozen=True)
class RiskBoard:
    code: str
    name: str
    families: tuple[tuple[str, str], ...]  # (key, Chinese label), in the API's order
    total: RiskCounts
    children: dict[str, RiskCounts]
    names: dict[str, str]
    hits: tuple[RiskHitItem, ...] | None = None  # None: this wall's role sees counts only
    hits_total: int = 0
    hits_error: str | None = None  # the hit list could not be fetched (offline): said, never an empty list
    open_cases: int | None = None  # cases assigned or decided, not closed (None: not known)
    last_run: str | None = None

    @classmethod
    def from_api(cls, d: Any) -> RiskBoard:
        d = d if isinstance(d, dict) else {}
        fams = tuple((str(f.get("key")), str(f.get("label_zh") or f.get("key")))
                     for f in d.get("families") or [] if isinstance(f, dict) and f.get("key")) \
            or tuple(FAMILY_ZH.items())
        kids = [c for c in d.get("children") or [] if isinstance(c, dict) and c.get("code")]
        return cls(str(d.get("code") or ""), str(d.get("name") or ""), fams, RiskCounts.from_api(d.get("total")),
                   {str(c["code"]): RiskCounts.from_api(c) for c in kids},
                   {str(c["code"]): str(c.get("name") or c["code"]) for c in kids},
                   last_run=d.get("last_run") if isinstance(d.get("last_run"), str) else None)


def _open_cases(rules: Any) -> int | None:
    items = rules.get("rules") if isinstance(rules, dict) else None
    return sum(_int(r.get("open_cases")) for r in items if isinstance(r, dict)) if isinstance(items, list) else None


def fetch_risk(client: ApiClient, code: str, hits: bool) -> RiskBoard:
    """The blocking part (worker thread): the 风险 board of the region on screen; with `hits` (a wall that may
    read them) its top hits too. A 403 on those means counts only; no answer leaves `hits_error` set."""
    board = RiskBoard.from_api(client.risk(code))
    try:
        open_cases = _open_cases(client.risk_rules(code))
    except ApiError:
        open_cases = None
    extra: dict[str, Any] = {"open_cases": open_cases}
    if hits:
        try:
            page = client.risk_hits(code, limit=HITS_SHOWN)
        except ApiUnavailable as exc:
            extra["hits_error"] = exc.message
        except ApiError as exc:
            if exc.status not in (401, 403):
                extra["hits_error"] = exc.message
        else:
            items = tuple(i for i in (RiskHitItem.from_api(x) for x in page.get("items") or []) if i is not None)
            extra.update(hits=items, hits_total=_int(page.get("total")))
    return RiskBoard(**{**board.__dict__, **extra})


@dataclass
class RiskState:
    """The 风险 board of the region on screen; `events.board` fires when it changes (None: cleared)."""

    board: RiskBoard | None = None
    region: str | None = None  # the region whose board is wanted (the map's)
    counts_only: bool = False  # the API refused this wall the hit list once: it is not asked again
    events: Events = field(default_factory=lambda: Events("board"))

    def want(self, region: str | None) -> bool:
        """The map shows `region` now: True when its board must be fetched (the old one is cleared)."""
        if region == self.region and self.board is not None:
            return False
        self.region = region
        if self.board is not None and self.board.code != region:
            self.board = None
            self.events.board.emit(None)
        return region is not None

    def apply(self, board: RiskBoard, asked_hits: bool) -> bool:
        """A board arrived; False (and ignored) when the map moved on meanwhile."""
        if asked_hits and board.hits is None and board.hits_error is None:
            self.counts_only = True
        if board.code != self.region:
            return False
        self.board = board
        self.events.board.emit(board)
        return True
