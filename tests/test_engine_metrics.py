"""Every TargetMetric against a value computed by hand, and its direction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from firefly_widgets.engine import metric_direction
from firefly_widgets.engine.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS, MetricContext, compute_metric
from firefly_widgets.enums import LOWER_IS_BETTER, TargetMetric

# Binary: y = [0, 0, 1, 1, 1], P(class 1) = [0.1, 0.6, 0.8, 0.4, 0.9]
# labels (argmax) = [0, 1, 1, 0, 1]  -> TP=2 (rows 2, 4), FP=1 (row 1), FN=1 (row 3), TN=1 (row 0)
Y_BIN = np.array([0, 0, 1, 1, 1])
P_BIN = np.array([0.1, 0.6, 0.8, 0.4, 0.9])
# Multiclass: y = [0, 1, 2, 2], labels = [0, 2, 2, 1]
Y_MC = np.array([0, 1, 2, 2])
P_MC = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.1, 0.7], [0.3, 0.4, 0.3]])
# Regression: errors p - y = [1, -1, 0, 2]
Y_REG = np.array([1.0, 2.0, 4.0, 5.0])
P_REG = np.array([2.0, 1.0, 4.0, 7.0])

CASES = [
    # metric, y, pred, n_classes, expected (computed by hand)
    ("accuracy", Y_BIN, P_BIN, 2, 3 / 5),
    ("recall_macro", Y_BIN, P_BIN, 2, (1 / 2 + 2 / 3) / 2),  # class 0: 1 of 2, class 1: 2 of 3
    ("f1", Y_BIN, P_BIN, 2, 2 / 3),  # precision 2/3, recall 2/3
    ("f2", Y_BIN, P_BIN, 2, 2 / 3),  # (1+4) p r / (4p + r) with p = r = 2/3
    ("jaccard", Y_BIN, P_BIN, 2, 2 / 4),  # TP / (TP + FP + FN)
    # positives {0.8, 0.4, 0.9} vs negatives {0.1, 0.6}: pairs won 2 + 1 + 2 = 5 of 6
    ("auc", Y_BIN, P_BIN, 2, 5 / 6),
    ("normalized_gini", Y_BIN, P_BIN, 2, 2 * 5 / 6 - 1),
    ("log_loss", Y_BIN, P_BIN, 2, -np.mean(np.log([0.9, 0.4, 0.8, 0.4, 0.9]))),
    ("cost_metric", Y_BIN, P_BIN, 2, 1 / 5 * (1 * 1 + 1 * 1)),  # default: every error costs 1
    ("accuracy", Y_MC, P_MC, 3, 2 / 4),
    ("recall_macro", Y_MC, P_MC, 3, (1 + 0 + 1 / 2) / 3),
    # per class F1: c0 1, c1 0 (predicted once, wrong), c2 p=1/2 r=1/2 -> 1/2
    ("f1", Y_MC, P_MC, 3, (1 + 0 + 0.5) / 3),
    ("jaccard", Y_MC, P_MC, 3, (1 + 0 + 1 / 3) / 3),  # c2: TP 1 / (TP 1 + FP 1 + FN 1)
    ("r2", Y_REG, P_REG, 0, 1 - (1 + 1 + 0 + 4) / 10),  # mean 3 -> SST 4+1+1+4
    ("r1", Y_REG, P_REG, 0, 1 - 4 / 6),  # median 3 -> sum|y - 3| = 2+1+1+2
    ("mae", Y_REG, P_REG, 0, 1.0),
    ("mse", Y_REG, P_REG, 0, 1.5),
    ("rmse", Y_REG, P_REG, 0, math.sqrt(1.5)),
    ("median_ae", Y_REG, P_REG, 0, 1.0),
    ("mape", Y_REG, P_REG, 0, (1 / 1 + 1 / 2 + 0 + 2 / 5) / 4),
    ("rmspe", Y_REG, P_REG, 0, math.sqrt((1 + 0.25 + 0 + 0.16) / 4)),
    ("rmsle", Y_REG, P_REG, 0, math.sqrt(np.mean((np.log1p(P_REG) - np.log1p(Y_REG)) ** 2))),
    ("normalized_mae", Y_REG, P_REG, 0, 1.0 / 4),  # range 5 - 1
    ("normalized_mse", Y_REG, P_REG, 0, 1.5 / 16),
    ("normalized_rmse", Y_REG, P_REG, 0, math.sqrt(1.5) / 4),
    ("mae_discrete", Y_REG, P_REG + 0.3, 0, 1.0),  # rounding removes the 0.3
    ("signed_sum", Y_REG, P_REG, 0, abs(1 - 1 + 0 + 2) / 4),
]


@pytest.mark.parametrize(("metric", "y", "pred", "k", "expected"), CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_metric_matches_hand_computed_value(metric, y, pred, k, expected):
    assert compute_metric(metric, y, pred, MetricContext(n_classes=k)) == pytest.approx(expected, abs=1e-12)


def test_normalized_mutual_info_extremes():
    y = np.array([0, 0, 1, 1])
    perfect = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=float)
    swapped = perfect[:, ::-1]  # a relabelling keeps all the information
    useless = np.array([[1, 0], [0, 1], [1, 0], [0, 1]], dtype=float)
    ctx = MetricContext(n_classes=2)
    assert compute_metric("normalized_mutual_info", y, perfect, ctx) == pytest.approx(1.0)
    assert compute_metric("normalized_mutual_info", y, swapped, ctx) == pytest.approx(1.0)
    assert compute_metric("normalized_mutual_info", y, useless, ctx) == pytest.approx(0.0, abs=1e-12)


def test_cost_metric_with_weights():
    # confusion (rows true, cols predicted): [[1, 1], [1, 2]]; weights: a missed positive costs 5
    ctx = MetricContext(n_classes=2, cost_matrix=((0.0, 1.0), (5.0, 0.0)))
    assert compute_metric("cost_metric", Y_BIN, P_BIN, ctx) == pytest.approx((1 * 1 + 1 * 5) / 5)


def test_rmsle_refuses_negative_targets():
    with pytest.raises(ValueError, match="rmsle"):
        compute_metric("rmsle", np.array([-1.0, 2.0]), np.array([1.0, 2.0]), MetricContext())


@pytest.mark.parametrize("metric", [m.value for m in TargetMetric])
def test_every_metric_has_a_direction_and_a_home(metric):
    expected = "minimize" if metric in LOWER_IS_BETTER else "maximize"
    assert metric_direction(metric) == expected
    assert (metric in CLASSIFICATION_METRICS) != (metric in REGRESSION_METRICS)


def test_metric_lists_cover_all_24():
    assert set(CLASSIFICATION_METRICS) | set(REGRESSION_METRICS) == {m.value for m in TargetMetric}
    with pytest.raises(ValueError, match="unknown target metric"):
        metric_direction("precision")
