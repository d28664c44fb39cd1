"""One polling thread per kernel that serves every widget.

Widgets never start threads of their own: they ``subscribe`` a fetch function under a key and receive
its results on the poller's thread. Subscriptions with equal keys share one fetch per due tick
(two widgets on one task make one request), errors back off exponentially per key and recover by
themselves, and the thread stops when the last subscription is cancelled and at interpreter exit.

Example:
    >>> from firefly_widgets.widgets.poller import get_poller
    >>> poller = get_poller()
    >>> sub = poller.subscribe(("task", 1), fetch=lambda: 42, on_result=print, interval=None)
    >>> sub.cancel()
"""

from __future__ import annotations

import atexit
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["Poller", "Subscription", "get_poller"]

log = logging.getLogger(__name__)

#: First delay after a failed fetch; it doubles with every further failure of the same key.
BACKOFF_BASE = 1.0
#: Longest delay between two attempts of a failing key.
BACKOFF_CAP = 30.0
#: Longest single wait of the thread (it is woken at once by every change anyway).
IDLE_WAIT = 30.0


class Subscription:
    """A handle on one ``Poller.subscribe`` call.

    Its methods are thread safe and never block on a fetch: they change the schedule under the
    poller's lock and wake the thread.
    """

    _ids = itertools.count(1)

    def __init__(
        self,
        poller: Poller,
        key: Hashable,
        fetch: Callable[[], Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None,
        interval: float | None,
    ) -> None:
        self.id = next(self._ids)
        self.key = key
        self.fetch = fetch
        self.on_result = on_result
        self.on_error = on_error
        self._interval = _check_interval(interval)
        self._poller = poller
        self._cancelled = False

    @property
    def interval(self) -> float | None:
        """Seconds between fetches, or None when only ``poke`` triggers one."""
        return self._interval

    @property
    def cancelled(self) -> bool:
        """True once ``cancel`` ran (or the poller stopped)."""
        return self._cancelled

    def set_interval(self, seconds: float | None) -> None:
        """Change how often this subscription wants a fetch.

        Args:
            seconds: positive seconds, or None to poll only when poked.

        Raises:
            ValueError: ``seconds`` is not positive.
        """
        self._poller._set_interval(self, _check_interval(seconds))

    def poke(self) -> None:
        """Fetch this key as soon as possible, even while it backs off after errors."""
        self._poller._poke(self)

    def cancel(self) -> None:
        """Stop receiving results; the poller stops once no subscription is left. Idempotent."""
        self._poller._cancel(self)

    def __repr__(self) -> str:
        state = "cancelled" if self._cancelled else f"interval={self._interval}"
        return f"<Subscription {self.id} key={self.key!r} {state}>"


def _check_interval(seconds: float | None) -> float | None:
    if seconds is None:
        return None
    seconds = float(seconds)
    if not seconds > 0:
        raise ValueError(f"interval must be a positive number of seconds or None, got {seconds!r}")
    return seconds


class _KeyState:
    """Schedule of one key: its subscriptions, when it is due, how often it failed."""

    __slots__ = ("subs", "next_due", "poked", "failures", "retry_at", "busy")

    def __init__(self) -> None:
        self.subs: list[Subscription] = []
        self.next_due = 0.0          # monotonic time of the next regular fetch (0: at once)
        self.poked = False
        self.failures = 0
        self.retry_at = 0.0          # no regular fetch before this while backing off
        self.busy = False            # a fetch of this key is running

    def interval(self) -> float | None:
        intervals = [s.interval for s in self.subs if s.interval is not None]
        return min(intervals) if intervals else None

    def due_at(self) -> float | None:
        """Monotonic time at which this key wants its next fetch, or None for never."""
        if self.busy:
            return None
        if self.poked:
            return 0.0
        if self.interval() is None:
            return None
        return max(self.next_due, self.retry_at)


class Poller:
    """A single daemon thread that runs fetches on a schedule and delivers their results.

    Thread safety: every public method may be called from any thread. ``fetch``, ``on_result``,
    ``on_error`` and ``call_soon`` callbacks run on the poller's thread, one at a time, never while
    the poller's lock is held, so they may call back into the poller. An exception raised by a
    callback is logged and does not stop the thread.
    """

    def __init__(self, *, backoff_base: float = BACKOFF_BASE, backoff_cap: float = BACKOFF_CAP) -> None:
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._cond = threading.Condition(threading.RLock())
        self._keys: dict[Hashable, _KeyState] = {}
        self._calls: deque[Callable[[], Any]] = deque()
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        #: Number of fetches run, per key (read by tests and the benchmark).
        self.fetch_counts: dict[Hashable, int] = {}

    # -- public API ---------------------------------------------------------------------------

    def subscribe(
        self,
        key: Hashable,
        fetch: Callable[[], Any],
        on_result: Callable[[Any], None],
        *,
        on_error: Callable[[BaseException], None] | None = None,
        interval: float | None = 1.0,
    ) -> Subscription:
        """Fetch ``key`` on the poller's thread every ``interval`` seconds and deliver the result.

        Subscriptions with an equal key share one fetch per due tick: the fetch of the oldest live
        subscription runs and every subscription of the key receives its value, so equal keys must
        mean equivalent fetches. A new key is fetched at once; a new subscription to a known key
        waits for that key's next tick (``poke`` it for a value at once).

        Args:
            key: any hashable naming what ``fetch`` returns, e.g. ``("task", 12)``.
            fetch: called without arguments on the poller's thread; returns the value or raises.
            on_result: called with the value on the poller's thread.
            on_error: called with the exception of a failed fetch on the poller's thread. Failing
                keys are retried after 1, 2, 4, ... seconds (at most ``backoff_cap``) and a success
                resets the delay.
            interval: seconds between fetches, or None to fetch only when poked.

        Returns:
            The Subscription, to change its interval, poke or cancel it.

        Raises:
            ValueError: ``interval`` is not positive.
        """
        sub = Subscription(self, key, fetch, on_result, on_error, interval)
        with self._cond:
            state = self._keys.get(key)
            if state is None:
                state = self._keys[key] = _KeyState()
                state.poked = True
            elif sub.interval is not None and state.interval() is not None:
                # A faster subscriber pulls the next tick forward.
                state.next_due = min(state.next_due, time.monotonic() + sub.interval)
            state.subs.append(sub)
            self._ensure_thread()
            self._cond.notify_all()
        return sub

    def call_soon(self, fn: Callable[[], Any]) -> None:
        """Run ``fn()`` on the poller's thread soon (before the next fetch).

        Button handlers use this to hand work to the poller instead of doing it on the comm thread.
        The thread is started if needed and is kept alive until the call ran.
        """
        with self._cond:
            self._calls.append(fn)
            self._ensure_thread()
            self._cond.notify_all()

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop the thread and drop every subscription (they become cancelled).

        Args:
            timeout: seconds to wait for the thread to finish (a running fetch is not interrupted).
        """
        with self._cond:
            for state in self._keys.values():
                for sub in state.subs:
                    sub._cancelled = True
            self._keys.clear()
            self._calls.clear()
            self._stop_event.set()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def is_alive(self) -> bool:
        """True while the poller's thread runs."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def subscriptions(self) -> list[Subscription]:
        """A snapshot of the live subscriptions."""
        with self._cond:
            return [sub for state in self._keys.values() for sub in state.subs]

    @property
    def thread(self) -> threading.Thread | None:
        """The current thread, if one was started."""
        return self._thread

    # -- Subscription callbacks ---------------------------------------------------------------

    def _set_interval(self, sub: Subscription, seconds: float | None) -> None:
        with self._cond:
            old = sub._interval
            sub._interval = seconds
            state = self._keys.get(sub.key)
            if sub._cancelled or state is None:
                return
            if seconds is not None and (old is None or seconds < old):
                # A shorter interval pulls the next tick forward; from None it is due at once.
                now = time.monotonic()
                state.next_due = now if old is None else min(state.next_due, now + seconds)
            self._cond.notify_all()

    def _poke(self, sub: Subscription) -> None:
        with self._cond:
            state = self._keys.get(sub.key)
            if sub._cancelled or state is None:
                return
            state.poked = True
            self._cond.notify_all()

    def _cancel(self, sub: Subscription) -> None:
        with self._cond:
            if sub._cancelled:
                return
            sub._cancelled = True
            state = self._keys.get(sub.key)
            if state is not None and sub in state.subs:
                state.subs.remove(sub)
                if not state.subs:
                    del self._keys[sub.key]
            # The thread ends by itself once no subscription and no call is left (after the calls it
            # already took have run).
            self._cond.notify_all()

    # -- the thread ---------------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        """Start the thread unless it runs and is not about to stop. Called with the lock held."""
        if self._thread is not None and self._thread.is_alive() and not self._stop_event.is_set():
            return
        # A thread that is stopping finishes on its own; a fresh one takes over with a fresh event.
        self._stop_event = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(self._stop_event,), name="firefly-widgets-poller", daemon=True
        )
        self._thread.start()

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            with self._cond:
                if stop.is_set():
                    break
                if not self._keys and not self._calls:
                    stop.set()
                    break
                calls = list(self._calls)
                self._calls.clear()
                now = time.monotonic()
                due: list[tuple[Hashable, _KeyState]] = []
                wake_at: float | None = None
                for key, state in self._keys.items():
                    at = state.due_at()
                    if at is None:
                        continue
                    if at <= now:
                        due.append((key, state))
                    elif wake_at is None or at < wake_at:
                        wake_at = at
                if not calls and not due:
                    # Every change notifies the condition; the cap only bounds a wait nothing ends.
                    self._cond.wait(IDLE_WAIT if wake_at is None else min(IDLE_WAIT, max(0.0, wake_at - now)))
                    continue
                for _key, state in due:
                    state.busy = True
                    state.poked = False
            for fn in calls:
                if stop.is_set():
                    break
                _safely(fn)
            for key, state in due:
                if stop.is_set():
                    break
                self._fetch_key(key, state)
        with self._cond:
            if self._thread is threading.current_thread():
                self._cond.notify_all()

    def _fetch_key(self, key: Hashable, state: _KeyState) -> None:
        with self._cond:
            subs = list(state.subs)
            if not subs:
                state.busy = False
                return
        error: BaseException | None = None
        value: Any = None
        try:
            value = subs[0].fetch()
        except Exception as err:  # the fetch's failure is the subscribers' business
            error = err
        now = time.monotonic()
        with self._cond:
            self.fetch_counts[key] = self.fetch_counts.get(key, 0) + 1
            state.busy = False
            interval = state.interval()
            state.next_due = now + interval if interval is not None else now
            if error is None:
                state.failures = 0
                state.retry_at = 0.0
            else:
                state.failures += 1
                delay = min(self.backoff_cap, self.backoff_base * 2 ** (state.failures - 1))
                state.retry_at = now + delay
            subs = [s for s in state.subs if not s._cancelled]
            self._cond.notify_all()
        for sub in subs:
            if error is None:
                _safely(sub.on_result, value)
            elif sub.on_error is not None:
                _safely(sub.on_error, error)
        if error is not None and not any(s.on_error for s in subs):
            log.debug("poller: fetch of %r failed: %s", key, error)

    def failures(self, key: Hashable) -> int:
        """How many fetches of ``key`` failed in a row (0 when it is healthy or unknown)."""
        with self._cond:
            state = self._keys.get(key)
            return state.failures if state is not None else 0


def _safely(fn: Callable[..., Any], *args: Any) -> None:
    try:
        fn(*args)
    except Exception:
        log.exception("poller: callback %r failed", fn)


_poller: Poller | None = None
_poller_lock = threading.Lock()


def get_poller() -> Poller:
    """The process's poller (one per kernel), created on first use; its thread starts on first subscribe.

    Returns:
        The shared Poller.
    """
    global _poller
    with _poller_lock:
        if _poller is None:
            _poller = Poller()
            atexit.register(_poller.stop, 1.0)
        return _poller
