"""The results section: a task's results (``GET tasks/{id}/results``) as the tables it shows.

The results body is free JSON written by the engine; these functions accept the shapes it may take
(a mapping or a list of records for the feature importance, ``labels``/``classes`` with ``matrix`` for
the confusion matrix, a list of records for the leaderboard) and return compact, JSON-able data, or
None when a part is absent. :class:`ResultsView` (``js/task_results.js``) renders the leaderboard and
the confusion matrix below the score chart; the feature importance is a bqplot chart
(:class:`~firefly_widgets.widgets.charts.ImportanceChart`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import anywidget
import traitlets as t

from firefly_widgets.widgets._frontend import js_path

__all__ = ["ResultsView", "confusion_matrix", "feature_importance", "leaderboard", "results_view"]

#: Rows of the leaderboard sent to the browser.
MAX_LEADERBOARD_ROWS = 10
#: Bars of the feature importance chart.
MAX_FEATURES = 15


def _find(results: Mapping[str, Any], *names: str) -> Any:
    """The first present key among ``names``, at the top level or under ``reports``."""
    for where in (results, results.get("reports") if isinstance(results.get("reports"), Mapping) else {}):
        for name in names:
            if where.get(name) is not None:
                return where[name]
    return None


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return value


def leaderboard(results: Mapping[str, Any]) -> dict[str, Any] | None:
    """``{"columns": [...], "rows": [[...], ...]}`` of the best models (or ensembles), or None.

    The engine records ``{"leaderboard": {"models": [...], "ensembles": [...]}}``, best first; a plain
    list of records is accepted too.
    """
    records = _find(results, "leaderboard", "ensembles", "models")
    if isinstance(records, Mapping):
        records = records.get("models") or records.get("ensembles")
    if not isinstance(records, Sequence) or isinstance(records, str) or not records:
        return None
    records = [r for r in records if isinstance(r, Mapping)][:MAX_LEADERBOARD_ROWS]
    if not records:
        return None
    columns: list[str] = []
    for record in records:
        for key in record:
            if key not in columns and key not in {"manifest", "params", "extra", "weights", "model_ids"}:
                columns.append(str(key))
    # Columns empty in every row (e.g. "error" when nothing failed) say nothing.
    columns = [c for c in columns if any(r.get(c) not in (None, "", [], {}) for r in records)]
    return {"columns": columns, "rows": [[_cell(r.get(c)) for c in columns] for r in records]}


def feature_importance(results: Mapping[str, Any]) -> dict[str, list[Any]] | None:
    """``{"features": [...], "importance": [...]}`` sorted by importance (largest first), or None."""
    raw = _find(results, "feature_importance", "feature_importances", "importance")
    pairs: list[tuple[str, float]] = []
    if isinstance(raw, Mapping) and isinstance(raw.get("features"), Sequence):
        values = raw.get("importance") or raw.get("importances") or raw.get("values") or []
        pairs = [(str(f), v) for f, v in zip(raw["features"], values, strict=False)]
    elif isinstance(raw, Mapping):
        pairs = [(str(k), v) for k, v in raw.items()]
    elif isinstance(raw, Sequence) and not isinstance(raw, str):
        for item in raw:
            if isinstance(item, Mapping):
                name = item.get("feature", item.get("name"))
                value = item.get("importance", item.get("value"))
                pairs.append((str(name), value))
            elif isinstance(item, Sequence) and len(item) == 2:
                pairs.append((str(item[0]), item[1]))
    cleaned = [(name, number) for name, value in pairs if (number := _number(value)) is not None]
    if not cleaned:
        return None
    cleaned.sort(key=lambda p: abs(p[1]), reverse=True)
    cleaned = cleaned[:MAX_FEATURES]
    return {"features": [n for n, _ in cleaned], "importance": [v for _, v in cleaned]}


def confusion_matrix(results: Mapping[str, Any]) -> dict[str, list[Any]] | None:
    """``{"labels": [...], "matrix": [[...]]}`` (rows: actual, columns: predicted), or None."""
    raw = _find(results, "confusion_matrix", "confusion")
    labels: list[Any] | None = None
    matrix: Any = raw
    if isinstance(raw, Mapping):
        labels = raw.get("labels") or raw.get("classes")
        matrix = raw.get("matrix") or raw.get("values") or raw.get("data")
    if not isinstance(matrix, Sequence) or not matrix or not all(isinstance(r, Sequence) for r in matrix):
        return None
    size = len(matrix)
    if labels is None or len(labels) != size:
        labels = [str(i) for i in range(size)]
    return {"labels": [str(label) for label in labels], "matrix": [[_cell(v) for v in row] for row in matrix]}


def results_view(results: Mapping[str, Any] | None) -> dict[str, Any]:
    """Everything the results section shows (empty when there are no results)."""
    if not results:
        return {}
    view: dict[str, Any] = {}
    for name, part in (("leaderboard", leaderboard(results)), ("confusion", confusion_matrix(results)),
                       ("importance", feature_importance(results))):
        if part is not None:
            view[name] = part
    return view


class ResultsView(anywidget.AnyWidget):
    """The leaderboard and confusion matrix tables. Set only by the owning TaskWidget."""

    _esm = js_path("task_results.js").read_text(encoding="utf-8")

    results = t.Dict(default_value={}, help="leaderboard {columns, rows} and confusion {labels, matrix}, each "
                     "present once the task has it.").tag(sync=True)

    def __repr__(self) -> str:
        return f"ResultsView(parts={sorted(self.results)})"
