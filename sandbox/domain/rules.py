"""Policy rules in one place: the exit line, fund-chain anomaly thresholds, the check-in distance rule.

Constants and pure functions only: the store's SQL, the importers, the demo builder, the server and
the wall all take their thresholds from here, and `GET /indicators` serves them to clients.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from fractions import Fraction

__all__ = [
    "EXIT_INCIDENCE_PCT", "EXIT_LINES", "INCIDENCE_POLICY_BREAKS", "below_exit_line", "village_exit_years",
    "FUND_IDLE_MONTHS", "FUND_OVERPAID_TOLERANCE_YUAN", "months_between", "is_overpaid", "is_idle",
    "is_paid_without_progress",
    "CHECKIN_EFFECTIVE_M", "EARTH_RADIUS_M", "haversine_m", "is_effective_visit",
    "indicator_rules",
]

# -- exit line (DOMAIN.md: "a poor village exits when its incidence is below 3% (west China); a
# county leaves the list below 3%") -------------------------------------------------------------
EXIT_INCIDENCE_PCT = 3.0
# Indicators with an exit line drawn on the wall's trend chart.
EXIT_LINES: Mapping[str, float] = {"poverty_incidence": EXIT_INCIDENCE_PCT}
# Fixed class edges the wall colours incidence by (upper bounds; the last class is open): the first
# edge is the exit line, so "below the line" is one colour in every year and at every level.
INCIDENCE_POLICY_BREAKS: tuple[float, ...] = (EXIT_INCIDENCE_PCT, 5.0, 10.0, 20.0, 30.0)


def below_exit_line(poor_population: float | None, rural_population: float | None,
                    threshold_pct: float = EXIT_INCIDENCE_PCT) -> bool:
    """Incidence (poor ÷ rural population × 100) strictly below the line; False without a population.

    Compared in exact fractions, the line read as written: a village exactly on it stays poor, where
    floats would put 11 of 1,000 (11 / 1000 × 100 = 1.0999999999999999) below a line of 1.1."""
    if not rural_population:
        return False
    return Fraction(poor_population or 0) * 100 < Fraction(str(threshold_pct)) * Fraction(rural_population)


def village_exit_years(facts: Iterable[tuple[str, int, float | None, float | None]], poor_villages: Iterable[str],
                       threshold_pct: float = EXIT_INCIDENCE_PCT) -> dict[str, int]:
    """{village: exit year (出列)} for the poor villages among `facts` rows (code, year, poor population,
    rural population): the first year whose incidence is below the line. Rows in any order."""
    pending = set(poor_villages)
    found: dict[str, int] = {}
    for code, year, poor, rural in facts:
        if code in pending and (code not in found or year < found[code]) and below_exit_line(poor, rural, threshold_pct):
            found[code] = year
    return found


# -- fund chain anomalies ---------------------------------------------------------------------------
FUND_IDLE_MONTHS = 12  # arrived money with no payment for this long is idle (资金闲置)
FUND_OVERPAID_TOLERANCE_YUAN = 1.0  # paid above arrived by more than this (cent rounding of split payments is not)


def months_between(a: dt.date, b: dt.date) -> int:
    """Whole months from `a` to `b` (a day short of a month is not a month)."""
    return (b.year - a.year) * 12 + (b.month - a.month) - (1 if b.day < a.day else 0)


def is_overpaid(arrived: float, paid: float) -> bool:
    """支付超到位: an allocation paid more than arrived on it."""
    return paid > arrived + FUND_OVERPAID_TOLERANCE_YUAN


def is_idle(arrived: float, payments: int, arrived_date: dt.date | None, as_of: dt.date) -> bool:
    """资金闲置: money arrived FUND_IDLE_MONTHS or more before `as_of` (the data's date, not the wall
    clock) and not one payment since."""
    return (arrived > 0 and payments == 0 and arrived_date is not None
            and months_between(arrived_date, as_of) >= FUND_IDLE_MONTHS)


def is_paid_without_progress(progress: float, paid: float) -> bool:
    """已支付但零进度: a project at 0 % progress with payments."""
    return progress <= 0 and paid > FUND_OVERPAID_TOLERANCE_YUAN


# -- check-in distance -----------------------------------------------------------------------------
CHECKIN_EFFECTIVE_M = 500.0  # a visit counts when the check-in is this close to the household (default)
EARTH_RADIUS_M = 6_371_000


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points (degrees)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (lon1, lat1, lon2, lat2))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def is_effective_visit(distance_m, effective_m: float = CHECKIN_EFFECTIVE_M):
    """有效走访: within `effective_m` of the household (a number, or elementwise for an array)."""
    return distance_m <= effective_m


# -- served through GET /indicators ----------------------------------------------------------------
def indicator_rules(key: str, checkin_effective_m: float = CHECKIN_EFFECTIVE_M) -> dict:
    """The rule fields of indicator `key` as `/indicators` serves them: `exit_line` (a value, or None)
    and `thresholds` ({name: value}, empty when the indicator has none)."""
    thresholds: dict[str, float] = {}
    if key == "poverty_incidence":
        thresholds = {"exit_line": EXIT_INCIDENCE_PCT}
    elif key in ("fund_arrival_rate", "fund_spend_rate"):
        thresholds = {"idle_months": FUND_IDLE_MONTHS, "overpaid_tolerance_yuan": FUND_OVERPAID_TOLERANCE_YUAN}
    elif key == "visit_rate":
        thresholds = {"effective_distance_m": checkin_effective_m}
    return {"exit_line": EXIT_LINES.get(key), "thresholds": thresholds}
