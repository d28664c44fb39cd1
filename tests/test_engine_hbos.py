"""``anomaly_hist``: the histogram-based outlier score."""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import roc_auc_score

from firefly_widgets.engine.estimators import build_estimator, default_params
from firefly_widgets.engine.hbos import HistogramOutlierDetector


def test_scores_by_hand():
    # one feature with values 0, 0, 0, 1: one bin per value; counts 3 and 1, no missing values.
    # heights (count + 0.5) / (3 + 0.5): 1 for 0, 3/7 for 1, 1/7 for an empty bin (outside or missing).
    det = HistogramOutlierDetector(n_bins=10, alpha=0.5).fit(np.array([[0.0], [0.0], [0.0], [1.0]]))
    scores = det.outlier_score(np.array([[0.0], [1.0], [5.0], [np.nan]]))
    np.testing.assert_allclose(scores, [0.0, math.log(7 / 3), math.log(7), math.log(7)])
    np.testing.assert_allclose(det.score_samples(np.array([[1.0]])), [-math.log(7 / 3)])


def test_features_add_up_and_bins_have_equal_width():
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 10, size=200)
    b = rng.normal(size=200)
    both = HistogramOutlierDetector(n_bins=5).fit(np.column_stack([a, b]))
    np.testing.assert_allclose(both.edges_[0], np.linspace(a.min(), a.max(), 6))
    rows = np.column_stack([a[:20], b[:20]])
    alone = [HistogramOutlierDetector(n_bins=5).fit(col[:, None]).outlier_score(r[:, None])
             for col, r in ((a, rows[:, 0]), (b, rows[:, 1]))]
    np.testing.assert_allclose(both.outlier_score(rows), alone[0] + alone[1])


def test_finds_planted_outliers():
    rng = np.random.default_rng(0)
    normal = rng.normal(size=(500, 4))
    planted = rng.normal(size=(10, 4))
    planted[:, rng.integers(0, 4, size=10)[0]] += 6.0  # far out in one feature
    x = np.vstack([normal, planted])
    truth = np.r_[np.zeros(500), np.ones(10)]
    det = HistogramOutlierDetector(n_bins=20).fit(x)
    assert roc_auc_score(truth, det.outlier_score(x)) > 0.95


def test_anomaly_hist_estimator_labels_anomalies():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 3))
    y = np.zeros(300, dtype=int)
    y[:15] = 1
    x[:15, 0] += 5.0
    est = build_estimator("anomaly_hist", default_params("anomaly_hist", "classification"), "classification")
    est.fit(x, y)
    proba = est.predict_proba(x)[:, 1]
    # a tight cluster of 5% anomalies fills its own bins, which HBOS (a density per feature) only partly sees
    assert roc_auc_score(y, proba) > 0.9
