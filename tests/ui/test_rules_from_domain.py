"""The wall draws the exit line where sandbox.domain.rules puts it: no copy of the number in ui/ (no Qt)."""

from sandbox.domain import rules
from sandbox.ui.classify import POLICY_THRESHOLDS
from sandbox.ui.panels.model import EXIT_LINES


def test_the_trend_and_the_map_classes_take_the_exit_line_from_the_domain():
    assert EXIT_LINES is rules.EXIT_LINES
    assert POLICY_THRESHOLDS["poverty_incidence"] is rules.INCIDENCE_POLICY_BREAKS
    assert POLICY_THRESHOLDS["poverty_incidence"][0] == EXIT_LINES["poverty_incidence"] == rules.EXIT_INCIDENCE_PCT
