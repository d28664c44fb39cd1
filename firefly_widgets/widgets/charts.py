"""The live view's bqplot charts: score against elapsed time, and feature importance.

Both are plain bqplot Figures with stable CSS classes (``ff-score-chart``, ``ff-importance-chart``)
so that browser tests and user CSS can find them. Data goes in as float64 NumPy arrays, which bqplot
sends as binary buffers. ``update`` methods return whether anything changed, so callers batch only
real changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from bqplot import Axis, Bars, Figure, LinearScale, Lines, OrdinalScale, Scatter, Tooltip
from ipywidgets import Layout

__all__ = ["ImportanceChart", "ScoreChart", "best_so_far"]

_ACCENT = "#1f77b4"
_BEST = "#ff7f0e"


def best_so_far(scores: Sequence[float], direction: str) -> np.ndarray:
    """The running best of ``scores`` (running max to maximize, running min to minimize)."""
    values = np.asarray(scores, dtype=np.float64)
    if values.size == 0:
        return values
    return np.minimum.accumulate(values) if direction == "minimize" else np.maximum.accumulate(values)


def _axis_label(metric: str, direction: str) -> str:
    better = "lower is better" if direction == "minimize" else "higher is better"
    return f"{metric or 'score'} ({better})"


class ScoreChart:
    """Every ensemble's score (dots) and the best so far (a step line) against seconds of running.

    Args:
        metric: the target metric's name, shown on the y axis and in tooltips.
        direction: ``"maximize"`` or ``"minimize"``.
    """

    def __init__(self, metric: str = "", direction: str = "maximize") -> None:
        self.x_scale = LinearScale()
        self.y_scale = LinearScale()
        self.direction = direction
        empty = np.zeros(0, dtype=np.float64)
        self.tooltip = Tooltip(fields=["x", "y"], labels=["elapsed (s)", metric or "score"],
                               formats=[".1f", ".4f"])
        self.scatter = Scatter(x=empty, y=empty, scales={"x": self.x_scale, "y": self.y_scale},
                               colors=[_ACCENT], default_size=36, tooltip=self.tooltip,
                               display_legend=True, labels=["ensembles"])
        self.best = Lines(x=empty, y=empty, scales={"x": self.x_scale, "y": self.y_scale},
                          colors=[_BEST], interpolation="step-after", stroke_width=2,
                          display_legend=True, labels=["best so far"])
        self.x_axis = Axis(scale=self.x_scale, label="elapsed (s)", grid_lines="dashed")
        self.y_axis = Axis(scale=self.y_scale, side="left", label=_axis_label(metric, direction),
                           grid_lines="dashed", tick_format=".3g", label_offset="50px")
        self.figure = Figure(marks=[self.best, self.scatter], axes=[self.x_axis, self.y_axis],
                             animation_duration=0, legend_location="bottom-right",
                             fig_margin={"top": 20, "bottom": 45, "left": 75, "right": 20},
                             layout=Layout(width="100%", height="300px"))
        self.figure.add_class("ff-score-chart")
        self._shown: tuple[Any, ...] = (0, None, None)

    def set_metric(self, metric: str, direction: str) -> None:
        """Label the axis and tooltips with the task's metric and its direction."""
        self.direction = direction
        label = _axis_label(metric, direction)
        if self.y_axis.label != label:
            self.y_axis.label = label
            self.tooltip.labels = ["elapsed (s)", metric or "score"]

    def update(self, progress: Sequence[dict[str, Any]]) -> bool:
        """Show ``progress`` (entries with ``run_time`` and ``score``); returns True if anything changed."""
        key = (len(progress), progress[0].get("ensemble_id") if progress else None,
               progress[-1].get("ensemble_id") if progress else None)
        if key == self._shown:
            return False
        points = [(float(e["run_time"] or 0.0), float(e["score"])) for e in progress
                  if e.get("score") is not None]
        x = np.array([p[0] for p in points], dtype=np.float64)
        y = np.array([p[1] for p in points], dtype=np.float64)
        with self.scatter.hold_sync(), self.best.hold_sync():
            self.scatter.x, self.scatter.y = x, y
            self.best.x, self.best.y = x, best_so_far(y, self.direction)
        self._shown = key
        return True

    def widgets(self) -> list[Any]:
        """Every widget whose state this chart changes (for a front end that pulls)."""
        return [self.scatter, self.best, self.y_axis, self.tooltip]

    def widgets_to_close(self) -> list[Any]:
        """Every widget this chart created."""
        return [self.figure, self.scatter, self.best, self.x_axis, self.y_axis, self.x_scale, self.y_scale,
                self.tooltip]


class ImportanceChart:
    """Horizontal bars of the most important features."""

    def __init__(self) -> None:
        self.x_scale = OrdinalScale(reverse=True)
        self.y_scale = LinearScale(min=0.0)
        self.bars = Bars(x=[], y=np.zeros(0), scales={"x": self.x_scale, "y": self.y_scale},
                         orientation="horizontal", colors=[_ACCENT],
                         tooltip=Tooltip(fields=["x", "y"], labels=["feature", "importance"],
                                         formats=["", ".4f"]))
        self.figure = Figure(marks=[self.bars],
                             axes=[Axis(scale=self.x_scale, side="left"),
                                   Axis(scale=self.y_scale, side="bottom", label="importance", tick_format=".2g")],
                             animation_duration=0, title="Feature importance",
                             fig_margin={"top": 40, "bottom": 40, "left": 140, "right": 20},
                             layout=Layout(width="100%", height="320px"))
        self.figure.add_class("ff-importance-chart")
        self._closeable = [self.figure, self.bars, *self.figure.axes, self.x_scale, self.y_scale, self.bars.tooltip]
        self._shown: tuple[tuple[str, ...], tuple[float, ...]] | None = None

    def update(self, importance: dict[str, list[Any]] | None) -> bool:
        """Show ``{"features", "importance"}``; returns True if anything changed."""
        key = (tuple(importance["features"]), tuple(importance["importance"])) if importance else ((), ())
        if key == self._shown:
            return False
        with self.bars.hold_sync(), self.figure.hold_sync():
            self.bars.x = list(key[0])
            self.bars.y = np.array(key[1], dtype=np.float64)
            self.figure.layout.height = f"{90 + 26 * max(len(key[0]), 2)}px"
        self._shown = key
        return True

    def widgets_to_close(self) -> list[Any]:
        """Every widget this chart created."""
        return list(self._closeable)
