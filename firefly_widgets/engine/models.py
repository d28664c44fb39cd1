"""Trained model objects as they are saved: one pipeline per model, or several for cross-validation.

A saved model takes the raw feature frame. Holdout models are a scikit-learn
``Pipeline([("prep", TabularPreprocessor), ("est", estimator)])``; a cross-validated model with
``cv_strategy=average_models`` is a :class:`FoldAverage` of one such pipeline per fold.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone

from firefly_widgets.engine.training import predict_matrix, weight_fit_params

__all__ = ["FoldAverage"]


class FoldAverage(BaseEstimator):
    """The average of several fitted pipelines' predictions (one per cross-validation fold)."""

    def __init__(self, members: list[Any] | None = None, n_classes: int = 0):
        self.members = members
        self.n_classes = n_classes

    @property
    def classes_(self) -> np.ndarray:
        return np.arange(self.n_classes)

    def fit(self, X: Any, y: Any, **kwargs: Any) -> FoldAverage:
        """Refit every member on the same data (used by refits; the members become identical in
        expectation, which keeps the saved structure)."""
        if "sample_weight" in kwargs:
            kwargs = weight_fit_params((self.members or [None])[0], kwargs["sample_weight"])
        self.members = [clone(m).fit(X, y, **kwargs) for m in self.members or []]
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.mean([predict_matrix(m, X, self.n_classes) for m in self.members], axis=0)

    def predict(self, X: Any) -> np.ndarray:
        if self.n_classes:
            return np.argmax(self.predict_proba(X), axis=1)
        return np.mean([predict_matrix(m, X, 0) for m in self.members], axis=0)
