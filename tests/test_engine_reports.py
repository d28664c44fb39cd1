"""Permutation importance and sensitivity: right on a known function, batched, and bounded in time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from firefly_widgets.engine.reports import permutation_importance, sensitivity_report

RNG = np.random.default_rng(0)
FRAME = pd.DataFrame({"a": RNG.normal(size=300), "b": RNG.normal(size=300), "c": RNG.normal(size=300)})
Y = 2.0 * FRAME["a"].to_numpy() + 0.5 * FRAME["b"].to_numpy()


class Model:
    """y = 2a + 0.5b; counts its calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, frame: pd.DataFrame) -> np.ndarray:
        self.calls += 1
        return 2.0 * frame["a"].to_numpy() + 0.5 * frame["b"].to_numpy()


def test_importance_of_a_known_function_in_one_batch():
    model = Model()
    out = permutation_importance(model, FRAME, Y, kind="regression", n_classes=0)
    values = dict(zip(out["features"], out["importance"], strict=True))
    assert out["features"][0] == "a" and out["complete"] is True
    assert values["c"] == 0.0
    # shuffling a column of slope s adds about 2 s^2 var to the squared error: a/b is about 16
    assert values["a"] / values["b"] == pytest.approx(16, rel=0.3)
    assert model.calls == 2, "the base prediction, then all shuffled columns in one call"


def test_importance_and_sensitivity_stop_at_their_time_limit():
    out = permutation_importance(Model(), FRAME, Y, kind="regression", n_classes=0, time_limit=0.0)
    assert out["complete"] is False and out["importance"] == [None, None, None]
    importance = {"features": ["a", "b", "c"], "importance": [0.8, 0.2, 0.0]}
    kinds = {"numerical": ["a", "b", "c"]}
    cut = sensitivity_report(Model(), FRAME, importance, kinds=kinds, classes=None, time_limit=0.0)
    assert cut["complete"] is False and cut["features"] == {}


def test_sensitivity_follows_the_function():
    importance = {"features": ["a", "b", "c"], "importance": [0.8, 0.2, 0.0]}
    model = Model()
    out = sensitivity_report(model, FRAME, importance, kinds={"numerical": ["a", "b", "c"]}, classes=None, top=2)
    assert list(out["features"]) == ["a", "b"] and out["complete"] is True
    assert model.calls == 2, "one call per column, its whole grid at once"
    a = out["features"]["a"]
    slope = np.diff(a["prediction"]) / np.diff(a["values"])
    np.testing.assert_allclose(slope, 2.0)  # the average prediction moves with a at the function's slope
