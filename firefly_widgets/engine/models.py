"""Trained model objects as they are saved: one pipeline per model, or several for cross-validation.

A saved model takes the raw feature frame. Holdout models are a scikit-learn
``Pipeline([("prep", TabularPreprocessor), ..., ("est", estimator)])``; a cross-validated model with
``cv_strategy=average_models`` is a :class:`FoldAverage` of one such pipeline per fold.
:func:`refit_model` retrains a saved model on new rows the way the search trained it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone

from firefly_widgets.engine.sampling import balanced_weights, synthesize_minority
from firefly_widgets.engine.training import fit_accepts, predict_matrix

__all__ = ["FoldAverage", "refit_model"]


class FoldAverage(BaseEstimator):
    """The average of several fitted pipelines' predictions (one per cross-validation fold)."""

    def __init__(self, members: list[Any] | None = None, n_classes: int = 0):
        self.members = members
        self.n_classes = n_classes

    @property
    def classes_(self) -> np.ndarray:
        return np.arange(self.n_classes)

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.mean([predict_matrix(m, X, self.n_classes) for m in self.members], axis=0)

    def predict(self, X: Any) -> np.ndarray:
        if self.n_classes:
            return np.argmax(self.predict_proba(X), axis=1)
        return np.mean([predict_matrix(m, X, 0) for m in self.members], axis=0)


def refit_model(model: Any, frame: Any, y: np.ndarray, *, steps: dict[str, bool] | None = None,
                seed: int = 0) -> Any:
    """A saved model retrained from scratch on new rows, replaying the search's training-set steps.

    Every step of the pipeline but the estimator is fitted on the rows and transforms them; then, as in
    the search, synthetic minority rows are added (``auto_sample_generation``) and classes are weighted
    equally (``balancing``); then the estimator (same parameters) is trained. A cross-validated
    :class:`FoldAverage` becomes one pipeline with its last fold's settings: on the same rows every fold
    would learn the same model.

    Args:
        model: a saved model (fitted or not; it is cloned).
        frame: the raw feature rows.
        y: class indices or numeric targets.
        steps: the member's pipeline choices (``{"balancing": bool, "auto_sample_generation": bool}``).
        seed: seeds the synthetic rows.

    Returns:
        The retrained pipeline.
    """
    steps = steps or {}
    if isinstance(model, FoldAverage):
        model = model.members[-1]
    model = clone(model)
    x, target = frame, np.asarray(y)
    for _, transformer in model.steps[:-1]:
        x = transformer.fit_transform(x, target)
    if steps.get("auto_sample_generation"):
        x, target = synthesize_minority(np.asarray(x), target, seed=seed)
    estimator = model.steps[-1][1]
    if steps.get("balancing") and fit_accepts(estimator, "sample_weight"):
        estimator.fit(x, target, sample_weight=balanced_weights(target))
    else:
        estimator.fit(x, target)
    return model
