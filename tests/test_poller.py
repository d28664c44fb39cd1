"""The shared poller: coalescing, intervals, pokes, backoff and recovery, call_soon, stopping."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from firefly_widgets.widgets.poller import Poller, get_poller


def wait_for(condition: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    """Poll ``condition`` until it holds or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


class Recorder:
    """Collects results and errors delivered by the poller, with the thread they arrived on."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.results: list[object] = []
        self.errors: list[BaseException] = []
        self.threads: set[str] = set()

    def on_result(self, value: object) -> None:
        with self.lock:
            self.results.append(value)
            self.threads.add(threading.current_thread().name)

    def on_error(self, err: BaseException) -> None:
        with self.lock:
            self.errors.append(err)


class CountingFetch:
    def __init__(self, fail_times: int = 0) -> None:
        self.calls = 0
        self.fail_times = fail_times
        self.times: list[float] = []

    def __call__(self) -> int:
        self.calls += 1
        self.times.append(time.monotonic())
        if self.calls <= self.fail_times:
            raise ConnectionError(f"down (call {self.calls})")
        return self.calls


@pytest.fixture
def poller():
    p = Poller(backoff_base=0.05, backoff_cap=0.2)
    yield p
    p.stop()
    assert not p.is_alive()


def test_thread_starts_on_first_subscribe_and_delivers_on_it(poller):
    assert not poller.is_alive()
    rec = Recorder()
    sub = poller.subscribe("k", lambda: "v", rec.on_result, interval=None)
    wait_for(lambda: rec.results, what="the first result")
    assert poller.is_alive()
    assert rec.results == ["v"]
    assert rec.threads == {"firefly-widgets-poller"}
    sub.cancel()


def test_two_subscriptions_of_one_key_share_one_fetch_per_tick(poller):
    fetch_a, fetch_b = CountingFetch(), CountingFetch()
    rec_a, rec_b = Recorder(), Recorder()
    poller.subscribe(("task", 1), fetch_a, rec_a.on_result, interval=0.1)
    poller.subscribe(("task", 1), fetch_b, rec_b.on_result, interval=0.1)
    wait_for(lambda: len(rec_b.results) >= 3, what="three ticks for the second subscriber")
    assert fetch_b.calls == 0, "only the oldest subscription's fetch runs"
    # Every fetch reached both subscribers (the one subscribed a moment later may miss the first).
    assert rec_b.results == rec_a.results[-len(rec_b.results):]
    assert poller.fetch_counts[("task", 1)] == fetch_a.calls


def test_distinct_keys_fetch_separately(poller):
    fa, fb = CountingFetch(), CountingFetch()
    ra, rb = Recorder(), Recorder()
    poller.subscribe("a", fa, ra.on_result, interval=None)
    poller.subscribe("b", fb, rb.on_result, interval=None)
    wait_for(lambda: ra.results and rb.results, what="both keys fetched")
    assert (fa.calls, fb.calls) == (1, 1)


def test_interval_none_fetches_once_then_only_when_poked(poller):
    fetch, rec = CountingFetch(), Recorder()
    sub = poller.subscribe("k", fetch, rec.on_result, interval=None)
    wait_for(lambda: rec.results == [1], what="the initial fetch")
    sub.poke()
    wait_for(lambda: rec.results == [1, 2], what="the poked fetch")
    # Nothing else is due: a marker call_soon proves the thread went round the loop without fetching.
    ran = threading.Event()
    poller.call_soon(ran.set)
    assert ran.wait(2)
    assert fetch.calls == 2


def test_set_interval_switches_polling_on_and_off(poller):
    fetch, rec = CountingFetch(), Recorder()
    sub = poller.subscribe("k", fetch, rec.on_result, interval=None)
    wait_for(lambda: len(rec.results) == 1, what="the initial fetch")
    sub.set_interval(0.05)
    wait_for(lambda: len(rec.results) >= 4, what="regular ticks")
    sub.set_interval(None)
    settled = fetch.calls
    poller.call_soon(lambda: None)
    wait_for(lambda: not poller._calls, what="the loop to turn")
    assert fetch.calls <= settled + 1  # at most the fetch that was in flight
    with pytest.raises(ValueError, match="positive"):
        sub.set_interval(0)


def test_errors_back_off_exponentially_then_recover(poller):
    fetch, rec = CountingFetch(fail_times=4), Recorder()
    poller.subscribe("flaky", fetch, rec.on_result, on_error=rec.on_error, interval=0.01)
    wait_for(lambda: rec.results, what="recovery after four failures")
    assert [str(e) for e in rec.errors] == [f"down (call {i})" for i in range(1, 5)]
    gaps = [b - a for a, b in zip(fetch.times[:4], fetch.times[1:5], strict=True)]
    # base 0.05 s doubling, capped at 0.2 s: 0.05, 0.1, 0.2, 0.2 (the interval alone would be 0.01).
    assert gaps[0] >= 0.045 and gaps[1] >= 0.095 and gaps[2] >= 0.19 and gaps[3] >= 0.19
    assert gaps[3] < 1.0, "the delay is capped"
    assert rec.results[0] == 5
    assert poller.failures("flaky") == 0
    # After recovery the regular interval applies again.
    n = fetch.calls
    wait_for(lambda: fetch.calls >= n + 3, timeout=1.0, what="fast ticks after recovery")


def test_poke_skips_the_backoff_delay(poller):
    slow = Poller(backoff_base=30.0, backoff_cap=30.0)
    try:
        fetch, rec = CountingFetch(fail_times=1), Recorder()
        sub = slow.subscribe("k", fetch, rec.on_result, on_error=rec.on_error, interval=0.01)
        wait_for(lambda: rec.errors, what="the first failure")
        assert slow.failures("k") == 1
        sub.poke()  # the "retry" button
        wait_for(lambda: rec.results, timeout=2.0, what="the poked retry")
        assert rec.results[0] == 2 and len(rec.errors) == 1
    finally:
        slow.stop()


def test_a_failing_callback_does_not_kill_the_thread(poller):
    rec = Recorder()

    def boom(value):
        raise RuntimeError("callback bug")

    poller.subscribe("k", lambda: 1, boom, interval=0.02)
    poller.subscribe("k", lambda: 1, rec.on_result, interval=0.02)
    wait_for(lambda: len(rec.results) >= 2, what="results despite the failing callback")
    assert poller.is_alive()


def test_call_soon_runs_on_the_poller_thread_and_keeps_it_alive_until_then(poller):
    seen: list[str] = []
    done = threading.Event()

    def job():
        seen.append(threading.current_thread().name)
        done.set()

    poller.call_soon(job)
    assert done.wait(2)
    assert seen == ["firefly-widgets-poller"]
    # No subscription: the thread goes away once the call ran.
    wait_for(lambda: not poller.is_alive(), what="the idle thread to stop")


def test_callbacks_may_call_back_into_the_poller(poller):
    rec = Recorder()
    subs = []

    def on_result(value):
        rec.on_result(value)
        subs[0].set_interval(None)
        poller.call_soon(lambda: rec.on_result("from call_soon"))

    subs.append(poller.subscribe("k", lambda: "v", on_result, interval=0.05))
    wait_for(lambda: "from call_soon" in rec.results, what="the nested call_soon")


def test_no_thread_left_after_the_last_cancel(poller):
    a = poller.subscribe("a", lambda: 1, lambda v: None, interval=0.05)
    b = poller.subscribe("b", lambda: 2, lambda v: None, interval=0.05)
    thread = poller.thread
    a.cancel()
    assert poller.is_alive(), "one subscription is left"
    b.cancel()
    b.cancel()  # idempotent
    wait_for(lambda: not thread.is_alive(), what="the thread to end")
    assert not any(t.name == "firefly-widgets-poller" and t is thread for t in threading.enumerate())
    assert a.cancelled and b.cancelled


def test_subscribe_after_stop_starts_a_new_thread(poller):
    rec = Recorder()
    poller.subscribe("k", lambda: 1, rec.on_result, interval=0.05)
    first = poller.thread
    poller.stop()
    assert not first.is_alive()
    assert poller.subscriptions() == []
    poller.subscribe("k", lambda: 2, rec.on_result, interval=None)
    wait_for(lambda: 2 in rec.results, what="a result from the new thread")
    assert poller.thread is not first


def test_stop_during_a_slow_fetch_delivers_nothing_more(poller):
    started, release = threading.Event(), threading.Event()
    rec = Recorder()

    def slow_fetch():
        started.set()
        release.wait(5)
        return "late"

    sub = poller.subscribe("slow", slow_fetch, rec.on_result, interval=None)
    assert started.wait(2)
    stopper = threading.Thread(target=poller.stop)
    stopper.start()
    release.set()
    stopper.join(5)
    assert not poller.is_alive()
    assert rec.results == [] and sub.cancelled


def test_invalid_interval_is_refused(poller):
    with pytest.raises(ValueError, match="interval must be a positive"):
        poller.subscribe("k", lambda: 1, lambda v: None, interval=-1)
    assert not poller.is_alive()


def test_get_poller_is_one_per_process():
    assert get_poller() is get_poller()


def test_the_poller_stops_at_interpreter_exit(tmp_path):
    script = tmp_path / "exit.py"
    script.write_text(
        "import atexit, threading\n"
        "from firefly_widgets.widgets.poller import get_poller\n"
        "seen = threading.Event()\n"
        "poller = get_poller()\n"
        "# registered after get_poller, so it runs before the poller's own atexit stop (LIFO): alive here\n"
        "atexit.register(lambda: print('before stop: alive =', poller.is_alive(), flush=True))\n"
        "poller.subscribe('k', lambda: 1, lambda v: seen.set(), interval=0.05)\n"
        "assert seen.wait(5)\n"
    )
    check = tmp_path / "check.py"
    check.write_text(
        "import atexit, runpy, sys\n"
        "holder = {}\n"
        "atexit.register(lambda: print('after stop: alive =', holder['p'].is_alive(), flush=True))\n"
        f"runpy.run_path({str(script)!r})\n"
        "from firefly_widgets.widgets.poller import get_poller\n"
        "holder['p'] = get_poller()\n"
    )
    done = subprocess.run([sys.executable, str(check)], capture_output=True, text=True, timeout=60,
                          cwd=str(Path(__file__).resolve().parent.parent))
    assert done.returncode == 0, done.stderr
    assert "before stop: alive = True" in done.stdout
    assert "after stop: alive = False" in done.stdout


def test_calls_queued_before_the_last_cancel_still_run(poller):
    ran = threading.Event()
    release = threading.Event()
    sub = poller.subscribe("k", lambda: 1, lambda v: None, interval=None)
    poller.call_soon(lambda: release.wait(5))  # keeps the thread busy with its calls
    poller.call_soon(ran.set)
    sub.cancel()
    release.set()
    assert ran.wait(5), "a queued call was dropped"
    wait_for(lambda: not poller.is_alive(), what="the thread to end")
