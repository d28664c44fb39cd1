"""``proj_logit``: logistic regression fitted by least squares, with projections onto the probability simplex.

The method is the "ProjLogit" classifier that the Firefly estimator name comes from (auto-sklearn's
component of the same name): instead of maximizing the logistic likelihood, it alternates two ridge
least-squares problems, which makes every step a linear solve.

1. Start from the ridge regression of the one-hot targets ``Y`` on the features (with a bias column).
2. Each epoch, expand the current class scores ``F`` into a truncated exponential series
   ``[F, F**2/2, F**3/6, F**4/24]`` (the link), regress ``Y`` on it, and project the result row by row onto
   the probability simplex: ``P``. Then regress the residual ``Y - P`` on the features again and set
   ``F = P + features @ W``.
3. Probabilities are the simplex projection of the final scores.

Predicting replays the epochs with the stored link and residual weights. The ridge strength of every
solve is ``alpha * sqrt(n_rows)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

__all__ = ["ProjLogitClassifier", "project_to_simplex"]


def project_to_simplex(v: np.ndarray) -> np.ndarray:
    """The Euclidean projection of each row of ``v`` onto the probability simplex (rows >= 0, summing to 1).

    Sort each row in decreasing order, find the largest ``r`` with ``u_r > (sum(u_1..u_r) - 1) / r``, and
    shift the row down by that threshold, clipping at zero (Wang and Carreira-Perpinan, 2013).
    """
    v = np.asarray(v, dtype=float)
    u = -np.sort(-v, axis=1)
    thresholds = (np.cumsum(u, axis=1) - 1.0) / np.arange(1, v.shape[1] + 1)
    support = np.count_nonzero(u > thresholds, axis=1)  # >= 1 for every row
    theta = thresholds[np.arange(len(v)), support - 1]
    return np.maximum(v - theta[:, None], 0.0)


def _expand(scores: np.ndarray) -> np.ndarray:
    return np.hstack([scores, scores ** 2 / 2.0, scores ** 3 / 6.0, scores ** 4 / 24.0])


def _ridge_solve(a: np.ndarray, b: np.ndarray, penalty: float) -> np.ndarray:
    gram = a.T @ a
    gram[np.diag_indices_from(gram)] += penalty
    return np.linalg.solve(gram, a.T @ b)


class ProjLogitClassifier(ClassifierMixin, BaseEstimator):
    """Least-squares logistic regression with simplex projections (see the module doc).

    Args:
        max_epochs: link-and-residual rounds after the initial ridge regression.
        alpha: ridge strength, multiplied by the square root of the number of rows.
    """

    def __init__(self, max_epochs: int = 2, alpha: float = 0.01):
        self.max_epochs = max_epochs
        self.alpha = alpha

    def fit(self, X: Any, y: Any) -> ProjLogitClassifier:
        x = self._design(X)
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        targets = np.eye(len(self.classes_))[codes]
        penalty = float(self.alpha) * np.sqrt(len(x))
        self.coef_ = _ridge_solve(x, targets, penalty)
        scores = x @ self.coef_
        self.link_coefs_: list[np.ndarray] = []
        self.residual_coefs_: list[np.ndarray] = []
        for _ in range(int(self.max_epochs)):
            expanded = _expand(scores)
            link = _ridge_solve(expanded, targets, penalty)
            projected = project_to_simplex(expanded @ link)
            residual = _ridge_solve(x, targets - projected, penalty)
            self.link_coefs_.append(link)
            self.residual_coefs_.append(residual)
            scores = projected + x @ residual
        return self

    @staticmethod
    def _design(X: Any) -> np.ndarray:
        x = np.asarray(X, dtype=float)
        if not np.isfinite(x).all():
            raise ValueError("proj_logit needs finite features (impute missing values first)")
        return np.hstack([np.ones((len(x), 1)), x])

    def predict_proba(self, X: Any) -> np.ndarray:
        x = self._design(X)
        scores = x @ self.coef_
        for link, residual in zip(self.link_coefs_, self.residual_coefs_, strict=True):
            scores = project_to_simplex(_expand(scores) @ link) + x @ residual
        return project_to_simplex(scores)

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
