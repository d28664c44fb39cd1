"""The compare chart: several tasks' best-so-far curves in one bqplot figure.

Example:
    >>> curves = [CompareCurve(1, "iris-a", "accuracy", [1.0, 2.0], [0.9, 0.95])]
    >>> fig = compare_figure(curves, animation_duration=0)
    >>> len(fig.marks)
    1
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import bqplot as bq

from firefly_widgets.enums import LOWER_IS_BETTER
from firefly_widgets.widgets.table_state import best_so_far

__all__ = ["CompareCurve", "compare_figure", "curve_from_progress"]

#: Line colours, cycled; readable on light and dark backgrounds.
_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")


@dataclass(frozen=True)
class CompareCurve:
    """One task's best-so-far curve.

    Attributes:
        task_id: the task's id.
        name: the task's name (the legend label).
        metric: the task's target metric.
        x: seconds of training at each point.
        y: the best score so far at each point.
    """

    task_id: int
    name: str
    metric: str | None
    x: list[float]
    y: list[float]


def curve_from_progress(task: Mapping[str, Any], progress: Sequence[Mapping[str, Any]]) -> CompareCurve:
    """Build a task's best-so-far curve from its progress entries.

    Args:
        task: the task object (``id``, ``name``, ``target_metric``).
        progress: its progress entries (``score``, ``run_time``), oldest first.

    Returns:
        The curve; entries without a score are skipped.
    """
    metric = task.get("target_metric")
    usable = [p for p in progress if isinstance(p.get("score"), int | float)]
    y = best_so_far([p["score"] for p in usable], metric)
    x = [float(p.get("run_time") or i) for i, p in enumerate(usable)]
    return CompareCurve(int(task["id"]), str(task.get("name") or task["id"]), metric, x, y)


def compare_figure(curves: Sequence[CompareCurve], *, animation_duration: int = 0) -> bq.Figure:
    """A bqplot figure with one line per curve (class ``ff-compare-chart``).

    The y label names the metric when every curve shares it (with its direction), else "score".

    Args:
        curves: the curves to draw, in legend order.
        animation_duration: bqplot's animation in ms (0 draws at once).

    Returns:
        The figure; ``fig.marks`` holds one ``bq.Lines`` per curve.
    """
    x_scale, y_scale = bq.LinearScale(), bq.LinearScale()
    marks = []
    for i, curve in enumerate(curves):
        marks.append(bq.Lines(
            x=curve.x, y=curve.y, scales={"x": x_scale, "y": y_scale},
            colors=[_COLORS[i % len(_COLORS)]], labels=[f"{curve.name} (#{curve.task_id})"],
            display_legend=True, marker="circle", marker_size=16,
            tooltip=bq.Tooltip(fields=["x", "y"], labels=["seconds", "best"], formats=[".1f", ".4g"]),
        ))
    metrics = {c.metric for c in curves}
    if len(metrics) == 1 and None not in metrics:
        metric = metrics.pop()
        label = f"best {metric} ({'lower' if metric in LOWER_IS_BETTER else 'higher'} is better)"
    else:
        label = "best score (metrics differ)"
    fig = bq.Figure(
        marks=marks,
        axes=[bq.Axis(scale=x_scale, side="bottom", label="seconds of training"),
              bq.Axis(scale=y_scale, side="left", label=label, tick_format=".4g")],
        title="Best score so far",
        legend_location="bottom-right",
        animation_duration=animation_duration,
        fig_margin={"top": 40, "bottom": 45, "left": 65, "right": 20},
        layout={"width": "100%", "height": "340px"},
    )
    fig.add_class("ff-compare-chart")
    return fig
