"""Rate-limited log lines: the first at once, repeats counted, the count told with the next line out."""

from __future__ import annotations

import logging

from sandbox.ratelog import RateLimitedLog


def test_a_persistent_fault_logs_once_per_interval_and_says_how_many_were_left_out(caplog):
    now = [0.0]
    quiet = RateLimitedLog(logging.getLogger("t.ratelog"), 600.0, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, "t.ratelog"):
        for i in range(100):  # a write every 3 s for 5 minutes
            now[0] = i * 3.0
            quiet.warning("write", "cannot write cache entry %s", i)
        assert [r.getMessage() for r in caplog.records] == ["cannot write cache entry 0"]
        now[0] = 601.0
        assert quiet.warning("write", "cannot write cache entry %s", 100)
        assert quiet.warning("other", "another fault")  # keys are counted apart
    assert caplog.records[1].getMessage() == "cannot write cache entry 100 (99 similar lines left out in the last 600 s)"
    assert len(caplog.records) == 3
