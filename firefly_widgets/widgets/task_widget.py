"""TaskWidget: a configuration form that turns into the live view of a task.

``TaskWidget()`` shows the form (:mod:`~firefly_widgets.widgets.form`); ``TaskWidget(task_id)`` and
``TaskWidget.from_name(name)`` show the live view: a :class:`~firefly_widgets.widgets.live_view.TaskView`
(header, budget, buttons, notes, banner), the score chart, the results tables
(:class:`~firefly_widgets.widgets.results.ResultsView`) and the feature importance chart.

Threading (the contract every method keeps):
    - The shared poller's thread fetches the task and applies the result to the widgets, batched in
      ``hold_sync()``. After the widget is displayed nothing else mutates its widgets.
    - Comm handlers (button clicks, front-end messages; they may run on another thread with
      ipykernel 7 and JupyterLab >= 4.4) only signal: they hand work to ``Poller.call_soon``. The one
      exception is ``pull``, which re-sends state that is already set, as the protocol requires.
    - ``self._lock`` guards the state shared between those threads.
    - Errors never reach the cell: they become the ``error`` trait and a readable message.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import traitlets as t

from firefly_widgets.sdk.errors import WaitTimeoutError
from firefly_widgets.widgets import cell_runs, task_api
from firefly_widgets.widgets.actions import ACTIONS, action_buttons, is_confirmed_by
from firefly_widgets.widgets.charts import ImportanceChart, ScoreChart, best_so_far
from firefly_widgets.widgets.form import TaskForm
from firefly_widgets.widgets.live_view import TaskView, budget_view, header_view, summary_html, summary_text
from firefly_widgets.widgets.poller import Poller, Subscription, get_poller
from firefly_widgets.widgets.results import ResultsView, results_view
from firefly_widgets.widgets.task_feed import FAST_INTERVAL, TaskFeed, TaskSnapshot, poll_interval

__all__ = ["TaskWidget"]

log = logging.getLogger(__name__)

#: Seconds an action may stay pending before the widget stops waiting for the service to confirm it.
PENDING_TIMEOUT = 60.0
#: Progress columns of ``progress_frame()``.
#: The view's data traits, re-sent on a pull (its code, ``_esm``, is not).
VIEW_STATE = ["header", "budget", "actions", "confirming", "notes", "notes_status", "connection", "message",
              "pull", "version"]
PROGRESS_COLUMNS = ["index", "ensemble_id", "score", "run_time", "size", "estimators", "creation_date"]


class TaskWidget(w.VBox):
    """Launch, watch and steer one task from a notebook.

    Args:
        task_id: the task to show live; None shows the configuration form.
        poller: the poller to use (default: the kernel's shared one).
        pull: ``"auto"`` (the front end pulls state on a timer where pushes from a thread do not
            render, e.g. Colab), ``"on"`` or ``"off"``.
        **kwargs: passed to ``ipywidgets.VBox``.

    Example:
        >>> from firefly_widgets.widgets import TaskWidget
        >>> widget = TaskWidget(12)             # doctest: +SKIP
        >>> widget.wait(timeout=600)            # doctest: +SKIP
        'COMPLETED'
        >>> widget.progress_frame().tail(1)     # doctest: +SKIP
    """

    task_id = t.Int(None, allow_none=True, help="The task shown, None while the form is shown.")
    state = t.Unicode("", help="The task's state: QUEUED, RUNNING, PAUSED, COMPLETED, FAILED or CANCELED.")
    task = t.Dict(default_value={}, help="The task object as the service last reported it.")
    progress = t.List(default_value=[], help="Every progress entry (ensemble scores) so far, oldest first.")
    error = t.Unicode("", help="The latest problem: the service unreachable, an action refused, the "
                      "reason the task failed; '' when all is well.")

    def __init__(self, task_id: int | None = None, *, poller: Poller | None = None, pull: str = "auto",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("ff-task-widget")
        self._view_count = 0
        self._poller = poller or get_poller()
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._sub: Subscription | None = None
        self._pending: tuple[str, dict[str, Any], float] | None = None
        self._confirm_args: dict[str, Any] = {}
        self._dirty: set[w.Widget] = set()
        self._version = 0
        self._visible = True
        self._waiting = 0
        self._closed = False
        self._deleted = False
        self._last_ok = 0.0
        self._last_pull = 0.0
        self._results_retries = 0
        self._snapshot: TaskSnapshot | None = None
        self.view = TaskView(handler=self._on_message, pull=pull)
        self.view.add_class("ff-task-view")
        self.chart = ScoreChart()
        self.results_tables = ResultsView()
        self.results_tables.add_class("ff-task-results")
        self.importance = ImportanceChart()  # joins the children once there is an importance to show
        self.form: TaskForm | None = None
        self.observe(self._on_views, names="_view_count")
        self.view.observe(self._on_views, names="_view_count")
        cell_runs.close_earlier_runs_of_this_cell(self, cell_runs.current_cell())
        if task_id is None:
            self.form = TaskForm(run=self._signal, on_created=self._start_live)
            self.form.load_datasets()
            self.children = [self.view, self.form.box]
        else:
            self._start_live(int(task_id))

    @classmethod
    def from_name(cls, name: str, **kwargs: Any) -> TaskWidget:
        """The live view of the task called ``name``.

        When no task has that name (or the service cannot be reached) the widget shows the form with
        a message saying why, and its ``error`` trait says so; nothing is raised.

        Args:
            name: the task's name.
            **kwargs: as for ``TaskWidget``.

        Returns:
            TaskWidget: the live view.
        """
        try:
            task_id = task_api.find_task_id(name)
        except Exception as err:
            widget = cls(None, **kwargs)
            widget._show_message(f"Cannot open task {name!r}: {task_api.describe_error(err)}")
            widget.error = task_api.describe_error(err)
            return widget
        return cls(task_id, **kwargs)

    # -- the live view --------------------------------------------------------------------------

    def _start_live(self, task_id: int) -> None:
        """Follow ``task_id``: subscribe to the poller and show the live view."""
        with self._lock:
            if self._closed:
                return
            self.task_id = task_id
            self._sub = self._poller.subscribe(
                ("firefly_widgets.TaskWidget", task_id), TaskFeed(task_id), self._on_snapshot,
                on_error=self._on_fetch_error, interval=FAST_INTERVAL,
            )
            self.children = [self.view, self.chart.figure, self.results_tables]
            self._touch(self)

    def _on_snapshot(self, snap: TaskSnapshot) -> None:
        """Apply a fetched snapshot to every widget (poller thread)."""
        with self._lock:
            if self._closed:
                return
            task = snap.task
            state = str(task.get("state") or "")
            unconfirmed = self._check_pending(task)
            self._deleted = False  # a task that answers exists (an earlier 404 may have been transient)
            self._snapshot = snap
            self._last_ok = snap.fetched_at
            header = header_view(task)
            results = results_view(snap.results)
            importance = results.pop("importance", None)
            with self.hold_sync(), self.view.hold_sync():
                self.task = task
                self.state = state
                if len(snap.progress) != len(self.progress) or snap.progress[-1:] != self.progress[-1:]:
                    self.progress = snap.progress
                self.error = header["error"] if state == "FAILED" else ""
                self.view.header = header
                self.view.budget = budget_view(task, fetched_at=snap.fetched_at)
                self.view.actions = action_buttons(task, self._pending_name(), deleted=self._deleted)
                self.view.connection = {"ok": True, "updated_at": int(snap.fetched_at * 1000), "message": ""}
                if unconfirmed:
                    self.view.message = {"kind": "error", "text": unconfirmed}
                if self.view.notes_status != "saving":
                    self.view.notes = task.get("notes") or ""
                self._bump()
            self.results_tables.results = results
            self.chart.set_metric(header["metric"], header["direction"])
            self.chart.update(snap.progress)
            if self.importance.update(importance):
                # A hidden bqplot figure draws with negative sizes (console errors): leave it out instead.
                live = [self.view, self.chart.figure, self.results_tables]
                self.children = [*live, self.importance.figure] if importance else live
                self._touch(self)
            self._touch(self.view, self.results_tables, self.importance.figure, *self.chart.widgets(),
                        self.importance.bars)
            if state in task_api.FINAL_STATES and snap.results is None:
                self._results_retries += 1
            elif state not in task_api.FINAL_STATES:
                self._results_retries = 0
            self._changed.notify_all()
        self._update_interval()

    def _on_fetch_error(self, err: BaseException) -> None:
        """Show a failed fetch: a reconnecting banner, or the task's deletion (poller thread)."""
        message = task_api.describe_error(err)
        with self._lock:
            if self._closed:
                return
            if getattr(err, "code", None) == 404:
                self._deleted = True
                with self.view.hold_sync():
                    self.view.actions = action_buttons(self.task, None, deleted=True)
                    self.view.message = {"kind": "error", "text": f"Task {self.task_id} no longer exists."}
                    self._bump()
                self.error = f"task {self.task_id} no longer exists"
            else:
                failures = self._poller.failures(self._sub.key) if self._sub else 0
                with self.view.hold_sync():
                    self.view.connection = {"ok": False, "updated_at": int(self._last_ok * 1000),
                                            "message": message, "failures": failures}
                    self._bump()
                self.error = message
            self._touch(self.view)
            self._changed.notify_all()
        self._update_interval()

    def _update_interval(self) -> None:
        """Adapt the polling interval to the state, the display and waiters (any thread).

        The interval is set under the widget's lock so that two threads cannot apply their decisions
        in the wrong order (the poller never calls into a widget while holding its own lock).
        """
        with self._lock:
            sub = self._sub
            if sub is None or self._closed:
                return
            if self._deleted:
                interval = None
            elif self._pending is not None:
                interval = FAST_INTERVAL
            elif self.state in task_api.FINAL_STATES and 0 < self._results_retries < 3 and self.progress:
                interval = 2.0  # results are written right after the final state: ask again
            elif not self.state:
                interval = FAST_INTERVAL
            else:
                interval = poll_interval(self.state, watched=self._watched())
            sub.set_interval(interval)

    def _watched(self) -> bool:
        displayed = bool(self._view_count) or bool(self.view._view_count) \
            or time.monotonic() - self._last_pull < 5.0
        return self._waiting > 0 or (displayed and self._visible)

    def _on_views(self, _change: Any) -> None:
        self._update_interval()

    # -- events from the front end --------------------------------------------------------------

    def _on_message(self, content: dict[str, Any]) -> None:
        """Route a front-end message (comm thread): answer pulls, signal everything else."""
        kind = content.get("type")
        if kind == "pull":
            self._answer_pull(content)
        elif kind == "visibility":
            with self._lock:
                self._visible = bool(content.get("visible", True))
            self._update_interval()
        elif kind in {"action", "confirm", "dismiss", "save_notes", "retry"}:
            self._signal(lambda: self._handle_event(content))

    def _answer_pull(self, content: dict[str, Any]) -> None:
        """Re-send the state changed since the last pull, then ``{"type": "pulled"}`` (comm thread)."""
        with self._lock:
            self._last_pull = time.monotonic()
            dirty = [widget for widget in self._dirty if widget.comm is not None]
            self._dirty.clear()
            if content.get("version") != self._version or dirty:
                for widget in dirty:
                    keys = VIEW_STATE if widget is self.view else ["results"] if widget is self.results_tables else None
                    widget.send_state(key=keys)
            self.view.send({"type": "pulled", "version": self._version})
        self._update_interval()

    def _handle_event(self, content: dict[str, Any]) -> None:
        kind = content.get("type")
        if kind == "retry":
            if self._sub is not None:
                self._sub.poke()
            with self._lock, self.view.hold_sync():
                self.view.connection = {**self.view.connection, "message": "Retrying…"}
                self._bump()
                self._touch(self.view)
        elif kind == "save_notes":
            self._save_notes(str(content.get("notes") or ""))
        elif kind == "dismiss":
            with self._lock:
                self._set_view(confirming="")
        elif kind == "confirm":
            with self._lock:
                name, args = self.view.confirming, self._confirm_args
                self._set_view(confirming="")
            if name:
                self._run_action(name, args)
        elif kind == "action":
            self._request_action(str(content.get("name")), content)

    def _request_action(self, name: str, content: dict[str, Any]) -> None:
        action = ACTIONS.get(name)
        if action is None:
            self._show_message(f"Unknown action {name!r}.")
            return
        with self._lock:
            enabled = {b["name"]: b["enabled"] for b in action_buttons(self.task, self._pending_name(),
                                                                       deleted=self._deleted)}
            if not enabled.get(name):
                self._show_message(f"{action.label} is not available while the task is "
                                   f"{self.state or 'loading'}.")
                return
            args = {k: content[k] for k in ("seconds", "datasource_id") if content.get(k) is not None}
            if action.destructive:
                self._confirm_args = args
                self._set_view(confirming=name)
                return
        self._run_action(name, args)

    def _run_action(self, name: str, args: dict[str, Any]) -> None:
        """Send an action to the service and mark it pending until a fetch confirms it (poller thread)."""
        task_id = self.task_id
        if task_id is None:
            return
        with self._lock:
            self._pending = (name, dict(self.task), time.monotonic())
            self._set_view(actions=action_buttons(self.task, name), message={})
        try:
            if name == "refit" and "datasource_id" not in args:
                args = {**args, "datasource_id": task_api.training_datasource(int(self.task["dataset_id"]))}
            if name == "add_time" and "seconds" not in args:
                args = {**args, "seconds": 300}
            answer = task_api.run_action(task_id, name, **args)
        except Exception as err:
            with self._lock:
                self._pending = None
                message = f"{ACTIONS[name].label} failed: {task_api.describe_error(err)}"
                self.error = message
                self._set_view(actions=action_buttons(self.task, None, deleted=self._deleted),
                               message={"kind": "error", "text": message})
            return
        with self._lock:
            if name == "delete":
                self._deleted = True
                self._pending = None
                self._set_view(actions=action_buttons(self.task, None, deleted=True),
                               message={"kind": "info", "text": f"Task {task_id} was deleted."})
            elif name == "refit":
                self._pending = None
                new_id = answer.get("ensemble_id", answer.get("id")) if isinstance(answer, dict) else answer
                self._set_view(actions=action_buttons(self.task, None),
                               message={"kind": "info", "text": f"Refit started: ensemble {new_id}."})
        self._update_interval()
        if self._sub is not None and not self._deleted:
            self._sub.poke()

    def _check_pending(self, task: dict[str, Any]) -> str:
        """Clear the pending action once ``task`` shows it took effect, or after a timeout (lock held).

        Returns:
            A message for the user when the service did not confirm in time, else ''.
        """
        if self._pending is None:
            return ""
        name, before, since = self._pending
        if is_confirmed_by(name, before, task):
            self._pending = None
        elif time.monotonic() - since > PENDING_TIMEOUT:
            self._pending = None
            return f"The service has not confirmed {ACTIONS[name].label.lower()} after {PENDING_TIMEOUT:.0f} s."
        return ""

    def _pending_name(self) -> str | None:
        return self._pending[0] if self._pending else None

    def _save_notes(self, notes: str) -> None:
        if self.task_id is None:
            return
        with self._lock:
            self._set_view(notes_status="saving")
        try:
            task_api.edit_notes(self.task_id, notes)
        except Exception as err:
            with self._lock:
                self._set_view(notes_status=f"Not saved: {task_api.describe_error(err)}")
            return
        with self._lock:
            self._set_view(notes=notes, notes_status="saved")
        if self._sub is not None:
            self._sub.poke()

    # -- helpers ----------------------------------------------------------------------------------

    def _signal(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the poller's thread; an exception becomes a message, not a traceback."""
        def guarded() -> None:
            if self._closed:
                return
            try:
                fn()
            except Exception as err:
                log.exception("TaskWidget: handler failed")
                self._show_message(f"Something went wrong: {task_api.describe_error(err)}")
            if self.form is not None and self.task_id is None:
                with self._lock:
                    self._touch(*self.form.widgets())
                    self._bump()
        self._poller.call_soon(guarded)

    def _set_view(self, **traits: Any) -> None:
        """Set view traits in one message (lock held by the caller)."""
        with self.view.hold_sync():
            for name, value in traits.items():
                setattr(self.view, name, value)
            self._bump()
        self._touch(self.view)

    def _show_message(self, text: str, kind: str = "error") -> None:
        with self._lock:
            if self.form is not None and self.task_id is None:
                self.form.show_status(text, error=kind == "error")
                self._touch(self.form.status)
            self._set_view(message={"kind": kind, "text": text})

    def _bump(self) -> None:
        self._version += 1
        self.view.version = self._version

    def _touch(self, *widgets: w.Widget) -> None:
        """Remember widgets whose state changed, for the next pull (lock held)."""
        self._dirty.update(widgets)

    # -- public API -------------------------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> str:
        """Block until the task reaches a final state (COMPLETED, FAILED or CANCELED).

        For scripts; in a notebook the widget updates by itself. While someone waits, the task is
        fetched every second.

        Args:
            timeout: seconds to wait at most; None waits as long as it takes.

        Returns:
            str: the final state.

        Raises:
            RuntimeError: called on the poller's thread, before a task exists, or after ``close()``.
            TimeoutError: (``WaitTimeoutError``) the task was not final after ``timeout`` seconds.
        """
        if threading.current_thread() is self._poller.thread:
            raise RuntimeError("TaskWidget.wait() cannot run on the poller's thread (it would block it); "
                               "call it from the main thread or another thread")
        if self.task_id is None:
            raise RuntimeError("this TaskWidget has no task yet: submit the form first, or pass a task id")
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            self._waiting += 1
        self._update_interval()
        if self._sub is not None:
            self._sub.poke()
        try:
            with self._changed:
                while self.state not in task_api.FINAL_STATES:
                    if self._closed or self._deleted or self._sub is None or self._sub.cancelled:
                        why = ("it was deleted" if self._deleted else
                               "the widget was closed" if self._closed else "the poller was stopped")
                        raise RuntimeError(f"task {self.task_id} is no longer followed: {why}")
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        reason = f"; last error: {self.error}" if self.error else ""
                        raise WaitTimeoutError(
                            f"task {self.task_id} ({self.task.get('name', '?')}) is still "
                            f"{self.state or 'not fetched'} after {timeout:g} s{reason}; "
                            "call wait() again, or cancel it"
                        )
                    # Wake at least every second, so a stopped poller cannot leave us waiting forever.
                    self._changed.wait(1.0 if remaining is None else min(remaining, 1.0))
                return self.state
        finally:
            with self._lock:
                self._waiting -= 1
            self._update_interval()

    def progress_frame(self) -> Any:
        """The progress as a pandas DataFrame, one row per ensemble, with a ``best_so_far`` column.

        Returns:
            pandas.DataFrame: columns index, ensemble_id, score, run_time, size, estimators,
            creation_date, best_so_far.
        """
        import pandas as pd

        frame = pd.DataFrame(list(self.progress))
        for column in PROGRESS_COLUMNS:
            if column not in frame:
                frame[column] = pd.Series(dtype="float64" if column in {"score", "run_time"} else "object")
        frame = frame[PROGRESS_COLUMNS + [c for c in frame.columns if c not in PROGRESS_COLUMNS]]
        direction = task_api.metric_direction(self.task.get("target_metric"))
        frame["best_so_far"] = best_so_far(frame["score"].astype("float64").to_numpy(), direction)
        return frame

    def close(self) -> None:
        """Stop following the task (the poller stops when this was its last subscription) and close
        every widget this one created. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            sub, self._sub = self._sub, None
            self._changed.notify_all()
        if sub is not None:
            sub.cancel()
        widgets = [self.view, self.results_tables, *self.chart.widgets_to_close(),
                   *self.importance.widgets_to_close()]
        if self.form is not None:
            widgets.extend(self.form.widgets())
        for widget in widgets:
            widget.close()
        super().close()

    # -- representations --------------------------------------------------------------------------

    def _summary(self) -> str:
        return summary_text(self.task_id, self.task, self.state, len(self.progress), self.error)

    def __repr__(self) -> str:
        return self._summary()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self._summary())

    def _repr_html_(self) -> str:
        return summary_html(self.task_id, self.task, self.state, len(self.progress), self.error)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = self._summary()
        bundle["text/html"] = self._repr_html_()
        return bundle
