"""The load test's pacing: users on their own clocks stay apart whatever their answers take."""

from __future__ import annotations

import itertools

import pytest

from bench import pacing


class _User:
    pass


@pytest.fixture
def clock(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(pacing.time, "monotonic", lambda: now[0])
    return now


def test_a_users_tasks_start_on_its_own_grid_whatever_the_answers_took(clock):
    wait, user = pacing.own_clock(lambda: 3.0), _User()
    clock[0] = 0.4  # the first task ended
    starts = []
    for took in (0.1, 2.5, 0.05, 1.9, 0.7):
        clock[0] += wait(user)
        starts.append(round(clock[0], 6))
        clock[0] += took
    assert starts == [3.4, 6.4, 9.4, 12.4, 15.4]


def test_users_whose_answers_end_together_do_not_start_together_again(clock):
    """Locust's pacing counts from each answer's end: two phones whose answers end at the same moment post at the
    same moment from then on. On their own clocks they keep their own phases."""
    wait = pacing.own_clock(lambda: 3.0)
    a, b = _User(), _User()
    clock[0] = 0.0
    due_a = wait(a)  # a's first task ended at 0.0
    clock[0] = 1.5
    due_b = 1.5 + wait(b)  # b's at 1.5
    assert (due_a, due_b) == (3.0, 4.5)
    # both next tasks' answers end at the same moment (they shared a busy core): their next starts stay 1.5 s apart
    clock[0] = 5.0
    assert (5.0 + wait(a), 5.0 + wait(b)) == (6.0, 7.5)


def test_a_late_task_is_started_at_once_and_the_clock_keeps_its_times(clock):
    wait, user = pacing.own_clock(lambda: 1.0), _User()
    clock[0] = 0.0
    assert wait(user) == 1.0
    clock[0] = 3.2  # that task took 2.2 s: two of its times were missed
    assert [wait(user) for _ in range(3)] == [0.0, 0.0, pytest.approx(0.8)]


def test_poisson_gaps_average_the_rate():
    import random

    rng = random.Random(7)
    wait, user = pacing.own_clock(lambda: rng.expovariate(2.0)), _User()
    dues = []
    for _ in itertools.repeat(None, 4000):
        wait(user)
        dues.append(user._due)
    assert (dues[-1] - dues[0]) / (len(dues) - 1) == pytest.approx(0.5, rel=0.05)
