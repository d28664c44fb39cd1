"""``anomaly_hist``: the histogram-based outlier score (HBOS; Goldstein and Dengel, 2012).

Each feature gets its own histogram of the training rows (``n_bins`` bins of equal width between the
feature's smallest and largest value, plus one bin for missing values). A bin's height is its count
relative to the feature's fullest bin, smoothed by ``alpha`` so that an empty bin is rare rather than
impossible. The outlier score of a row is the sum over features of ``-log(height)`` of the bin its value
falls in: features are treated as independent, and a row is unusual when its values sit in thin bins.
Values outside the range seen in training count as an empty bin.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

__all__ = ["HistogramOutlierDetector"]


class HistogramOutlierDetector(BaseEstimator):
    """HBOS: an anomaly score from one histogram per feature (see the module doc).

    Args:
        n_bins: bins per feature (a feature with fewer distinct values gets one bin per value).
        alpha: smoothing added to every bin's count before normalizing.
    """

    def __init__(self, n_bins: int = 10, alpha: float = 0.5):
        self.n_bins = n_bins
        self.alpha = alpha

    def fit(self, X: Any, y: Any = None) -> HistogramOutlierDetector:
        x = np.asarray(X, dtype=float)
        self.edges_: list[np.ndarray] = []
        #: per feature: the log height of each bin, then of the missing-value bin, then of an empty bin
        self.log_heights_: list[np.ndarray] = []
        for column in x.T:
            seen = column[np.isfinite(column)]
            values = np.unique(seen)
            if len(values) == 0:
                edges = np.array([0.0, 1.0])
            elif len(values) <= int(self.n_bins):
                # one bin per distinct value (categorical codes, flags): edges halfway between values
                middles = (values[1:] + values[:-1]) / 2.0
                edges = np.concatenate([[values[0] - 0.5], middles, [values[-1] + 0.5]])
            else:
                edges = np.linspace(values[0], values[-1], int(self.n_bins) + 1)
            counts = np.concatenate([np.histogram(seen, bins=edges)[0],
                                     [np.count_nonzero(~np.isfinite(column)), 0]])
            self.edges_.append(edges)
            self.log_heights_.append(np.log((counts + self.alpha) / (counts.max() + self.alpha)))
        self.n_features_in_ = x.shape[1]
        return self

    def outlier_score(self, X: Any) -> np.ndarray:
        """The HBOS score of each row: larger is more anomalous."""
        x = np.asarray(X, dtype=float)
        if x.ndim != 2 or x.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} feature columns, got {x.shape[-1]}")
        score = np.zeros(len(x))
        for column, edges, log_heights in zip(x.T, self.edges_, self.log_heights_, strict=True):
            n_bins = len(edges) - 1
            # the last edge belongs to the last bin, as in np.histogram
            bins = np.clip(np.searchsorted(edges, column, side="right") - 1, 0, n_bins - 1)
            bins[(column < edges[0]) | (column > edges[-1])] = n_bins + 1  # outside the range seen: empty
            bins[~np.isfinite(column)] = n_bins  # missing
            score -= log_heights[bins]
        return score

    def score_samples(self, X: Any) -> np.ndarray:
        """The opposite of :meth:`outlier_score` (scikit-learn's convention: lower is more abnormal)."""
        return -self.outlier_score(X)
