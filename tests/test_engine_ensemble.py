"""Greedy ensemble selection."""

from __future__ import annotations

import numpy as np

from firefly_widgets.engine.ensemble import blend, select_ensemble
from firefly_widgets.engine.metrics import MetricContext, compute_metric


def _noisy_models(n_models: int, n: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    preds = {i + 1: y + rng.normal(scale=1.0 + 0.1 * i, size=n) for i in range(n_models)}
    return y, preds


def test_ensemble_beats_its_best_member_with_independent_errors():
    y, preds = _noisy_models(6)
    choice = select_ensemble(preds, y, metric="rmse", ctx=MetricContext(), max_size=5)
    best_single = min(compute_metric("rmse", y, p, MetricContext()) for p in preds.values())
    assert choice.score < best_single * 0.8
    assert 2 <= len(choice.model_ids) <= 5
    assert abs(sum(choice.weights) - 1) < 1e-12
    again = blend([preds[i] for i in choice.model_ids], list(choice.weights))
    assert compute_metric("rmse", y, again, MetricContext()) == choice.score


def test_max_size_is_respected_and_one_means_best_single():
    y, preds = _noisy_models(8)
    assert len(select_ensemble(preds, y, metric="mae", ctx=MetricContext(), max_size=2).model_ids) <= 2
    single = select_ensemble(preds, y, metric="mae", ctx=MetricContext(), max_size=1)
    best = min(preds, key=lambda i: compute_metric("mae", y, preds[i], MetricContext()))
    assert single.model_ids == (best,) and single.weights == (1.0,)


def test_maximized_metric_and_probabilities():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, size=300)
    preds = {}
    for i in range(4):
        logits = np.eye(3)[y] * 1.0 + rng.normal(scale=1.0, size=(300, 3))
        e = np.exp(logits)
        preds[i] = e / e.sum(axis=1, keepdims=True)
    ctx = MetricContext(n_classes=3)
    choice = select_ensemble(preds, y, metric="accuracy", ctx=ctx, max_size=4)
    assert choice.score >= max(compute_metric("accuracy", y, p, ctx) for p in preds.values())


def test_latency_limit_excludes_slow_models():
    y, preds = _noisy_models(4)
    latency = {1: 1.0, 2: 0.1, 3: 0.1, 4: 0.1}  # the best model (1) is too slow
    choice = select_ensemble(preds, y, metric="rmse", ctx=MetricContext(), max_size=3, latency=latency,
                             max_latency=0.25)
    assert 1 not in choice.model_ids
    assert sum(latency[i] for i in choice.model_ids) <= 0.25
    assert select_ensemble(preds, y, metric="rmse", ctx=MetricContext(), max_size=3, latency=latency,
                           max_latency=0.01) is None
