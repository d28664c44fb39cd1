"""Every ``TargetMetric`` of the Task API: how it is computed and which way is better.

A metric is computed from the true targets and a model's (or ensemble's) predictions. For
classification-like problems a prediction is a matrix of class probabilities (one column per class, in
the order of the dataset's ``classes``); labels are taken as the most probable class. For regression a
prediction is a vector of numbers.

Definitions that the Task API leaves open, chosen here and documented once:

- ``f1``, ``f2``, ``jaccard``: for two classes, of the positive class (the second class in sorted
  order, e.g. ``1`` of ``0/1`` or ``yes`` of ``no/yes``); for more classes, the macro average.
- ``auc``: binary ROC AUC; for more classes the macro one-vs-rest AUC. ``normalized_gini`` is
  ``2 * auc - 1``.
- ``cost_metric``: the average cost per row, ``sum(confusion[i, j] * weights[i, j]) / n``, with rows
  the true class and columns the predicted class (classes in sorted order). Without
  ``cost_matrix_weights`` every error costs 1 (so it equals the error rate).
- ``mape``: mean of ``|y - p| / |y|`` as a fraction (rows with ``y == 0`` are skipped);
  ``rmspe`` likewise as the root mean square of ``(y - p) / y``.
- ``rmsle``: ``sqrt(mean((log1p(p) - log1p(y))^2))`` with predictions clipped at 0; negative targets
  are refused when the task is configured.
- ``normalized_mae``, ``normalized_rmse``: the error divided by the range of the true values
  (``max - min``); ``normalized_mse`` divides by the square of the range.
- ``mae_discrete``: the MAE after rounding predictions to the nearest integer.
- ``r1``: the L1 analogue of R², ``1 - sum|y - p| / sum|y - median(y)|``.
- ``signed_sum``: the absolute value of the total signed error, ``|sum(p - y)| / n`` (the bias per
  row; smaller is better).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn import metrics as skm

from firefly_widgets.enums import CLASSIFICATION_LIKE, LOWER_IS_BETTER

__all__ = [
    "CLASSIFICATION_METRICS",
    "REGRESSION_METRICS",
    "MetricContext",
    "better",
    "compute_metric",
    "metric_direction",
    "metrics_for",
    "sign",
    "worst_score",
]

#: Metrics for classification-like problems, in the order the options endpoint lists them.
CLASSIFICATION_METRICS = (
    "recall_macro", "accuracy", "auc", "log_loss", "f1", "f2", "normalized_gini", "jaccard",
    "normalized_mutual_info", "cost_metric",
)
#: Metrics for regression-like problems.
REGRESSION_METRICS = (
    "r2", "mae", "mse", "rmse", "median_ae", "mape", "rmsle", "rmspe", "normalized_mae",
    "normalized_mse", "normalized_rmse", "mae_discrete", "r1", "signed_sum",
)


@dataclass(frozen=True)
class MetricContext:
    """What a metric needs besides targets and predictions.

    Attributes:
        n_classes: number of classes (0 for regression).
        cost_matrix: the ``n_classes x n_classes`` weights of ``cost_metric`` (None: 1 per error).
    """

    n_classes: int = 0
    cost_matrix: tuple[tuple[float, ...], ...] | None = None


def metric_direction(metric: str) -> str:
    """Which way a metric improves.

    Args:
        metric: a ``TargetMetric`` value such as ``"r2"`` or ``"log_loss"``.

    Returns:
        ``"minimize"`` for errors and costs, ``"maximize"`` for scores.

    Raises:
        ValueError: the metric is not a known ``TargetMetric`` value.
    """
    if metric not in _ALL:
        raise ValueError(f"unknown target metric {metric!r}; choose from {', '.join(sorted(_ALL))}")
    return "minimize" if metric in LOWER_IS_BETTER else "maximize"


def metrics_for(problem_type: str) -> tuple[str, ...]:
    """The metrics that apply to a problem type."""
    return CLASSIFICATION_METRICS if problem_type in CLASSIFICATION_LIKE else REGRESSION_METRICS


def worst_score(metric: str) -> float:
    """A score worse than any real one, for failed models."""
    return float("inf") if metric_direction(metric) == "minimize" else float("-inf")


def compute_metric(metric: str, y_true: np.ndarray, pred: np.ndarray, ctx: MetricContext) -> float:
    """Compute one metric.

    Args:
        metric: a ``TargetMetric`` value.
        y_true: class indices (classification) or numbers (regression), shape ``(n,)``.
        pred: class probabilities ``(n, n_classes)`` (classification) or predictions ``(n,)``.
        ctx: the number of classes and the cost matrix.

    Returns:
        The metric's value as a float.

    Raises:
        ValueError: unknown metric, or values it cannot take (e.g. negative targets for ``rmsle``).
    """
    if metric in _CLASSIFICATION_FUNCS:
        proba = _as_proba(pred, ctx.n_classes)
        return float(_CLASSIFICATION_FUNCS[metric](np.asarray(y_true, dtype=int), proba, ctx))
    if metric in _REGRESSION_FUNCS:
        y = np.asarray(y_true, dtype=float)
        p = np.asarray(pred, dtype=float).reshape(-1)
        return float(_REGRESSION_FUNCS[metric](y, p))
    raise ValueError(f"unknown target metric {metric!r}")


def _as_proba(pred: np.ndarray, n_classes: int) -> np.ndarray:
    proba = np.asarray(pred, dtype=float)
    if proba.ndim == 1:  # binary given as P(positive)
        proba = np.column_stack([1.0 - proba, proba])
    if n_classes and proba.shape[1] != n_classes:
        raise ValueError(f"expected {n_classes} probability columns, got {proba.shape[1]}")
    return proba


def _labels(proba: np.ndarray) -> np.ndarray:
    return np.argmax(proba, axis=1)


def _confusion(y: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """Rows: true class, columns: predicted class."""
    return np.bincount(y * k + pred, minlength=k * k).reshape(k, k).astype(float)


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a, dtype=float), where=b > 0)


def _fbeta(beta: float) -> Callable[[np.ndarray, np.ndarray, MetricContext], float]:
    def score(y: np.ndarray, proba: np.ndarray, ctx: MetricContext) -> float:
        k = proba.shape[1]
        cm = _confusion(y, _labels(proba), k)
        tp = np.diag(cm)
        fp = cm.sum(axis=0) - tp
        fn = cm.sum(axis=1) - tp
        b2 = beta * beta
        f = _safe_div((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp)
        if k == 2:
            return float(f[1])
        used = (cm.sum(axis=0) + cm.sum(axis=1)) > 0  # labels in y_true or y_pred, as scikit-learn
        return float(f[used].mean())
    return score


def _binary_auc(truth: np.ndarray, score: np.ndarray) -> float:
    from scipy.stats import rankdata

    n_pos = int(truth.sum())
    n_neg = len(truth) - n_pos
    if n_pos == 0 or n_neg == 0:
        return 0.5
    ranks = rankdata(score)
    return float((ranks[truth == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _auc(y: np.ndarray, proba: np.ndarray, ctx: MetricContext) -> float:
    k = proba.shape[1]
    present = np.unique(y)
    if len(present) < 2:
        return 0.5
    if k == 2:
        return _binary_auc((y == 1).astype(int), proba[:, 1])
    # macro one-vs-rest over the classes present in y_true
    return float(np.mean([_binary_auc((y == c).astype(int), proba[:, c]) for c in present]))


def _log_loss(y: np.ndarray, proba: np.ndarray, ctx: MetricContext) -> float:
    p = np.clip(proba, 1e-15, 1.0)
    p = p / p.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))


def _cost(y: np.ndarray, proba: np.ndarray, ctx: MetricContext) -> float:
    k = proba.shape[1]
    weights = np.asarray(ctx.cost_matrix, dtype=float) if ctx.cost_matrix is not None else 1.0 - np.eye(k)
    return float((_confusion(y, _labels(proba), k) * weights).sum() / max(len(y), 1))


def _jaccard(y: np.ndarray, proba: np.ndarray, ctx: MetricContext) -> float:
    k = proba.shape[1]
    cm = _confusion(y, _labels(proba), k)
    tp = np.diag(cm)
    j = _safe_div(tp, cm.sum(axis=0) + cm.sum(axis=1) - tp)
    if k == 2:
        return float(j[1])
    used = (cm.sum(axis=0) + cm.sum(axis=1)) > 0
    return float(j[used].mean())


def _recall_macro(y: np.ndarray, proba: np.ndarray, ctx: MetricContext) -> float:
    k = proba.shape[1]
    cm = _confusion(y, _labels(proba), k)
    support = cm.sum(axis=1)
    present = support > 0
    return float((np.diag(cm)[present] / support[present]).mean())


_CLASSIFICATION_FUNCS: dict[str, Callable[[np.ndarray, np.ndarray, MetricContext], float]] = {
    "accuracy": lambda y, p, c: float(np.mean(_labels(p) == y)),
    "recall_macro": _recall_macro,
    "f1": _fbeta(1.0),
    "f2": _fbeta(2.0),
    "auc": _auc,
    "normalized_gini": lambda y, p, c: 2.0 * _auc(y, p, c) - 1.0,
    "log_loss": _log_loss,
    "jaccard": _jaccard,
    "normalized_mutual_info": lambda y, p, c: skm.normalized_mutual_info_score(y, _labels(p)),
    "cost_metric": _cost,
}


def _range(y: np.ndarray) -> float:
    r = float(np.max(y) - np.min(y)) if len(y) else 0.0
    return r if r > 0 else 1.0


def _mape(y: np.ndarray, p: np.ndarray) -> float:
    nz = y != 0
    if not nz.any():
        return float("inf")
    return float(np.mean(np.abs(y[nz] - p[nz]) / np.abs(y[nz])))


def _rmspe(y: np.ndarray, p: np.ndarray) -> float:
    nz = y != 0
    if not nz.any():
        return float("inf")
    return float(np.sqrt(np.mean(((y[nz] - p[nz]) / y[nz]) ** 2)))


def _rmsle(y: np.ndarray, p: np.ndarray) -> float:
    if np.any(y < 0):
        raise ValueError("rmsle needs a target >= 0; the target has negative values")
    return float(np.sqrt(np.mean((np.log1p(np.clip(p, 0, None)) - np.log1p(y)) ** 2)))


def _r2(y: np.ndarray, p: np.ndarray) -> float:
    denom = float(np.sum((y - y.mean()) ** 2))
    if denom == 0:
        return 1.0 if np.allclose(y, p) else 0.0
    return 1.0 - float(np.sum((y - p) ** 2)) / denom


def _r1(y: np.ndarray, p: np.ndarray) -> float:
    denom = float(np.sum(np.abs(y - np.median(y))))
    if denom == 0:
        return 1.0 if np.allclose(y, p) else 0.0
    return 1.0 - float(np.sum(np.abs(y - p))) / denom


_REGRESSION_FUNCS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "r2": _r2,
    "r1": _r1,
    "mae": lambda y, p: float(np.mean(np.abs(y - p))),
    "mse": lambda y, p: float(np.mean((y - p) ** 2)),
    "rmse": lambda y, p: float(np.sqrt(np.mean((y - p) ** 2))),
    "median_ae": lambda y, p: float(np.median(np.abs(y - p))),
    "mape": _mape,
    "rmspe": _rmspe,
    "rmsle": _rmsle,
    "normalized_mae": lambda y, p: float(np.mean(np.abs(y - p))) / _range(y),
    "normalized_mse": lambda y, p: float(np.mean((y - p) ** 2)) / _range(y) ** 2,
    "normalized_rmse": lambda y, p: float(np.sqrt(np.mean((y - p) ** 2))) / _range(y),
    "mae_discrete": lambda y, p: float(np.mean(np.abs(y - np.rint(p)))),
    "signed_sum": lambda y, p: abs(float(np.sum(p - y))) / max(len(y), 1),
}

_ALL: frozenset[str] = frozenset(_CLASSIFICATION_FUNCS) | frozenset(_REGRESSION_FUNCS)


def better(metric: str, a: float, b: float) -> bool:
    """Whether score ``a`` is strictly better than ``b`` for ``metric``."""
    if metric_direction(metric) == "minimize":
        return a < b
    return a > b


def sign(metric: str) -> float:
    """+1 for scores, -1 for errors: ``sign * score`` is always larger-is-better."""
    return -1.0 if metric_direction(metric) == "minimize" else 1.0
