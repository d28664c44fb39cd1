"""The task actions a live view offers: when each is allowed, which need confirming, when each is done.

Pure functions of the task's state, so the rules are tested without a service and the front end only
renders what ``action_buttons`` says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ACTIONS", "Action", "action_buttons", "is_confirmed_by"]


@dataclass(frozen=True)
class Action:
    """One button of the live view.

    Attributes:
        name: the message name (``{"type": "action", "name": ...}``).
        label: the button's text.
        states: task states in which the action is allowed.
        destructive: needs a confirming second step.
        confirmed_states: states that show the service carried the action out.
    """

    name: str
    label: str
    states: frozenset[str]
    destructive: bool
    confirmed_states: frozenset[str]


_LIVE = frozenset({"QUEUED", "RUNNING", "PAUSED"})
_FINAL = frozenset({"COMPLETED", "FAILED", "CANCELED"})

ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("pause", "Pause", frozenset({"RUNNING", "QUEUED"}), False, frozenset({"PAUSED"}) | _FINAL),
    Action("resume", "Resume", frozenset({"PAUSED"}), False, frozenset({"QUEUED", "RUNNING"}) | _FINAL),
    Action("cancel", "Cancel", _LIVE, True, frozenset({"CANCELED", "COMPLETED", "FAILED"})),
    Action("rerun", "Rerun", _FINAL, True, _LIVE),
    Action("add_time", "Add time", frozenset({"COMPLETED"}), False, _LIVE),
    Action("refit", "Refit", frozenset({"COMPLETED"}), False, frozenset()),
    Action("delete", "Delete", _FINAL, True, frozenset()),
)}


def action_buttons(task: dict[str, Any], pending: str | None, *, deleted: bool = False) -> list[dict[str, Any]]:
    """The buttons' wire state for a task.

    Args:
        task: the task object (``state``, ``ensemble_id``).
        pending: the action waiting for the service's confirmation, if any (every button is then off).
        deleted: the task was deleted (every button is off).

    Returns:
        One ``{"name", "label", "enabled", "pending", "destructive"}`` per action, in display order.
    """
    state = str(task.get("state") or "")
    buttons = []
    for action in ACTIONS.values():
        enabled = state in action.states and pending is None and not deleted
        if action.name == "refit" and not task.get("ensemble_id"):
            enabled = False
        buttons.append({
            "name": action.name,
            "label": action.label,
            "enabled": enabled,
            "pending": pending == action.name,
            "destructive": action.destructive,
        })
    return buttons


def is_confirmed_by(action: str, before: dict[str, Any], task: dict[str, Any]) -> bool:
    """True when ``task`` (fetched after the request) shows that ``action`` took effect.

    Args:
        action: the action's name.
        before: the task object when the request was sent.
        task: the task object fetched since.
    """
    spec = ACTIONS[action]
    state = task.get("state")
    if state in spec.confirmed_states and state != before.get("state"):
        return True
    # A rerun or added time may run and finish between two fetches: a new version or more run time
    # also shows the service took the request.
    if action in {"rerun", "add_time"}:
        for key in ("version", "last_update", "timeout"):
            if task.get(key) is not None and task.get(key) != before.get(key):
                return True
    return False
