"""What the poller fetches for one task: the task object, its progress (incrementally) and its results.

A :class:`TaskFeed` is the ``fetch`` of a poller subscription. It keeps the progress entries it has
seen and asks only for newer ones (``tasks/{id}/progress?since=N``); it asks for the results once the
task is in a final state (again when that state or the chosen ensemble changes), and while it runs at
most every ``RESULTS_INTERVAL`` seconds when new ensembles arrived. Each call returns a
fresh :class:`TaskSnapshot`, which every subscriber of the key receives.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from firefly_widgets.widgets import task_api

__all__ = ["TaskFeed", "TaskSnapshot", "poll_interval"]

#: Seconds between fetches of a task that runs and is on screen (or waited for).
FAST_INTERVAL = 1.0
#: Seconds between fetches of a queued or paused task on screen: it may start or resume at any moment.
WATCHED_IDLE_INTERVAL = 2.0
#: Seconds between fetches of a task nobody looks at.
SLOW_INTERVAL = 5.0
#: Shortest time between two fetches of the (intermediate) results of a running task.
RESULTS_INTERVAL = 5.0


@dataclass(frozen=True)
class TaskSnapshot:
    """One consistent view of a task, as fetched at ``fetched_at`` (epoch seconds)."""

    task: dict[str, Any]
    progress: list[dict[str, Any]]
    results: dict[str, Any] | None
    fetched_at: float = field(default_factory=time.time)

    @property
    def state(self) -> str:
        return str(self.task.get("state") or "")


class TaskFeed:
    """The fetch function of one task's subscription. Thread safe (one fetch at a time).

    Args:
        task_id: the task to follow.
    """

    def __init__(self, task_id: int) -> None:
        self.task_id = task_id
        self._lock = threading.Lock()
        self._progress: list[dict[str, Any]] = []
        self._results: dict[str, Any] | None = None
        self._results_token: tuple[Any, ...] | None = None
        self._results_progress = 0       # progress entries seen at the last results fetch while running
        self._results_time = 0.0

    def __call__(self) -> TaskSnapshot:
        with self._lock:
            task = task_api.fetch_task(self.task_id)
            count = task.get("progress_count")
            if isinstance(count, int) and count < len(self._progress):
                self._progress = []  # a rerun started the progress afresh
            if not isinstance(count, int) or count > len(self._progress):
                self._merge(task_api.fetch_progress(self.task_id, since=len(self._progress)))
            state = task.get("state")
            token = (state, task.get("ensemble_id"), task.get("progress_count"), task.get("version"))
            if state in task_api.FINAL_STATES and token != self._results_token:
                self._results = task_api.fetch_results(self.task_id) or None
                # Empty results right after the final state are asked for again on the next fetch.
                self._results_token = token if self._results else None
            elif state not in task_api.FINAL_STATES:
                self._results_token = None
                now = time.monotonic()
                if len(self._progress) > self._results_progress and now - self._results_time >= RESULTS_INTERVAL:
                    self._results = task_api.fetch_results(self.task_id) or None
                    self._results_progress, self._results_time = len(self._progress), now
            return TaskSnapshot(task=task, progress=list(self._progress), results=self._results)

    def _merge(self, entries: list[dict[str, Any]]) -> None:
        known = len(self._progress)
        for entry in sorted(entries, key=lambda e: e.get("index", 0)):
            index = entry.get("index")
            if index is None or index == known:
                self._progress.append(entry)
                known += 1
            elif index > known:  # a gap: the next fetch asks again from the first missing index
                break


def poll_interval(state: str, *, watched: bool) -> float | None:
    """How often a task in ``state`` should be fetched.

    Args:
        state: the task's state.
        watched: the task is on screen, or someone waits for it.

    Returns:
        Seconds between fetches, or None for a final state (nothing changes until a user acts).
    """
    if state in task_api.FINAL_STATES:
        return None
    if not watched:
        return SLOW_INTERVAL
    return FAST_INTERVAL if state == "RUNNING" else WATCHED_IDLE_INTERVAL
