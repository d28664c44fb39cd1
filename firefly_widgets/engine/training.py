"""Fitting one estimator under a time limit, and getting predictions in the engine's shapes.

Boosting libraries are stopped through their per-iteration callbacks, forests and scikit-learn's
histogram boosting are grown in chunks (``warm_start``), and estimators whose ``fit`` takes a
``deadline`` (BART) check it themselves; either way a fit that passes its deadline raises
:class:`FitTimeout` within about one iteration. Other estimators cannot be interrupted in
process; :mod:`firefly_widgets.engine.isolation` runs them in a child process when a hard limit is
needed.
"""

from __future__ import annotations

import inspect
import time
import warnings
from typing import Any

import numpy as np

__all__ = ["FitTimeout", "fit_accepts", "fit_with_deadline", "interruptible", "predict_matrix"]


class FitTimeout(Exception):
    """A model's training passed its deadline and was stopped."""


_CHUNKABLE = ("RandomForest", "ExtraTrees", "HistGradientBoosting")


def interruptible(est: Any) -> bool:
    """Whether :func:`fit_with_deadline` can stop this estimator in process at its deadline."""
    if type(est).__name__ == "ContiguousLabels":
        est = est.estimator
    module = type(est).__module__
    return (module.startswith(("lightgbm", "xgboost", "catboost")) or type(est).__name__.startswith(_CHUNKABLE)
            or fit_accepts(est, "deadline"))


def _deadline_passed(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() > deadline


def fit_accepts(est: Any, parameter: str) -> bool:
    """Whether ``est.fit`` takes a keyword ``parameter`` (``"sample_weight"``; ``"deadline"``, a
    ``time.monotonic()`` value at which the estimator stops itself)."""
    try:
        return parameter in inspect.signature(est.fit).parameters
    except (TypeError, ValueError):
        return False


def fit_with_deadline(est: Any, X: np.ndarray, y: np.ndarray, *, deadline: float | None = None,
                      sample_weight: np.ndarray | None = None) -> Any:
    """Fit ``est`` on ``X, y``, stopping with :class:`FitTimeout` once ``time.monotonic() > deadline``.

    Args:
        est: an unfitted scikit-learn compatible estimator.
        X: the encoded features.
        y: class indices or numeric targets.
        deadline: a ``time.monotonic()`` value, or None for no limit.
        sample_weight: optional row weights (used where the estimator accepts them).

    Returns:
        The fitted estimator (the same object).

    Raises:
        FitTimeout: the deadline passed during training.
    """
    if type(est).__name__ == "ContiguousLabels":
        from sklearn.base import clone

        est.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        est.estimator_ = fit_with_deadline(clone(est.estimator), X, codes, deadline=deadline,
                                           sample_weight=sample_weight)
        return est
    kwargs: dict[str, Any] = {}
    if sample_weight is not None and fit_accepts(est, "sample_weight"):
        kwargs["sample_weight"] = sample_weight
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = type(est).__module__
        if deadline is None:
            est.fit(X, y, **kwargs)
        elif module.startswith("lightgbm"):
            _fit_lightgbm(est, X, y, deadline, kwargs)
        elif module.startswith("xgboost"):
            _fit_xgboost(est, X, y, deadline, kwargs)
        elif module.startswith("catboost"):
            _fit_catboost(est, X, y, deadline, kwargs)
        elif type(est).__name__.startswith(_CHUNKABLE):
            _fit_in_chunks(est, X, y, deadline, kwargs)
        elif fit_accepts(est, "deadline"):
            est.fit(X, y, deadline=deadline, **kwargs)
        else:
            est.fit(X, y, **kwargs)
    if _deadline_passed(deadline):
        raise FitTimeout("training did not finish before its deadline")
    return est


def _fit_lightgbm(est: Any, X: np.ndarray, y: np.ndarray, deadline: float, kwargs: dict[str, Any]) -> None:
    def stop(env: Any) -> None:
        if _deadline_passed(deadline):
            raise FitTimeout("training did not finish before its deadline")
    est.fit(X, y, callbacks=[stop], **kwargs)


def _fit_xgboost(est: Any, X: np.ndarray, y: np.ndarray, deadline: float, kwargs: dict[str, Any]) -> None:
    import xgboost as xgb

    class _Stop(xgb.callback.TrainingCallback):
        timed_out = False

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            if _deadline_passed(deadline):
                _Stop.timed_out = True
                return True
            return False

    est.set_params(callbacks=[_Stop()])
    try:
        est.fit(X, y, **kwargs)
    finally:
        est.set_params(callbacks=None)
    if _Stop.timed_out:
        raise FitTimeout("training did not finish before its deadline")


def _fit_catboost(est: Any, X: np.ndarray, y: np.ndarray, deadline: float, kwargs: dict[str, Any]) -> None:
    class _Stop:
        timed_out = False

        def after_iteration(self, info: Any) -> bool:
            if _deadline_passed(deadline):
                self.timed_out = True
                return False
            return True

    stop = _Stop()
    est.fit(X, y, callbacks=[stop], **kwargs)
    if stop.timed_out:
        raise FitTimeout("training did not finish before its deadline")


def _fit_in_chunks(est: Any, X: np.ndarray, y: np.ndarray, deadline: float, kwargs: dict[str, Any]) -> None:
    attr = "n_estimators" if hasattr(est, "n_estimators") else "max_iter"
    total = int(getattr(est, attr))
    step = max(5, min(total // 8, 25 if attr == "n_estimators" else 50))
    params: dict[str, Any] = {"warm_start": True}
    if attr == "max_iter":
        params["early_stopping"] = False
    est.set_params(**params)
    done = 0
    try:
        while done < total:
            done = min(total, done + step)
            est.set_params(**{attr: done})
            est.fit(X, y, **kwargs)
            if done < total and _deadline_passed(deadline):
                raise FitTimeout("training did not finish before its deadline")
    finally:
        est.set_params(warm_start=False, **{attr: total})


def predict_matrix(model: Any, X: Any, n_classes: int) -> np.ndarray:
    """Predictions of a fitted model: ``(n, n_classes)`` probabilities for classification (columns in
    class-index order, zero for classes the model never saw), ``(n,)`` numbers for regression."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if n_classes:
            proba = np.asarray(model.predict_proba(X), dtype=float)
            out = np.zeros((proba.shape[0], n_classes))
            cols = np.asarray(model.classes_, dtype=int)
            out[:, cols] = proba
            out = np.clip(np.nan_to_num(out, nan=0.0), 0.0, None)
            sums = out.sum(axis=1, keepdims=True)
            return np.where(sums > 0, out / np.where(sums > 0, sums, 1.0), 1.0 / n_classes)
        pred = np.asarray(model.predict(X), dtype=float).reshape(-1)
        return np.nan_to_num(pred, nan=0.0, posinf=0.0, neginf=0.0)
