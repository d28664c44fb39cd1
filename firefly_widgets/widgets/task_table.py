"""TaskTable: the task browser's one DOM widget (``js/task_table.js``), and its text and HTML stand-ins.

The widget holds state in traits and receives rows in messages; :class:`~firefly_widgets.widgets.browser.
TaskBrowser` is its only writer. :func:`text_table` and :func:`html_table` draw the same rows where no
widget front end exists (plain IPython, nbconvert, GitHub).

Example:
    >>> print(text_table([{"id": 1, "name": "iris", "state": "COMPLETED", "best_score": 0.97123}]))
    ID  Name  State      Problem  Metric  Best    Models  Run time
    1   iris  COMPLETED  -        -       0.9712  -       -
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anywidget
import traitlets as t

from firefly_widgets.widgets._frontend import js_path
from firefly_widgets.widgets.table_state import COLUMNS, PROBLEM_TYPES, STATES

__all__ = ["TaskTable", "html_table", "text_table"]


def _esm_source(name: str) -> Path | str:
    """The ES module for anywidget: the file if found, else a module that shows how to fix the install."""
    try:
        return js_path(name)
    except FileNotFoundError as err:
        message = f"firefly_widgets: {err}"
    return (
        "export default { render({ el }) { const p = document.createElement('p');"
        f" p.textContent = {message!r}; el.appendChild(p); }} }};"
    )


class TaskTable(anywidget.AnyWidget):
    """The table's DOM widget. State lives in traits; rows travel in ``page`` and ``patch`` messages.

    :class:`TaskBrowser` is its only writer: the front end never sets a trait, it sends messages.
    """

    _esm = _esm_source("task_table.js")

    columns = t.List(t.Dict(), default_value=[dict(c) for c in COLUMNS],
                     help="The table's columns: key, label, sortable.").tag(sync=True)
    choices = t.Dict(default_value={"state": list(STATES), "problem_type": list(PROBLEM_TYPES)},
                     help="Values the filters offer, per field.").tag(sync=True)
    search = t.Unicode("", help="The search text the rows match.").tag(sync=True)
    filters = t.Dict(default_value={"state": [], "problem_type": []},
                     help="Active filters: field -> allowed values (empty: all).").tag(sync=True)
    sort = t.Dict(default_value={"column": "creation_date", "direction": "desc"},
                  help="The sort column and direction ('asc' or 'desc').").tag(sync=True)
    page = t.Int(0, help="0-based page index.").tag(sync=True)
    page_size = t.Int(20, help="Rows per page.").tag(sync=True)
    total = t.Int(0, help="Number of tasks matching search and filters.").tag(sync=True)
    selected = t.List(t.Int(), default_value=[], help="Ids of the selected tasks.").tag(sync=True)
    opened = t.Int(None, allow_none=True, help="Id of the task opened below the table.").tag(sync=True)
    loading = t.Bool(True, help="True while the page shown does not answer the current query yet.").tag(
        sync=True)
    status = t.Unicode("", help="A message for the user (e.g. the service is unreachable).").tag(sync=True)
    status_kind = t.Enum(["", "info", "error"], default_value="",
                         help="What kind of message `status` is.").tag(sync=True)
    pull_interval = t.Float(0.0, min=0.0, help=(
        "Seconds between the front end's requests for the current page (0: it only listens). "
        "Used where messages sent from a background thread do not reach the page (Colab).")).tag(sync=True)

    def __repr__(self) -> str:
        return f"TaskTable(page={self.page}, total={self.total})"


_TEXT_COLUMNS = (("id", "ID"), ("name", "Name"), ("state", "State"), ("problem_type", "Problem"),
                 ("target_metric", "Metric"), ("best_score", "Best"), ("models_count", "Models"),
                 ("run_time", "Run time"))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def text_table(rows: Sequence[Mapping[str, Any]], status: str = "") -> str:
    """A plain-text table of ``rows`` for front ends without widgets."""
    header = [label for _key, label in _TEXT_COLUMNS]
    body = [[_cell(r.get(key)) for key, _label in _TEXT_COLUMNS] for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)) for b in body]
    if not rows:
        lines.append("(no tasks)")
    if status:
        lines.append(status)
    return "\n".join(line.rstrip() for line in lines)


def html_table(rows: Sequence[Mapping[str, Any]], status: str = "") -> str:
    """An HTML table of ``rows`` for front ends that render HTML but not widgets."""
    head = "".join(f"<th>{html.escape(label)}</th>" for _key, label in _TEXT_COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(r.get(key)))}</td>" for key, _l in _TEXT_COLUMNS) + "</tr>"
        for r in rows
    ) or f'<tr><td colspan="{len(_TEXT_COLUMNS)}">(no tasks)</td></tr>'
    note = f"<p>{html.escape(status)}</p>" if status else ""
    return f'<table class="ff-task-table-static"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}'
