"""The ``feature_stacking`` pipeline step: stacked features.

:class:`StackedFeatures` sits between the preprocessor and the estimator of a saved model
(``Pipeline([("prep", ...), ("stack", StackedFeatures(...)), ("est", ...)])``). It appends the
predictions of two cheap, diverse base models to the encoded matrix:

- classification: a logistic regression on the standardized matrix and a small extra-trees forest,
  each giving the probabilities of every class but the first;
- regression: a ridge regression on the standardized matrix and a small extra-trees forest.

On the rows it is fitted on (``fit_transform``), the appended columns are *out-of-fold* predictions
(each row's value comes from base models that did not see that row), so the estimator never learns
from in-sample predictions that are better than what it gets at prediction time. ``fit`` also refits
the base models on all rows; ``transform`` appends their predictions. The cost is capped: the base
models train on at most ``max_rows`` rows, the forest has ``n_trees`` trees with at least 5 rows per
leaf, and everything runs on one thread.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import KFold, StratifiedKFold

__all__ = ["StackedFeatures"]


class StackedFeatures(TransformerMixin, BaseEstimator):
    """Append out-of-fold predictions of two base models to a numeric matrix.

    Args:
        kind: ``"classification"`` (``y`` holds class indices ``0..n_classes-1``) or ``"regression"``.
        n_classes: the number of classes (classification); ignored for regression.
        n_folds: folds of the out-of-fold predictions made by ``fit_transform``.
        seed: random seed of the folds, the row sample and the forest.
        max_rows: the base models train on at most this many rows (a random sample).
        n_trees: trees of the extra-trees base model.

    Attributes:
        n_added_: how many columns are appended (``2 * (n_classes - 1)`` or 2).
        medians_: per input column medians (missing inputs are filled with them for the base models).
        base_: the base models fitted on all rows: ``((linear, means, stds), forest)``, or
            ``(("constant", class), None)`` when the rows have a single class.
    """

    def __init__(self, kind: str = "classification", n_classes: int = 0, n_folds: int = 5, seed: int = 0,
                 max_rows: int = 20_000, n_trees: int = 50):
        self.kind = kind
        self.n_classes = n_classes
        self.n_folds = n_folds
        self.seed = seed
        self.max_rows = max_rows
        self.n_trees = n_trees

    # -- base models ---------------------------------------------------------------------------
    def _classification(self) -> bool:
        return self.kind == "classification"

    def _n_added(self) -> int:
        return 2 * max(int(self.n_classes) - 1, 1) if self._classification() else 2

    def _clean(self, X: Any) -> np.ndarray:
        x = np.asarray(X, dtype=float)
        if x.ndim == 1:
            x = x.reshape(-1, 1)
        nan = ~np.isfinite(x)
        if nan.any():
            x = x.copy()
            x[nan] = np.take(self.medians_, np.nonzero(nan)[1])
        return x

    def _fit_base(self, x: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        """Fit the two base models on (a sample of at most ``max_rows`` of) the given rows."""
        from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor
        from sklearn.linear_model import LogisticRegression, Ridge

        if len(x) > self.max_rows:
            rows = np.sort(np.random.default_rng(self.seed).choice(len(x), self.max_rows, replace=False))
            x, y = x[rows], y[rows]
        if self._classification() and len(np.unique(y)) < 2:
            return ("constant", int(y[0]) if len(y) else 0), None
        means = x.mean(axis=0)
        stds = x.std(axis=0)
        stds = np.where(stds > 0, stds, 1.0)
        z = (x - means) / stds
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self._classification():
                linear = LogisticRegression(C=1.0, max_iter=300).fit(z, y)
                forest = ExtraTreesClassifier(n_estimators=self.n_trees, min_samples_leaf=5, max_features="sqrt",
                                              random_state=self.seed, n_jobs=1).fit(x, y)
            else:
                linear = Ridge(alpha=1.0).fit(z, y)
                forest = ExtraTreesRegressor(n_estimators=self.n_trees, min_samples_leaf=5, max_features=0.5,
                                             random_state=self.seed, n_jobs=1).fit(x, y)
        return (linear, means, stds), forest

    def _predict_base(self, base: tuple[Any, Any], x: np.ndarray) -> np.ndarray:
        (linear, *scaling), forest = base
        n = len(x)
        if not self._classification():
            means, stds = scaling
            return np.column_stack([linear.predict((x - means) / stds), forest.predict(x)])
        k = max(int(self.n_classes), 2)
        if isinstance(linear, str):  # a single class when fitted
            proba = np.zeros((n, k))
            proba[:, scaling[0]] = 1.0
            return np.hstack([proba[:, 1:], proba[:, 1:]])
        means, stds = scaling
        blocks = []
        for model, z in ((linear, (x - means) / stds), (forest, x)):
            proba = np.zeros((n, k))
            proba[:, np.asarray(model.classes_, dtype=int)] = model.predict_proba(z)
            blocks.append(proba[:, 1:])
        return np.hstack(blocks)

    def _folds(self, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        n = len(y)
        n_folds = max(2, min(int(self.n_folds), n))
        if self._classification():
            counts = np.bincount(y.astype(int))
            if counts[counts > 0].min() >= n_folds:
                splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=self.seed)
                return list(splitter.split(np.zeros(n), y))
        return list(KFold(n_splits=n_folds, shuffle=True, random_state=self.seed).split(np.zeros(n)))

    # -- fit / transform -----------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> StackedFeatures:
        """Fit the base models on all rows (the out-of-fold predictions are computed too, and dropped).

        Args:
            X: the encoded matrix (missing values allowed).
            y: class indices or numbers.

        Returns:
            self.
        """
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> np.ndarray:
        """Fit on ``X, y`` and return ``X`` with the out-of-fold predictions of the base models appended.

        Args:
            X: the encoded matrix (missing values allowed).
            y: class indices (``0..n_classes-1``) or numbers.

        Returns:
            ``(n, X.shape[1] + n_added_)``: ``X`` (as floats) then the appended columns.

        Raises:
            ValueError: ``y`` is missing or not as long as ``X``.
        """
        if y is None:
            raise ValueError("StackedFeatures needs the target: it stacks supervised predictions")
        x = np.asarray(X, dtype=float)
        if x.ndim == 1:
            x = x.reshape(-1, 1)
        y = np.asarray(y)
        if self._classification():
            y = y.astype(int)
        if len(y) != len(x):
            raise ValueError(f"StackedFeatures: X has {len(x)} rows but y has {len(y)}")
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            finite = np.where(np.isfinite(x), x, np.nan)
            med = np.nanmedian(finite, axis=0) if len(x) else np.zeros(x.shape[1])
        self.medians_ = np.where(np.isfinite(med), med, 0.0)
        self.n_features_in_ = x.shape[1]
        self.n_added_ = self._n_added()
        clean = self._clean(x)
        oof = np.zeros((len(x), self.n_added_))
        if len(x) >= 4:
            for train, held in self._folds(y):
                oof[held] = self._predict_base(self._fit_base(clean[train], y[train]), clean[held])
        base = self._fit_base(clean, y)
        self.base_ = base
        if len(x) < 4:  # too few rows for folds: the full-data predictions are all there is
            oof = self._predict_base(base, clean)
        return np.hstack([x, oof])

    def transform(self, X: Any) -> np.ndarray:
        """``X`` with the base models' (fitted on all rows) predictions appended."""
        x = np.asarray(X, dtype=float)
        if x.ndim == 1:
            x = x.reshape(-1, 1)
        if x.shape[1] != self.n_features_in_:
            raise ValueError(f"StackedFeatures was fitted on {self.n_features_in_} columns, got {x.shape[1]}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            added = self._predict_base(self.base_, self._clean(x))
        return np.hstack([x, added])
