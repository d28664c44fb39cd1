"""BART: accuracy against known truths, the tree prior, determinism, persistence and the deadline."""

from __future__ import annotations

import collections
import io
import time

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_friedman1
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score, roc_auc_score
from threadpoolctl import threadpool_limits

from firefly_widgets.engine import bart
from firefly_widgets.engine.bart import BARTClassifier, BARTRegressor
from firefly_widgets.engine.estimators import ContiguousLabels
from firefly_widgets.engine.training import FitTimeout, fit_with_deadline, interruptible, predict_matrix


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(limits=1):  # as the search runs them
        yield


def _xor(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(seed).uniform(-1, 1, size=(n, 4))
    return X, ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(int)


def test_friedman_beats_linear_and_recovers_the_noise():
    X, y = make_friedman1(n_samples=800, noise=1.0, random_state=0)
    model = BARTRegressor(random_state=1).fit(X[:300], y[:300])
    r2 = r2_score(y[300:], model.predict(X[300:]))
    r2_linear = r2_score(y[300:], LinearRegression().fit(X[:300], y[:300]).predict(X[300:]))
    assert r2 > r2_linear + 0.07, (r2, r2_linear)
    assert model.sigma_draws_.shape == (100,)
    assert 0.7 < np.median(model.sigma_draws_) < 1.5


def test_step_function_is_recovered_on_both_sides():
    rng = np.random.default_rng(3)
    X = rng.uniform(size=(300, 3))
    y = 3.0 * (X[:, 0] > 0.5) + rng.normal(scale=0.5, size=300)
    grid = np.column_stack([np.r_[np.linspace(0.05, 0.4, 8), np.linspace(0.6, 0.95, 8)], np.full((16, 2), 0.5)])
    pred = BARTRegressor(random_state=0).fit(X, y).predict(grid)
    np.testing.assert_allclose(pred, 3.0 * (grid[:, 0] > 0.5), atol=0.3)


def test_binary_probit_separates_xor():
    X, y = _xor(700, 0)
    model = BARTClassifier(random_state=0).fit(X[:400], y[:400])
    proba = model.predict_proba(X[400:])
    assert proba.shape == (300, 2)
    assert proba.min() >= 0.0 and proba.max() <= 1.0
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert roc_auc_score(y[400:], proba[:, 1]) > 0.9


def test_multiclass_one_vs_rest_probabilities_sum_to_one():
    rng = np.random.default_rng(1)
    X = rng.uniform(size=(450, 3))
    y = np.digitize(X[:, 0] + 0.3 * X[:, 1], [0.45, 0.85])  # 3 ordered bands
    model = BARTClassifier(n_trees=30, n_draws=60, random_state=0).fit(X[:300], y[:300])
    proba = model.predict_proba(X[300:])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (model.predict(X[300:]) == y[300:]).mean() > 0.75   # chance is about 0.4


def test_labels_are_any_ints_and_the_engine_maps_them_back():
    X, y = _xor(200, 2)
    labels = np.where(y == 1, 5, 2)   # class indices 2 and 5 of a 6-class problem
    model = BARTClassifier(n_trees=20, n_burn=30, n_draws=30).fit(X, labels)
    assert list(model.classes_) == [2, 5]
    assert set(np.unique(model.predict(X))) <= {2, 5}
    proba = predict_matrix(model, X, 6)
    assert proba.shape == (200, 6)
    assert proba[:, [0, 1, 3, 4]].max() == 0.0
    assert (np.argmax(proba, axis=1) == labels).mean() > 0.8


@pytest.mark.parametrize("make", [BARTRegressor, BARTClassifier])
def test_same_seed_same_predictions_other_seed_other_predictions(make):
    X, y = _xor(150, 4)
    params = {"n_trees": 10, "n_burn": 20, "n_draws": 20}
    first = make(random_state=7, **params).fit(X, y)
    out = first.predict_proba if make is BARTClassifier else first.predict
    same = make(random_state=7, **params).fit(X, y)
    other = make(random_state=8, **params).fit(X, y)
    pick = "predict_proba" if make is BARTClassifier else "predict"
    np.testing.assert_array_equal(out(X), getattr(same, pick)(X))
    assert not np.allclose(out(X), getattr(other, pick)(X))


@pytest.mark.parametrize("make", [BARTRegressor, BARTClassifier])
def test_clone_and_joblib_round_trip_predict_the_same(make):
    X, y = _xor(150, 5)
    model = make(n_trees=10, n_burn=20, n_draws=20, k=1.5, random_state=3).fit(X, y)
    pick = "predict_proba" if make is BARTClassifier else "predict"
    refit = clone(model)
    assert refit.get_params() == model.get_params() and not hasattr(refit, "forest_")
    np.testing.assert_array_equal(getattr(refit.fit(X, y), pick)(X), getattr(model, pick)(X))
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(getattr(joblib.load(buffer), pick)(X), getattr(model, pick)(X))


@pytest.mark.parametrize("make", [BARTRegressor, BARTClassifier])
def test_predictions_do_not_depend_on_how_many_rows_come_at_once(make):
    X, y = _xor(300, 6)   # few rows walk all stored trees together, many rows one tree at a time
    model = make(n_trees=20, n_burn=30, n_draws=40, random_state=0).fit(X, y)
    pick = getattr(model, "predict_proba" if make is BARTClassifier else "predict")
    one_by_one = np.concatenate([pick(X[i:i + 1]) for i in range(len(X))])
    np.testing.assert_allclose(one_by_one, pick(X), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("est", [BARTRegressor(n_trees=200, n_burn=1000),
                                 BARTClassifier(n_trees=200, n_burn=1000),
                                 ContiguousLabels(BARTClassifier(n_trees=200, n_burn=1000))],
                         ids=["regressor", "classifier", "wrapped"])
def test_fit_with_deadline_stops_in_time(est):
    assert interruptible(est)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20000, 10))
    y = (X[:, 0] > 0).astype(int)
    start = time.monotonic()
    with pytest.raises(FitTimeout, match="deadline"):
        fit_with_deadline(est, X, y, deadline=start + 0.05)
    assert time.monotonic() - start < 1.0


def test_trees_stay_small_on_pure_noise():
    rng = np.random.default_rng(6)
    model = BARTRegressor(random_state=0).fit(rng.uniform(size=(300, 5)), rng.normal(size=300))
    assert model.leaf_counts_.shape == (100,)
    assert 1.5 < model.leaf_counts_.mean() < 4.0   # the prior's mean is about 2.5 leaves


class _PriorOnly(bart._Chain):
    """The chain with the likelihood switched off: it must then sample the tree prior itself."""

    def _log_lik(self, weight: float, total: float) -> float:
        return 0.0


def test_moves_sample_the_tree_prior_when_the_data_say_nothing():
    alpha, beta = 0.95, 1.0
    X = np.round(np.random.default_rng(0).uniform(size=(40, 2)) * 6) / 6   # ties: small nodes may not split
    data = bart._bin_features(X, 100)
    settings = bart._Settings(n_trees=1, n_burn=0, n_draws=1, alpha=alpha, beta=beta, tau=1.0)
    chain = _PriorOnly(data, np.zeros(40), None, settings, np.random.default_rng(1), probit=False)
    tree, residual = chain.trees[0], np.zeros(40)
    chain_counts: collections.Counter[int] = collections.Counter()
    for i in range(40000):
        chain._update_tree(tree, residual)
        if i >= 500:
            chain_counts[tree.n_leaves] += 1
    rng = np.random.default_rng(2)

    def leaves_of_prior_tree(rows: np.ndarray, depth: int) -> int:   # direct draw from the prior
        if chain._growable(rows) and rng.random() < alpha * (1 + depth) ** -beta:
            v, codes, cut = chain._draw_rule(rows)
            return leaves_of_prior_tree(rows[codes <= cut], depth + 1) + leaves_of_prior_tree(
                rows[codes > cut], depth + 1)
        return 1

    chain.rng = rng
    prior_counts = collections.Counter(leaves_of_prior_tree(np.arange(40), 0) for _ in range(20000))
    for leaves in range(1, 6):
        from_chain = chain_counts[leaves] / sum(chain_counts.values())
        from_prior = prior_counts[leaves] / sum(prior_counts.values())
        assert abs(from_chain - from_prior) < 0.025, (leaves, from_chain, from_prior)


def test_regression_weights_are_precision_weights():
    rng = np.random.default_rng(2)
    X = rng.uniform(size=(300, 2))
    y = np.where(np.arange(300) % 2 == 0, 1.0, -1.0)   # two groups the features cannot tell apart
    weights = np.where(y > 0, 5.0, 1.0)
    params = {"n_trees": 20, "n_burn": 50, "n_draws": 50}
    plain = BARTRegressor(**params).fit(X, y).predict(X).mean()
    weighted = BARTRegressor(**params).fit(X, y, sample_weight=weights).predict(X).mean()
    assert abs(plain) < 0.25
    assert weighted > 0.45   # the weighted mean is 2/3


def test_classification_weights_count_as_replications():
    rng = np.random.default_rng(3)
    X = rng.uniform(size=(400, 2))
    y = (rng.uniform(size=400) < 0.1 + 0.2 * X[:, 0]).astype(int)
    balanced = np.where(y == 1, (y == 0).sum() / (y == 1).sum(), 1.0)
    params = {"n_trees": 20, "n_burn": 50, "n_draws": 50}
    plain = BARTClassifier(**params).fit(X, y).predict_proba(X)[:, 1].mean()
    weighted = BARTClassifier(**params).fit(X, y, sample_weight=balanced).predict_proba(X)[:, 1].mean()
    assert plain < 0.25
    assert 0.4 < weighted < 0.6   # balancing weights: as if the classes were equally frequent


@pytest.mark.parametrize(("make", "X", "y", "params", "message"), [
    (BARTRegressor, [[0.0], [np.nan]], [1.0, 2.0], {}, "finite features"),
    (BARTRegressor, [[0.0], [1.0]], [1.0, np.inf], {}, "finite numbers"),
    (BARTClassifier, [[0.0], [np.inf]], [0, 1], {}, "finite features"),
    (BARTRegressor, [[0.0], [1.0]], [1.0, 2.0], {"alpha": 1.0}, "alpha"),
    (BARTClassifier, [[0.0], [1.0]], [0, 1], {"n_trees": 0}, "n_trees"),
    (BARTRegressor, [[0.0], [1.0]], [1.0, 2.0], {"k": 0.0}, "invalid k"),
])
def test_bad_input_is_a_clear_value_error(make, X, y, params, message):
    with pytest.raises(ValueError, match=message):
        make(**params).fit(X, y)


def test_a_single_class_predicts_it_with_certainty():
    model = BARTClassifier().fit([[0.0], [1.0], [2.0]], [4, 4, 4])
    np.testing.assert_array_equal(model.predict_proba([[5.0]]), [[1.0]])
    assert model.predict([[5.0]]).tolist() == [4]


def test_predicting_other_features_is_a_value_error():
    model = BARTRegressor(n_trees=5, n_burn=5, n_draws=5).fit([[0.0], [1.0], [2.0]], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="fitted on 1"):
        model.predict([[0.0, 1.0]])


def test_bad_weights_are_a_value_error():
    with pytest.raises(ValueError, match="sample_weight"):
        BARTRegressor().fit([[0.0], [1.0]], [1.0, 2.0], sample_weight=[1.0, -1.0])
