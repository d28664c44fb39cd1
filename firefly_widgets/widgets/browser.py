"""TaskBrowser: every task in one table, searched, filtered, sorted and paged by the service, kept live.

The table is one custom DOM widget (:class:`TaskTable`, the ES module ``js/task_table.js``), not a grid
of ipywidgets. The kernel keeps the rows on screen; the front end receives a full page when the page,
sort, search or filters change, and otherwise a ``patch`` with only the rows that changed. One message
envelope serves both ways:

- front end -> kernel: ``{"type": "sort" | "search" | "filter" | "page" | "open" | "action" | "select"
  | "compare" | "pull", ...}``;
- kernel -> front end: ``{"type": "page", "v", "rows"}`` and ``{"type": "patch", "v", "rows", "removed",
  "order"?}`` (``v`` counts versions of the page: a front end that missed one asks for a ``pull``).

The browser makes one poller subscription. Its fetch lists the page and, for tasks that are running,
the new progress entries (``tasks/{id}/progress?since=N``). Message handlers only change the query
under a lock and signal the poller; every service call runs on the poller's thread. Service errors
become a visible message in the table, never a traceback in the cell.

Example:
    >>> from firefly_widgets.widgets.browser import TaskBrowser
    >>> browser = TaskBrowser(page_size=10)            # doctest: +SKIP
    >>> browser                                        # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import sys
import threading
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets

from firefly_widgets.widgets import task_api
from firefly_widgets.widgets.poller import Subscription, get_poller
from firefly_widgets.widgets.table_state import (
    ACTIONS,
    ACTIVE_STATES,
    TableQuery,
    best_so_far,
    diff_pages,
    make_row,
    row_delta,
    sparkline,
)
from firefly_widgets.widgets.task_table import TaskTable, html_table, text_table

__all__ = ["TaskBrowser"]

log = logging.getLogger(__name__)

#: Seconds between refreshes while a task on screen is queued or running.
FAST_INTERVAL = 2.0
#: Seconds between refreshes otherwise.
IDLE_INTERVAL = 10.0
#: Seconds a row stays "pending" when the service accepted an action but the state did not change yet.
PENDING_TIMEOUT = 15.0
#: Seconds ``_repr_mimebundle_`` waits for the first page when it has none yet.
FIRST_PAGE_WAIT = 2.0


@dataclass
class _Progress:
    """The progress entries seen so far of one task (only what the sparkline and chart need)."""

    scores: list[float | None] = field(default_factory=list)
    run_times: list[float | None] = field(default_factory=list)

    @property
    def since(self) -> int:
        return len(self.scores)


@dataclass
class _Pending:
    action: str
    from_state: str | None
    until: float


@dataclass
class _Snapshot:
    """One poll's answer: the page for the query of ``generation``."""

    generation: int
    query: TableQuery
    hits: list[dict[str, Any]]
    total: int


def _in_colab() -> bool:
    return "google.colab" in sys.modules


def _current_cell() -> tuple[str, str] | None:
    """``(cell id, execution message id)`` of the running notebook cell when the front end sends it."""
    try:
        from ipykernel.kernelbase import Kernel

        if not Kernel.initialized():
            return None
        parent = Kernel.instance().get_parent("shell") or {}
    except Exception:  # no kernel, or an older one without get_parent
        return None
    cell_id = (parent.get("metadata") or {}).get("cellId")
    msg_id = (parent.get("header") or {}).get("msg_id")
    return (str(cell_id), str(msg_id)) if cell_id and msg_id else None


class TaskBrowser(widgets.VBox):
    """Every task in one live table, with search, filters, sort, pages, row actions and compare.

    A VBox of three parts: ``table`` (the :class:`TaskTable`), ``detail`` (the TaskWidget of the row
    opened by a click or Enter) and ``compare_area`` (the chart of the selected tasks' best-so-far
    curves). Call :meth:`close` to stop its polling.

    Args:
        search: initial search text.
        states: initial state filter, e.g. ``("RUNNING",)``.
        problem_types: initial problem type filter.
        sort: initial ``(column, "asc" | "desc")``.
        page_size: rows per page.
        fast_interval: seconds between refreshes while a visible task is queued or running.
        idle_interval: seconds between refreshes otherwise.

    Raises:
        ValueError: an argument is out of range (the message names it and the valid values).

    Example:
        >>> browser = TaskBrowser(states=("RUNNING", "PAUSED"), sort=("best_score", "desc"))  # doctest: +SKIP
        >>> browser.rows[0]["name"]                                                          # doctest: +SKIP
        'iris-lgbm'
    """

    _keys = itertools.count(1)
    _by_cell: dict[str, list[tuple[str, weakref.ref[TaskBrowser]]]] = {}
    _by_cell_lock = threading.Lock()

    def __init__(
        self,
        *,
        search: str = "",
        states: Iterable[str] = (),
        problem_types: Iterable[str] = (),
        sort: tuple[str, str] = ("creation_date", "desc"),
        page_size: int = 20,
        fast_interval: float = FAST_INTERVAL,
        idle_interval: float = IDLE_INTERVAL,
    ) -> None:
        query = TableQuery(search=search, states=tuple(states), problem_types=tuple(problem_types),
                           sort_column=sort[0], sort_direction=sort[1], page_size=page_size)
        if not (fast_interval > 0 and idle_interval > 0):
            raise ValueError(f"fast_interval and idle_interval must be positive seconds, got "
                             f"{fast_interval!r} and {idle_interval!r}")
        self.fast_interval = float(fast_interval)
        self.idle_interval = float(idle_interval)
        self._lock = threading.RLock()
        self._query = query
        self._generation = 0          # bumped by every query change
        self._shown_generation = -1   # generation of the page the front end holds
        self._version = 0             # bumped by every page or patch message
        self._rows: dict[int, dict[str, Any]] = {}
        self._order: list[int] = []
        self._tasks: dict[int, dict[str, Any]] = {}
        self._progress: dict[int, _Progress] = {}
        self._pending: dict[int, _Pending] = {}
        self._first_page = threading.Event()
        self._opened_widget: widgets.Widget | None = None
        self._compare_figure: widgets.Widget | None = None
        self._closed = False
        self._list_failed = False     # the status shows a failed refresh
        #: Every message sent to the front end as (type, bytes of JSON) - read by tests and the benchmark.
        self.sent_sizes: list[tuple[str, int]] = []
        self.table = TaskTable(pull_interval=2.0 if _in_colab() else 0.0, **query.to_state())
        self.table.add_class("ff-task-table-widget")
        self.detail = widgets.VBox()
        self.detail.add_class("ff-task-detail")
        self.compare_area = widgets.VBox()
        self.compare_area.add_class("ff-compare-area")
        super().__init__(children=[self.table, self.detail, self.compare_area])
        self.add_class("ff-task-browser")


        self.table.on_msg(self._on_msg)
        with self._lock:  # the first result waits for ``_sub``
            self._sub: Subscription = get_poller().subscribe(
                ("task-browser", next(self._keys)), self._fetch, self._on_result,
                on_error=self._on_error, interval=self.idle_interval,
            )
        self._replace_previous_of_cell()

    def _replace_previous_of_cell(self) -> None:
        """Close the browsers an earlier run of this notebook cell made, so re-running leaves no polling."""
        cell = _current_cell()
        if cell is None:
            return
        cell_id, run_id = cell
        with TaskBrowser._by_cell_lock:
            entries = TaskBrowser._by_cell.get(cell_id, [])
            stale = [ref() for rid, ref in entries if rid != run_id]
            TaskBrowser._by_cell[cell_id] = [(rid, ref) for rid, ref in entries if rid == run_id] + [
                (run_id, weakref.ref(self))]
        for old in stale:
            if old is not None:
                old.close()

    # -- public API ---------------------------------------------------------------------------------

    @property
    def query(self) -> TableQuery:
        """The current search, filters, sort and page."""
        with self._lock:
            return self._query

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The rows on screen, top to bottom (copies)."""
        with self._lock:
            return [dict(self._rows[i]) for i in self._order]

    @property
    def opened(self) -> widgets.Widget | None:
        """The TaskWidget opened below the table, if any."""
        return self._opened_widget

    @property
    def compare_chart(self) -> widgets.Widget | None:
        """The bqplot figure of the last comparison, if any."""
        return self._compare_figure

    def set_query(self, **changes: Any) -> None:
        """Change the search, filters, sort or page; the new page arrives from the poller.

        Args:
            **changes: fields of :class:`TableQuery` (``search``, ``states``, ``problem_types``,
                ``sort_column``, ``sort_direction``, ``page``, ``page_size``). A change of anything but
                ``page`` goes back to page 0.

        Raises:
            ValueError: a value is invalid.
        """
        with self._lock:
            if any(k != "page" for k in changes) and "page" not in changes:
                changes["page"] = 0
            query = self._query.with_changes(**changes)
            if query == self._query:
                return
            self._query = query
            self._generation += 1
            with self.table.hold_sync():
                for name, value in query.to_state().items():
                    setattr(self.table, name, value)
                self.table.loading = True
        self._sub.poke()

    def refresh(self) -> None:
        """Ask for a refresh now (returns at once)."""
        self._sub.poke()

    def open_task(self, task_id: int) -> widgets.Widget:
        """Show the TaskWidget of ``task_id`` below the table (closing the one shown before).

        Args:
            task_id: the task's id.

        Returns:
            The TaskWidget.
        """
        from firefly_widgets.widgets.task_widget import TaskWidget  # lazy: the browser works without it

        self.close_task()
        widget = TaskWidget(int(task_id))
        with self._lock:
            self._opened_widget = widget
            self.detail.children = [widget]
            self.table.opened = int(task_id)
        return widget

    def close_task(self) -> None:
        """Close the TaskWidget shown below the table, if any."""
        with self._lock:
            widget, self._opened_widget = self._opened_widget, None
            self.detail.children = []
            self.table.opened = None
        if widget is not None:
            widget.close()

    def act(self, task_id: int, action: str) -> None:
        """Run a row action now, on the calling thread (``pause``, ``resume``, ``cancel``, ``delete``).

        Args:
            task_id: the task's id.
            action: the action's name.

        Raises:
            ValueError: ``action`` is unknown.
            FireflyError: the service refused it (e.g. not allowed in the task's state).
        """
        if action not in ACTIONS:
            raise ValueError(f"action {action!r} must be one of {list(ACTIONS)}")
        task_api.run_action(int(task_id), action)

    def compare(self, task_ids: Sequence[int] | None = None) -> widgets.Widget:
        """Draw the best-so-far curves of ``task_ids`` (default: the selected rows) in one chart.

        The chart (class ``ff-compare-chart``) replaces the previous one below the table.

        Args:
            task_ids: the tasks to compare.

        Returns:
            The bqplot Figure, one line per task.

        Raises:
            ValueError: no task to compare.
            FireflyError: the service could not answer.
        """
        from firefly_widgets.widgets.compare import compare_figure, curve_from_progress

        ids = list(dict.fromkeys(int(i) for i in (task_ids if task_ids is not None else self.table.selected)))
        if not ids:
            raise ValueError("compare needs at least one task id; select rows first")
        curves = [curve_from_progress(task_api.fetch_task(i), task_api.fetch_progress(i)) for i in ids]
        figure = compare_figure(curves)
        close = widgets.Button(description="Close comparison", icon="times", layout={"width": "auto"})
        close.add_class("ff-compare-close")
        close.on_click(lambda _b: self.close_compare())
        with self._lock:
            old, self._compare_figure = self._compare_figure, figure
            children, self.compare_area.children = self.compare_area.children, [figure, close]
        _close_all([c for c in children if c is not old])
        if old is not None:
            _close_figure(old)
        return figure

    def close_compare(self) -> None:
        """Remove the compare chart."""
        with self._lock:
            old, self._compare_figure = self._compare_figure, None
            children, self.compare_area.children = self.compare_area.children, []
        _close_all([c for c in children if c is not old])
        if old is not None:
            _close_figure(old)

    def close(self) -> None:
        """Stop polling and close the table, the opened TaskWidget and the chart. Idempotent."""
        lock = getattr(self, "_lock", None)
        if lock is not None:
            with lock:
                if self._closed:
                    return
                self._closed = True
        sub = getattr(self, "_sub", None)
        if sub is not None:
            sub.cancel()
        if hasattr(self, "compare_area"):  # else the constructor failed before building the parts
            self.close_task()
            self.close_compare()
            for part in (self.table, self.detail, self.compare_area):
                part.close()
        super().close()

    # -- representations ----------------------------------------------------------------------------

    def __repr__(self) -> str:
        if not hasattr(self, "table"):
            return "TaskBrowser(not started)"
        with self._lock:
            shown, total, page = len(self._order), self.table.total, self._query.page
        return f"TaskBrowser({shown} of {total} tasks on page {page + 1})"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        self._first_page.wait(FIRST_PAGE_WAIT)
        rows, status = self.rows, self.table.status
        data: dict[str, Any] = {"text/plain": text_table(rows, status), "text/html": html_table(rows, status)}
        if self._view_name is not None:
            data["application/vnd.jupyter.widget-view+json"] = {
                "version_major": 2, "version_minor": 0, "model_id": self._model_id,
            }
        return data

    # -- the poller's side --------------------------------------------------------------------------

    def _fetch(self) -> _Snapshot:
        """Runs on the poller's thread: list the page, then the new progress of running tasks."""
        from firefly_widgets.sdk import get_client

        with self._lock:
            query, generation = self._query, self._generation
        answer = get_client().request("GET", "tasks", params=query.list_params(), timeout=task_api.POLL_TIMEOUT)
        hits = [dict(h) for h in (answer["hits"] or [])]
        for task in hits:
            self._fetch_progress(task)
        return _Snapshot(generation, query, hits, int(answer["total"] or 0))

    def _fetch_progress(self, task: Mapping[str, Any]) -> None:
        """Fetch the progress entries of ``task`` not seen yet, when it is live or has new ones."""
        task_id = task.get("id")
        count = task.get("progress_count")
        with self._lock:
            seen = self._progress.get(task_id)
            if seen is not None and isinstance(count, int) and count < seen.since:
                seen = self._progress[task_id] = _Progress()  # a rerun started its progress afresh
        known = seen.since if seen is not None else 0
        wanted = task.get("state") in ACTIVE_STATES or task.get("state") == "PAUSED"
        if not wanted and not (seen is not None and isinstance(count, int) and count > known):
            return
        if isinstance(count, int) and count <= known:
            return
        entries = task_api.fetch_progress(task_id, since=known)
        with self._lock:
            progress = self._progress.setdefault(task_id, _Progress())
            for entry in sorted(entries, key=lambda e: e.get("index", 0)):
                if entry.get("index", progress.since) < progress.since:
                    continue  # already seen (the service answered more than asked)
                progress.scores.append(entry.get("score"))
                progress.run_times.append(entry.get("run_time"))

    def _on_result(self, snap: _Snapshot) -> None:
        """Runs on the poller's thread: turn the page into rows and send what changed."""
        with self._lock:
            if self._closed or snap.generation != self._generation:
                return  # a newer query is on its way (the change poked the poller)
            last_page = max(0, math.ceil(snap.total / snap.query.page_size) - 1)
            if not snap.hits and snap.query.page > last_page:
                self.set_query(page=last_page)
                return
            now = time.monotonic()
            self._tasks = {h["id"]: h for h in snap.hits}
            rows: dict[int, dict[str, Any]] = {}
            for task in snap.hits:
                pending = self._pending.get(task["id"])
                if pending is not None and (task.get("state") != pending.from_state or now > pending.until):
                    del self._pending[task["id"]]
                    pending = None
                rows[task["id"]] = self._make_row(task, pending.action if pending else None)
            order = [h["id"] for h in snap.hits]
            full = self._shown_generation != snap.generation
            self._shown_generation = snap.generation
            with self.table.hold_sync():
                self.table.total = snap.total
                self.table.loading = False
                if self._list_failed:
                    self._list_failed = False
                    self.table.status, self.table.status_kind = "", ""
            if full:
                self._rows, self._order = rows, order
                self._send_page()
            else:
                diff = diff_pages(self._rows, self._order, rows, order)
                self._rows, self._order = rows, order
                if diff:
                    self._version += 1
                    self._send_message(diff.message(self._version))
            active = any(r["state"] in ACTIVE_STATES for r in rows.values())
            self._sub.set_interval(self.fast_interval if active else self.idle_interval)
        self._first_page.set()

    def _on_error(self, error: BaseException) -> None:
        """Runs on the poller's thread: show the failure; the poller retries with backoff."""
        with self._lock:
            self._list_failed = True
            self._set_status(f"Cannot list the tasks: {_message(error)} (retrying)", "error")
            self.table.loading = False
        self._first_page.set()

    def _make_row(self, task: Mapping[str, Any], pending: str | None) -> dict[str, Any]:
        progress = self._progress.get(task.get("id"))
        spark = sparkline(best_so_far(progress.scores, task.get("target_metric"))) if progress else []
        row = make_row(task, spark, pending)
        if row["best_score"] is None and spark:
            row["best_score"] = spark[-1]
        return row

    def _patch_row(self, task_id: int, row: dict[str, Any]) -> None:
        """Replace one row on screen and send its change (called with the lock held)."""
        old, self._rows[task_id] = self._rows.get(task_id), row
        self._version += 1
        self._send_message({"type": "patch", "v": self._version, "rows": [row_delta(old, row)], "removed": []})

    def _send_page(self) -> None:
        """Send the whole page (called with the lock held)."""
        self._version += 1
        self._send_message({"type": "page", "v": self._version, "rows": [self._rows[i] for i in self._order]})

    def _send_message(self, message: dict[str, Any]) -> None:
        self.sent_sizes.append((message["type"], len(json.dumps(message, separators=(",", ":")))))
        del self.sent_sizes[:-200]
        self.table.send(message)

    def _set_status(self, text: str, kind: str = "info") -> None:
        with self.table.hold_sync():
            self.table.status = text
            self.table.status_kind = kind if text else ""

    # -- the front end's messages (comm thread: only validate, change state, signal) -------------

    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        try:
            if not isinstance(content, dict):
                raise ValueError(f"a message must be a JSON object, got {type(content).__name__}")
            kind = content.get("type")
            handler = self._handlers.get(kind)
            if handler is None:
                raise ValueError(f"unknown message type {kind!r}; expected one of {sorted(self._handlers)}")
            handler(self, content)
        except Exception as err:  # a bad message must never become a traceback in the cell
            log.debug("task browser: message %r refused", content, exc_info=True)
            self._set_status(f"Ignored a request from the table: {_message(err)}", "error")

    def _msg_sort(self, msg: dict[str, Any]) -> None:
        column = msg.get("column")
        direction = msg.get("direction")
        if direction is None:
            current = self._query
            direction = "desc" if (current.sort_column == column and current.sort_direction == "asc") else "asc"
        self.set_query(sort_column=column, sort_direction=direction)

    def _msg_search(self, msg: dict[str, Any]) -> None:
        term = msg.get("term", "")
        if not isinstance(term, str):
            raise ValueError(f"search term must be text, got {term!r}")
        self.set_query(search=term.strip())

    def _msg_filter(self, msg: dict[str, Any]) -> None:
        changes = {}
        for key, attr in (("state", "states"), ("problem_type", "problem_types")):
            if key in msg:
                values = msg[key] or []
                if isinstance(values, str):
                    values = [values]
                changes[attr] = tuple(values)
        self.set_query(**changes)

    def _msg_page(self, msg: dict[str, Any]) -> None:
        changes = {}
        if "page_size" in msg:
            changes["page_size"] = int(msg["page_size"])
        if "page" in msg:
            changes["page"] = max(0, int(msg["page"]))
        self.set_query(**changes)

    def _msg_pull(self, _msg: dict[str, Any]) -> None:
        with self._lock:
            if self._shown_generation >= 0:
                self._send_page()

    def _msg_open(self, msg: dict[str, Any]) -> None:
        # Done here rather than on the poller's thread: building a TaskWidget makes no request (it only
        # subscribes), and where messages from other threads are lost (Colab) the new widget must be
        # announced from the handler.
        task_id = int(msg["id"])
        if self.table.opened == task_id:
            self.close_task()
        else:
            self._guarded(f"Cannot open task {task_id}", self.open_task, task_id)

    def _msg_select(self, msg: dict[str, Any]) -> None:
        ids = msg.get("ids")
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            raise ValueError(f"select needs a list of task ids, got {ids!r}")
        self.table.selected = list(dict.fromkeys(ids))

    def _msg_compare(self, msg: dict[str, Any]) -> None:
        ids = msg.get("ids", self.table.selected)
        if not ids:
            raise ValueError("select at least one task to compare")
        ids = [int(i) for i in ids]
        self._set_status(f"Drawing the best-so-far curves of {len(ids)} task(s)…", "info")
        get_poller().call_soon(lambda: self._guarded("Cannot compare the tasks", self._compare_and_report, ids))

    def _msg_action(self, msg: dict[str, Any]) -> None:
        action, task_id = msg.get("action"), int(msg.get("id"))
        if action not in ACTIONS:
            raise ValueError(f"action {action!r} must be one of {list(ACTIONS)}")
        with self._lock:
            row = self._rows.get(task_id)
            if row is None:
                raise ValueError(f"task {task_id} is not on this page")
            if action not in row["actions"]:
                raise ValueError(f"cannot {action} task {row['name']!r} while it is {row['state']}")
            if action == "delete" and msg.get("confirmed") is not True:
                raise ValueError(f"deleting task {row['name']!r} needs confirmation")
            self._pending[task_id] = _Pending(action, row["state"], time.monotonic() + PENDING_TIMEOUT)
            self._patch_row(task_id, self._make_row(self._tasks[task_id], action))
        get_poller().call_soon(lambda: self._run_action(task_id, action, row["name"]))

    _handlers = {
        "sort": _msg_sort, "search": _msg_search, "filter": _msg_filter, "page": _msg_page,
        "pull": _msg_pull, "open": _msg_open, "select": _msg_select, "compare": _msg_compare,
        "action": _msg_action,
    }

    # -- work handed to the poller's thread ---------------------------------------------------------

    def _run_action(self, task_id: int, action: str, name: str) -> None:
        try:
            self.act(task_id, action)
        except Exception as err:
            with self._lock:
                self._pending.pop(task_id, None)
                task = self._tasks.get(task_id)
                if task is not None and task_id in self._rows:
                    self._patch_row(task_id, self._make_row(task, None))
            self._set_status(f"Could not {action} task {name!r}: {_message(err)}", "error")
        else:
            self._set_status(f"{action.capitalize()} of task {name!r} accepted.", "info")
            if action == "delete":
                with self._lock:
                    self.table.selected = [i for i in self.table.selected if i != task_id]
                    self._progress.pop(task_id, None)
                if self.table.opened == task_id:
                    self.close_task()
        self._sub.poke()

    def _compare_and_report(self, ids: list[int]) -> None:
        figure = self.compare(ids)
        self._set_status(f"Compared {len(figure.marks)} task(s) below the table.", "info")

    def _guarded(self, what: str, fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except Exception as err:
            log.debug("task browser: %s", what, exc_info=True)
            self._set_status(f"{what}: {_message(err)}", "error")


def _close_all(items: Iterable[widgets.Widget]) -> None:
    for item in items:
        item.close()


def _close_figure(figure: Any) -> None:
    """Close a bqplot figure with its marks, axes and scales (closing the figure alone leaves them open)."""
    scales = {id(s): s for m in figure.marks for s in m.scales.values()}
    for extra in (figure.scale_x, figure.scale_y):
        if extra is not None:
            scales[id(extra)] = extra
    tooltips = [m.tooltip for m in figure.marks if isinstance(m.tooltip, widgets.Widget)]
    _close_all([*figure.marks, *tooltips, *figure.axes, *scales.values(), figure])


def _message(error: BaseException) -> str:
    return task_api.describe_error(error)
