"""The task table's kernel-side model: the query, the rows on screen, and the diff between two pages.

Nothing here talks to the service or to a front end; ``TaskBrowser`` feeds it Task.list answers and
sends what it returns. A row is a small JSON object (a few hundred bytes) holding only what the table
shows, so a patch of one changed row stays well under 1 KB on the wire.

Example:
    >>> query = TableQuery(search="iris", states=("RUNNING",))
    >>> query.list_kwargs()["filter_"]
    {'state': ['RUNNING']}
    >>> diff_pages({1: {"id": 1, "state": "RUNNING", "best_score": 0.9}}, [1],
    ...            {1: {"id": 1, "state": "PAUSED", "best_score": 0.9}}, [1])
    PageDiff(changed=[{'id': 1, 'state': 'PAUSED'}], removed=[], order=None)
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from firefly_widgets.enums import LOWER_IS_BETTER, ProblemType
from firefly_widgets.widgets.actions import ACTIONS as TASK_ACTIONS

__all__ = [
    "ACTIONS",
    "ACTIVE_STATES",
    "COLUMNS",
    "SORTABLE",
    "STATES",
    "PROBLEM_TYPES",
    "PageDiff",
    "TableQuery",
    "allowed_actions",
    "best_so_far",
    "diff_pages",
    "make_row",
    "row_delta",
    "sparkline",
]

#: Every task state, in the order the filter offers them.
STATES = ("QUEUED", "RUNNING", "PAUSED", "COMPLETED", "FAILED", "CANCELED")
#: States in which a task still changes by itself (the table refreshes faster while one is visible).
ACTIVE_STATES = frozenset({"QUEUED", "RUNNING"})
#: Problem types the filter offers.
PROBLEM_TYPES = tuple(p.value for p in ProblemType)

#: The table's columns: key (a Task field, also the sort field), label, sortable.
COLUMNS: tuple[dict[str, Any], ...] = (
    {"key": "id", "label": "ID", "sortable": True},
    {"key": "name", "label": "Name", "sortable": True},
    {"key": "state", "label": "State", "sortable": True},
    {"key": "best_score", "label": "Best score", "sortable": True},
    {"key": "spark", "label": "Progress", "sortable": False},
    {"key": "models_count", "label": "Models", "sortable": True},
    {"key": "run_time", "label": "Run time", "sortable": True},
    {"key": "target_metric", "label": "Metric", "sortable": True},
    {"key": "problem_type", "label": "Problem", "sortable": True},
    {"key": "dataset_name", "label": "Dataset", "sortable": True},
    {"key": "creation_date", "label": "Created", "sortable": True},
    {"key": "actions", "label": "Actions", "sortable": False},
)
#: Column keys the service can sort by.
SORTABLE = frozenset(c["key"] for c in COLUMNS if c["sortable"])

#: The row actions the table offers (their rules are the live view's, in ``widgets.actions``).
ACTIONS = ("pause", "resume", "cancel", "delete")

#: Most points a row's sparkline carries (the whole curve is in the compare chart).
SPARK_POINTS = 24


def allowed_actions(state: str | None) -> list[str]:
    """The row actions a task in ``state`` allows, in display order.

    Args:
        state: a task state such as ``"RUNNING"``.

    Returns:
        A list drawn from ``pause``, ``resume``, ``cancel``, ``delete``.
    """
    return [name for name in ACTIONS if state in TASK_ACTIONS[name].states]


@dataclass(frozen=True)
class TableQuery:
    """What the table asks the service for: search, filters, sort and page.

    Attributes:
        search: free text matched by the service against any field ("" for none).
        states: task states to keep (empty: all).
        problem_types: problem types to keep (empty: all).
        sort_column: a key of ``SORTABLE``.
        sort_direction: ``"asc"`` or ``"desc"``.
        page: 0-based page index.
        page_size: rows per page (1..500).
    """

    search: str = ""
    states: tuple[str, ...] = ()
    problem_types: tuple[str, ...] = ()
    sort_column: str = "creation_date"
    sort_direction: str = "desc"
    page: int = 0
    page_size: int = 20

    def __post_init__(self) -> None:
        if self.sort_column not in SORTABLE:
            raise ValueError(f"sort column {self.sort_column!r} is not one of {sorted(SORTABLE)}")
        if self.sort_direction not in ("asc", "desc"):
            raise ValueError(f"sort direction {self.sort_direction!r} must be 'asc' or 'desc'")
        bad = [s for s in self.states if s not in STATES]
        if bad:
            raise ValueError(f"state filter {bad!r} must be among {list(STATES)}")
        bad = [p for p in self.problem_types if p not in PROBLEM_TYPES]
        if bad:
            raise ValueError(f"problem type filter {bad!r} must be among {list(PROBLEM_TYPES)}")
        if not isinstance(self.page, int) or self.page < 0:
            raise ValueError(f"page {self.page!r} must be an integer >= 0")
        if not isinstance(self.page_size, int) or not 1 <= self.page_size <= 500:
            raise ValueError(f"page_size {self.page_size!r} must be an integer from 1 to 500")

    def with_changes(self, **changes: Any) -> TableQuery:
        """A copy with ``changes`` applied (validated like the constructor).

        Raises:
            ValueError: a changed value is invalid.
        """
        return replace(self, **changes)

    def list_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Task.list`` (the official client's shapes: the sort an OrderedDict).

        Returns:
            ``search_term``, ``page``, ``page_size``, ``sort`` and ``filter_``; empty parts are None.
        """
        filters: dict[str, list[str]] = {}
        if self.states:
            filters["state"] = list(self.states)
        if self.problem_types:
            filters["problem_type"] = list(self.problem_types)
        return {
            "search_term": self.search or None,
            "page": self.page,
            "page_size": self.page_size,
            "sort": OrderedDict([(self.sort_column, self.sort_direction)]),
            "filter_": filters or None,
        }

    def list_params(self) -> dict[str, Any]:
        """The same query as ``GET tasks`` query parameters (what ``Task.list`` sends on the wire).

        Returns:
            ``search_all_columns``, ``page``, ``page_size``, ``sort`` and ``filter`` (lists repeat).
        """
        kwargs = self.list_kwargs()
        filters = kwargs["filter_"] or {}
        return {
            "search_all_columns": kwargs["search_term"],
            "page": self.page,
            "page_size": self.page_size,
            "sort": [f"{self.sort_column}:{self.sort_direction}"],
            "filter": [f"{name}:{value}" for name, values in filters.items() for value in values] or None,
        }

    def to_state(self) -> dict[str, Any]:
        """The query as the synced traits carry it (plain JSON)."""
        return {
            "search": self.search,
            "filters": {"state": list(self.states), "problem_type": list(self.problem_types)},
            "sort": {"column": self.sort_column, "direction": self.sort_direction},
            "page": self.page,
            "page_size": self.page_size,
        }


def best_so_far(scores: Iterable[float | None], metric: str | None) -> list[float]:
    """The running best of ``scores`` for ``metric`` (min for a lower-is-better metric, else max).

    Missing or non-finite scores repeat the previous best (they are skipped at the start).

    Args:
        scores: scores in the order they were produced.
        metric: the task's target metric, e.g. ``"rmse"``.

    Returns:
        One value per usable score.
    """
    lower = metric in LOWER_IS_BETTER
    out: list[float] = []
    best: float | None = None
    for score in scores:
        if score is None or not isinstance(score, int | float) or not math.isfinite(score):
            if best is not None:
                out.append(best)
            continue
        if best is None or (score < best if lower else score > best):
            best = float(score)
        out.append(best)
    return out


def sparkline(values: Sequence[float], points: int = SPARK_POINTS) -> list[float]:
    """Down-sample a curve to at most ``points`` values (always keeping the last), rounded to 4 digits.

    Args:
        values: the curve, e.g. a best-so-far list.
        points: most values to return (>= 2).

    Returns:
        The down-sampled, rounded values.
    """
    n = len(values)
    if n > points:
        step = (n - 1) / (points - 1)
        values = [values[round(i * step)] for i in range(points)]
    return [_round(v) for v in values]


def _round(value: Any, digits: int = 4) -> Any:
    """Round a float to ``digits`` significant digits (ints and None pass through)."""
    if not isinstance(value, float) or not math.isfinite(value) or value == 0:
        return value if not isinstance(value, float) or math.isfinite(value) else None
    return float(f"{value:.{digits}g}")


def make_row(task: Mapping[str, Any], spark: Sequence[float] = (), pending: str | None = None) -> dict[str, Any]:
    """The table row of one task: only what the table shows, as compact JSON.

    Args:
        task: a task object as the service answers it.
        spark: the task's down-sampled best-so-far curve (may be empty).
        pending: the action sent for this task and not yet confirmed by the service, if any.

    Returns:
        A dict with the column keys, ``actions`` (allowed now) and ``pending``.
    """
    state = task.get("state")
    row: dict[str, Any] = {
        "id": task.get("id"),
        "name": task.get("name"),
        "state": state,
        "problem_type": task.get("problem_type"),
        "dataset_name": task.get("dataset_name"),
        "target_metric": task.get("target_metric"),
        "best_score": _round(task.get("best_score")),
        "spark": list(spark),
        "models_count": task.get("models_count"),
        "run_time": _round(task.get("run_time"), 3),
        "creation_date": (task.get("creation_date") or "")[:19] or None,
        "actions": [] if pending else allowed_actions(state),
    }
    if pending:
        row["pending"] = pending
    return row


def row_delta(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """What the front end needs to turn row ``old`` into ``new``: the id and the fields that changed.

    A field that ``new`` lacks is sent as None. Without ``old`` (a row new on the page) the whole row.

    Args:
        old: the row the front end holds, if any.
        new: the row it should hold.

    Returns:
        A partial row, always with ``id``.
    """
    if old is None:
        return dict(new)
    delta = {"id": new["id"]}
    delta.update({k: v for k, v in new.items() if old.get(k) != v})
    delta.update({k: None for k in old if k not in new})
    return delta


@dataclass
class PageDiff:
    """What changed between two pages of rows.

    Attributes:
        changed: rows new on the page (whole) and rows that differ from before (their id and the
            fields that changed, see :func:`row_delta`).
        removed: ids no longer on the page.
        order: the new id order when it differs from the old one, else None.
    """

    changed: list[dict[str, Any]] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    order: list[int] | None = None

    def __bool__(self) -> bool:
        return bool(self.changed or self.removed or self.order is not None)

    def message(self, version: int) -> dict[str, Any]:
        """The ``patch`` message that turns version ``version - 1`` of the page into ``version``."""
        msg: dict[str, Any] = {"type": "patch", "v": version, "rows": self.changed, "removed": self.removed}
        if self.order is not None:
            msg["order"] = self.order
        return msg


def diff_pages(
    old_rows: Mapping[int, Mapping[str, Any]],
    old_order: Sequence[int],
    new_rows: Mapping[int, Mapping[str, Any]],
    new_order: Sequence[int],
) -> PageDiff:
    """Compare two pages and return only what the front end must change.

    Args:
        old_rows: id -> row of the page on screen.
        old_order: ids on screen, top to bottom.
        new_rows: id -> row of the new page.
        new_order: ids of the new page, top to bottom.

    Returns:
        The PageDiff; falsy when nothing changed.
    """
    changed = [row_delta(old_rows.get(i), new_rows[i]) for i in new_order if old_rows.get(i) != new_rows[i]]
    new_ids = set(new_order)
    removed = [i for i in old_order if i not in new_ids]
    order = list(new_order) if list(new_order) != list(old_order) else None
    return PageDiff(changed=changed, removed=removed, order=order)
