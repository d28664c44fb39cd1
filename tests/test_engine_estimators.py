"""Every estimator the options endpoint offers trains, predicts, and survives a timeout and a refit."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from firefly_widgets.engine.estimators import build_estimator, default_params, estimator_names
from firefly_widgets.engine.training import FitTimeout, fit_with_deadline, predict_matrix


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(limits=1):  # as the search runs them
        yield


RNG = np.random.default_rng(0)
X = RNG.normal(size=(120, 4))
Y_CLS = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1).astype(int)  # 3 classes
Y_REG = X @ np.array([1.0, -2.0, 0.5, 0.0]) + RNG.normal(scale=0.1, size=120)


@pytest.mark.parametrize("name", estimator_names("classification", anomaly=True))
def test_classifier_default_trains_and_gives_probabilities(name):
    est = build_estimator(name, default_params(name, "classification"), "classification")
    fit_with_deadline(est, X, Y_CLS, deadline=time.monotonic() + 60)
    proba = predict_matrix(est, X, 3)
    assert proba.shape == (120, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    clone(est)  # refits clone the estimator


@pytest.mark.parametrize("name", estimator_names("regression"))
def test_regressor_default_trains(name):
    est = build_estimator(name, default_params(name, "regression"), "regression")
    fit_with_deadline(est, X, Y_REG, deadline=time.monotonic() + 60)
    pred = predict_matrix(est, X, 0)
    assert pred.shape == (120,)
    if name not in ("ransac", "passive_aggressive", "sgd"):
        assert np.corrcoef(pred, Y_REG)[0, 1] > 0.5


@pytest.mark.parametrize("name", ["light_gradient_boosting", "xgradient_boosting", "random_forest", "cat_boost",
                                  "gradient_boosting", "extra_trees"])
def test_interruptible_estimators_stop_at_the_deadline(name):
    big = {"light_gradient_boosting": {"n_estimators": 100000, "learning_rate": 0.01},
           "xgradient_boosting": {"n_estimators": 100000}, "random_forest": {"n_estimators": 100000},
           "extra_trees": {"n_estimators": 100000}, "cat_boost": {"iterations": 100000},
           "gradient_boosting": {"max_iter": 100000, "learning_rate": 0.001}}[name]
    est = build_estimator(name, dict(default_params(name, "classification"), **big), "classification")
    start = time.monotonic()
    with pytest.raises(FitTimeout):
        fit_with_deadline(est, X, Y_CLS, deadline=start + 0.5)
    assert time.monotonic() - start < 3.0
