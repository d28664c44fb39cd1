"""The live view's custom DOM part: header, time budget, buttons, notes, connection banner.

``TaskView`` is one anywidget (``js/task_view.js``) whose synced traits hold plain JSON; the front end
renders them and sends events as messages with one envelope, ``{"type": ...}``:

- ``{"type": "action", "name": "pause" | ..., "seconds"?: int, "datasource_id"?: int}``
- ``{"type": "confirm"}`` / ``{"type": "dismiss"}`` for the destructive action awaiting confirmation
- ``{"type": "save_notes", "notes": str}``, ``{"type": "retry"}``
- ``{"type": "pull", "version": int}`` (answered with ``{"type": "pulled", "version": int}``)
- ``{"type": "visibility", "visible": bool}``

The kernel side only routes these messages to a handler (:class:`~firefly_widgets.widgets.TaskWidget`
owns the behaviour). The pure functions below compute the JSON the traits carry.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import Any

import anywidget
import traitlets as t

from firefly_widgets.widgets import task_api
from firefly_widgets.widgets._frontend import js_path

__all__ = ["TaskView", "budget_view", "header_view", "summary_html", "summary_text"]


class TaskView(anywidget.AnyWidget):
    """The live view's DOM widget. Its traits are set only by the owning TaskWidget."""

    _esm = js_path("task_view.js").read_text(encoding="utf-8")

    header = t.Dict(default_value={}, help="Task name, state, dataset, problem type, metric, direction, "
                    "best score, id.").tag(sync=True)
    budget = t.Dict(default_value={}, help="Time budget: elapsed and budget seconds, fraction, ETA "
                    "seconds.").tag(sync=True)
    actions = t.List(default_value=[], help="Buttons: name, label, enabled, pending, destructive.").tag(sync=True)
    confirming = t.Unicode("", help="Name of the destructive action awaiting confirmation, or ''.").tag(sync=True)
    notes = t.Unicode("", help="The task's notes as the service has them.").tag(sync=True)
    notes_status = t.Unicode("", help="'', 'saving', 'saved' or an error message about the notes.").tag(sync=True)
    connection = t.Dict(default_value={"ok": True, "updated_at": 0, "message": ""},
                        help="ok: the last fetch worked; updated_at: its time (ms since epoch); message: "
                        "why the service is unreachable.").tag(sync=True)
    message = t.Dict(default_value={}, help="A notice for the user: kind ('error' | 'info') and text.").tag(sync=True)
    pull = t.Enum(("auto", "on", "off"), default_value="auto",
                  help="Whether the front end pulls state on a timer: auto (where pushes from a thread do "
                  "not render, e.g. Colab), on or off.").tag(sync=True)
    version = t.Int(0, help="Increases with every state change the kernel makes; pull messages carry the "
                    "version the front end has.").tag(sync=True)

    def __init__(self, handler: Callable[[dict[str, Any]], None] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._handler = handler
        self._view_count = 0  # let the front end count views (None disables counting)
        self.on_msg(self._route)

    def _route(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and isinstance(content.get("type"), str) and self._handler is not None:
            self._handler(content)

    def __repr__(self) -> str:
        return f"TaskView(task={self.header.get('id')!r}, state={self.header.get('state')!r})"


def header_view(task: dict[str, Any]) -> dict[str, Any]:
    """The header's JSON: what identifies the task and how it is doing."""
    metric = task.get("target_metric") or ""
    best = task.get("best_score")
    return {
        "id": task.get("id"),
        "name": task.get("name") or "",
        "state": task.get("state") or "",
        "dataset": task.get("dataset_name") or (f"#{task['dataset_id']}" if task.get("dataset_id") else ""),
        "problem_type": task.get("problem_type") or "",
        "metric": metric,
        "direction": task_api.metric_direction(metric),
        "best_score": best if isinstance(best, (int, float)) else None,
        "models": task.get("models_count"),
        "error": task.get("error") or "",
    }


def budget_view(task: dict[str, Any], *, now: float | None = None, fetched_at: float | None = None) -> dict[
        str, Any]:
    """The time-budget bar's JSON: elapsed seconds, budget, fraction and ETA.

    Args:
        task: the task object (``run_time``, ``timeout``, ``state``).
        now: the current time (epoch seconds), for the ETA of a running task.
        fetched_at: when ``task`` was fetched; a running task's elapsed time grows from there.

    Returns:
        ``{"elapsed", "budget", "fraction", "eta", "running"}``; ``eta`` is None unless running.
    """
    elapsed = float(task.get("run_time") or 0.0)
    budget = float(task.get("timeout") or 0.0)
    running = task.get("state") == "RUNNING"
    if running and now is not None and fetched_at is not None:
        elapsed += max(0.0, now - fetched_at)
    if budget > 0:
        elapsed = min(elapsed, budget)
    fraction = elapsed / budget if budget > 0 else 0.0
    eta = max(0.0, budget - elapsed) if running and budget > 0 else None
    return {"elapsed": round(elapsed, 1), "budget": budget, "fraction": round(fraction, 4),
            "eta": None if eta is None else round(eta, 1), "running": running,
            "fetched_at": int((fetched_at or time.time()) * 1000)}


def summary_text(task_id: int | None, task: dict[str, Any], state: str, ensembles: int, error: str) -> str:
    """One line about a task for places without a widget front end (terminal IPython, logs)."""
    if task_id is None:
        return "TaskWidget(new task form)"
    parts = [f"task_id={task_id}"]
    if task.get("name"):
        parts.append(f"name={task['name']!r}")
    parts.append(f"state={state or 'loading'}")
    if isinstance(task.get("best_score"), (int, float)):
        parts.append(f"best {task.get('target_metric') or 'score'}={task['best_score']:.4g}")
    parts.append(f"ensembles={ensembles}")
    if error:
        parts.append(f"error={error!r}")
    return f"TaskWidget({', '.join(parts)})"


def summary_html(task_id: int | None, task: dict[str, Any], state: str, ensembles: int, error: str) -> str:
    """A small static table about a task for nbconvert, GitHub and other readers without widgets."""
    if task_id is None:
        return "<div class='ff-task-widget-static'><b>New task form</b> (needs a live notebook)</div>"
    best = task.get("best_score")
    rows = [("Task", f"#{task_id} {task.get('name', '')}"), ("State", state or "loading"),
            ("Dataset", task.get("dataset_name") or task.get("dataset_id") or ""),
            ("Problem", task.get("problem_type") or ""),
            ("Best " + str(task.get("target_metric") or "score"),
             f"{best:.4g}" if isinstance(best, (int, float)) else "–"),
            ("Ensembles", str(ensembles))]
    if error:
        rows.append(("Error", error))
    body = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                   f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table class='ff-task-widget-static'>{body}</table>"
