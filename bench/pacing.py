"""Load-test pacing: each simulated user on its own clock, not on its last answer's end."""

from __future__ import annotations

import time


def own_clock(gap):
    """A `wait_time` that keeps each user on its own clock: its next task `gap()` seconds after the previous one
    was due, whatever the answers took. Locust's `constant` and `constant_pacing` count from when the last task
    *ended*: users whose answers end together — as requests sharing busy cores do — start together from then on,
    so the phones posted in bursts of all at once every interval (median 7 ms between posts at 200 a minute, 9
    in flight), never at the rate's arrivals; and `constant_pacing`'s first wait is 0 (each phone posted twice
    at once). Real phones and walls do not wait for each other's answers."""
    def wait(user) -> float:
        now = time.monotonic()
        due = getattr(user, "_due", None)
        user._due = (now if due is None else due) + gap()
        return max(0.0, user._due - now)
    return wait
