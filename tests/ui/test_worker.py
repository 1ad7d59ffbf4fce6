"""The one worker off the GUI thread: channels, newest-wins tickets, two lanes, start-after-frame, failures in Chinese."""

import threading
import time

import pytest

from sandbox.client.api import ApiError, ApiUnavailable
from sandbox.ui.payloads import DataError
from sandbox.ui.worker import (
    BACKGROUND,
    USER,
    Superseded,
    Worker,
    describe_error,
    gather,
    in_background,
    wait_background,
)


@pytest.fixture
def worker(qapp):
    w = Worker()
    got: list = []
    w.done.connect(lambda ch, r: got.append((ch, r)))
    w.failed.connect(lambda ch, m: got.append((ch, "failed", m)))
    w.got = got
    yield w
    w.shutdown()


def _blocker():
    gate = threading.Event()
    return gate, (lambda: gate.wait(10) and "first")


def test_only_the_newest_answer_of_a_channel_arrives_and_a_superseded_queued_call_never_runs(qtbot, worker):
    gate, first = _blocker()
    ran: list[str] = []
    worker.submit("region", first)
    worker.submit("region", lambda: ran.append("old") or "old")  # queued, superseded before it starts
    worker.submit("region", lambda: ran.append("new") or "new")
    worker.submit("layers", lambda: "layers")  # another channel: its own newest
    assert worker.busy("region") and worker.busy()
    gate.set()
    qtbot.waitUntil(lambda: not worker.busy(), timeout=5000)
    assert ran == ["new"] and worker.got == [("region", "new"), ("layers", "layers")]


def test_a_user_call_jumps_the_queue_of_background_ones(qtbot, worker):
    gate, first = _blocker()
    order: list[str] = []
    worker.submit("busy", first)
    for i in range(3):
        worker.submit(f"prefetch:{i}", lambda i=i: order.append(f"prefetch {i}"), priority=BACKGROUND)
    worker.submit("region", lambda: order.append("click"), priority=USER)
    gate.set()
    qtbot.waitUntil(lambda: not worker.busy(), timeout=5000)
    assert order == ["click", "prefetch 0", "prefetch 1", "prefetch 2"]


def test_a_user_call_is_answered_while_a_background_call_is_still_in_flight(qtbot, worker):
    gate, slow = _blocker()  # a prefetch whose server has not answered yet
    started = threading.Event()
    worker.submit("prefetch:a", lambda: (started.set(), slow())[1], priority=BACKGROUND)
    assert started.wait(5)
    worker.submit("region", lambda: "click")
    qtbot.waitUntil(lambda: ("region", "click") in worker.got, timeout=5000)  # not behind the prefetch
    assert worker.busy("prefetch:a")
    gate.set()
    qtbot.waitUntil(lambda: not worker.busy(), timeout=5000)
    assert worker.got == [("region", "click"), ("prefetch:a", "first")]


def test_a_background_call_waits_at_its_checkpoint_while_a_user_call_runs_and_ends_when_cancelled(qtbot, worker):
    steps: list[str] = []
    at_checkpoint, user_gate = threading.Event(), threading.Event()

    def prefetch():
        steps.append("network")
        at_checkpoint.set()
        worker.checkpoint()  # the user's call is running: wait here, then find the answer unwanted
        steps.append("decode")
        return "level"

    worker.submit("region", lambda: user_gate.wait(10) and "click")
    worker.submit("prefetch:a", prefetch, priority=BACKGROUND)
    time.sleep(0.05)
    assert steps == []  # the background lane starts nothing while a user's call runs
    user_gate.set()
    qtbot.waitUntil(lambda: not worker.busy(), timeout=5000)
    assert steps == ["network", "decode"] and worker.got == [("region", "click"), ("prefetch:a", "level")]

    steps.clear(), at_checkpoint.clear(), user_gate.clear()
    started, second = threading.Event(), threading.Event()
    worker.submit("prefetch:b", lambda: (started.set(), second.wait(10), prefetch())[2], priority=BACKGROUND)
    assert started.wait(5)  # the prefetch's request is out
    worker.submit("region", lambda: user_gate.wait(10) and "click 2")  # a click before its answer is decoded
    second.set()
    assert at_checkpoint.wait(5)
    time.sleep(0.05)
    assert steps == ["network"]  # waiting at its checkpoint while the click's call runs
    worker.cancel("prefetch:b")  # the wall moved on: the prefetch is moot
    user_gate.set()
    qtbot.waitUntil(lambda: not worker.busy(), timeout=5000)
    assert steps == ["network"] and worker.got[-1] == ("region", "click 2")
    assert ("prefetch:b", "level") not in worker.got


def test_a_checkpoint_outside_a_background_call_does_nothing(worker):
    worker.checkpoint()  # the GUI thread, or a user's call: never waits, never raises
    assert issubclass(Superseded, Exception)


def test_cancel_drops_the_answer_and_a_failure_is_a_chinese_message(qtbot, worker):
    gate, first = _blocker()
    worker.submit("project", first)
    worker.cancel("project")
    gate.set()
    worker.submit("region", lambda: (_ for _ in ()).throw(ApiError(403, "forbidden")))
    qtbot.waitUntil(lambda: not worker.busy(), timeout=5000)
    assert worker.got == [("region", "failed", "数据接口拒绝访问：当前账号无权查看该区域")]


def test_hold_counts_a_channel_busy_until_released(worker):
    worker.hold("after-frame")
    assert worker.busy() and worker.busy("after-frame")
    worker.release("after-frame")
    assert not worker.busy()


def test_deferred_calls_start_when_told_and_never_after_a_shutdown(qtbot, qapp):
    w = Worker(skip_stale=False)
    later: list = []
    w.defer = later.append
    ran: list[str] = []
    w.submit("panel", lambda: ran.append("a"))
    time.sleep(0.05)
    assert ran == [] and w.busy("panel")  # waiting for the frame
    later.pop()()
    qtbot.waitUntil(lambda: not w.busy(), timeout=5000)
    w.submit("panel", lambda: ran.append("b"))
    w.shutdown()
    later.pop()()  # the frame came after the shutdown: nothing starts
    time.sleep(0.05)
    assert ran == ["a"] and not w.busy()


def test_without_skipping_every_call_runs_but_only_the_newest_answer_counts(qtbot, qapp):
    w = Worker(skip_stale=False)
    got: list = []
    w.done.connect(lambda ch, r: got.append(r))
    gate, first = _blocker()
    ran: list[int] = []
    w.submit("panel", first)
    for i in range(3):
        w.submit("panel", lambda i=i: ran.append(i) or i)
    gate.set()
    qtbot.waitUntil(lambda: not w.busy(), timeout=5000)
    assert ran == [0, 1, 2] and got == [2]
    w.shutdown()


def test_an_expected_failure_is_described_as_what_it_maps_to(qtbot, qapp):
    w = Worker(expected=lambda exc: DataError(str(exc)) if isinstance(exc, KeyError) else exc)
    got: list = []
    w.failed.connect(lambda ch, m: got.append(m))
    w.submit("trend", lambda: {}["x"])
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    assert got == ["中心数据接口返回的数据不完整，无法绘制"]
    w.shutdown()


def test_gather_runs_calls_together_and_raises_the_first_failure_after_all_ended():
    started, ended = [], []

    def call(name, fail=False):
        def run():
            started.append(name)
            time.sleep(0.2)
            ended.append(name)
            if fail:
                raise ApiUnavailable("down")
            return name
        return run

    t0 = time.monotonic()
    assert gather(call("a"), call("b"), call("c")) == ["a", "b", "c"]
    assert time.monotonic() - t0 < 0.5  # together, not one after another (3 × 0.2 s)
    ended.clear()
    with pytest.raises(ApiUnavailable):
        gather(call("x", fail=True), call("y"))
    assert sorted(ended) == ["x", "y"]
    assert describe_error(ApiUnavailable("down")) == "无法连接中心数据接口"


def test_a_one_off_job_runs_in_the_background_and_can_be_waited_for():
    done = threading.Event()
    in_background(lambda: (time.sleep(0.1), done.set()), "test-job")
    wait_background(5)
    assert done.is_set()


def test_a_click_after_the_last_one_runs_on_the_same_thread_and_its_http_session(qtbot, worker):
    """Issue 19: a lane's thread is kept between calls, so the client's per-thread HTTP session (its
    open connection) serves the next click too: no thread start, no new connection per drill."""
    from sandbox.client.api import ApiClient

    client = ApiClient("http://127.0.0.1:9")  # never called: only its per-thread session is looked at
    seen: list = []
    for n in range(3):
        worker.submit("region", lambda: seen.append((threading.current_thread(), client.session)) or n)
        qtbot.waitUntil(lambda: not worker.busy(), timeout=5000)
        time.sleep(0.05)  # the lane's queue is empty for a moment: the old thread ended here
    assert len(seen) == 3 and all(t is seen[0][0] and s is seen[0][1] for t, s in seen)
    client.close()


def test_idle_lane_threads_end_at_shutdown(qtbot, qapp):
    w = Worker(name="idle-test")
    w.submit("a", lambda: 1)
    w.submit("b", lambda: 2, priority=BACKGROUND)
    qtbot.waitUntil(lambda: not w.busy(), timeout=5000)
    threads = [t for t in threading.enumerate() if t.name.startswith("idle-test")]
    t0 = time.monotonic()
    w.shutdown()
    assert time.monotonic() - t0 < 2.0 and not any(t.is_alive() for t in threads)
    w.submit("a", lambda: 3)  # and it still works afterwards
    got: list = []
    w.done.connect(lambda ch, r: got.append(r))
    qtbot.waitUntil(lambda: got == [3], timeout=5000)
    w.shutdown()


def test_a_channel_is_forgotten_when_its_calls_end_so_a_day_of_villages_does_not_grow_the_worker(qtbot, worker):
    # The village prefetcher names a channel per village and year (931 in the demo county): a worker that
    # remembered every channel ever used grew all day (issue 20, the kiosk's memory).
    for year in (2019, 2020):
        for i in range(200):
            worker.submit(f"village-prefetch:{year}:{i}", lambda i=i: i, priority=BACKGROUND)
        worker.cancel(f"village-prefetch:{year}:idle")  # an idle channel: nothing to drop, nothing kept
        qtbot.waitUntil(lambda: not worker.busy(), timeout=10000)
    assert len(worker.got) == 400
    assert worker.channels() == [] and worker._pending == {}  # noqa: SLF001 - the store that grew


def test_a_forgotten_channel_still_delivers_only_its_newest_answer_and_a_cancel_still_drops(qtbot, worker):
    worker.submit("village", lambda: "first")
    qtbot.waitUntil(lambda: not worker.busy(), timeout=5000)
    gate, first = _blocker()
    worker.submit("village", first)  # the channel again after it was forgotten
    worker.submit("village", lambda: "newest")
    worker.cancel("idle")
    qtbot.waitUntil(lambda: worker.busy("village") and len(worker.got) == 1, timeout=5000)
    gate.set()
    qtbot.waitUntil(lambda: not worker.busy(), timeout=5000)
    worker.submit("village", first)
    worker.cancel("village")  # running or queued, then cancelled: its answer is dropped
    qtbot.waitUntil(lambda: not worker.busy(), timeout=5000)
    assert worker.got == [("village", "first"), ("village", "newest")]


def test_wait_delivers_an_answer_that_comes_in_time_in_the_callers_own_turn(qtbot, worker):
    worker.submit("village", lambda: (time.sleep(0.01), "page")[1])
    assert worker.wait("village", 5.0)
    assert worker.got == [("village", "page")] and not worker.busy("village")  # delivered before it returned
    worker.submit("village", lambda: (_ for _ in ()).throw(ApiUnavailable("refused", "/households")))
    assert worker.wait("village", 5.0)
    assert worker.got[-1] == ("village", "failed", "无法连接中心数据接口")


def test_wait_gives_up_at_its_timeout_and_the_late_answer_arrives_once_as_usual(qtbot, worker):
    gate, slow = _blocker()
    worker.submit("village", slow)
    assert not worker.wait("village", 0.02) and worker.got == []
    assert not worker.wait("idle", 1.0)  # nothing asked on that channel: nothing to wait for
    gate.set()
    qtbot.waitUntil(lambda: worker.got == [("village", "first")], timeout=5000)
    qtbot.wait(20)
    assert worker.got == [("village", "first")]


def test_let_start_returns_once_the_user_lane_runs_the_call_and_delivers_nothing(qtbot, worker):
    gate, slow = _blocker()
    started = threading.Event()

    def call():
        started.set()
        return slow()

    worker.submit("village", call)
    assert worker.let_start("village", 5.0) and started.wait(10.0)  # running: its request goes out now
    assert worker.got == [] and worker.busy("village")  # its answer is still to come, as usual
    assert not worker.let_start("idle", 1.0)  # nothing asked on that channel
    gate.set()
    assert worker.wait("village", 5.0) and worker.got == [("village", "first")]
