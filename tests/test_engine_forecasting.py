"""The forecasters of regression_timeseries: exponential_smoothing, arima and average_estimator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from firefly_widgets.engine import (
    TrainingSpec,
    available_options,
    describe_dataset,
    predict_csv,
    refit_ensemble,
    run_task,
    validate_task_config,
)
from firefly_widgets.engine.forecasting import SeriesForecaster, TimeSeriesFeatures
from firefly_widgets.engine.memory_recorder import MemoryRecorder

FORECASTERS = ["exponential_smoothing", "arima", "average_estimator"]


def _trend(n: int = 160, seed: int = 0) -> pd.DataFrame:
    """A noisy upward trend with a weekly wave, dates in shuffled row order."""
    rng = np.random.default_rng(seed)
    steps = np.arange(n)
    y = 10 + 0.5 * steps + 2 * np.sin(2 * np.pi * steps / 7) + rng.normal(scale=0.5, size=n)
    return pd.DataFrame({"t": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
                         "x": rng.normal(size=n), "y": y}).sample(frac=1, random_state=0)


def _run(tmp_path, frame: pd.DataFrame, config: dict, budget: float = 4.0):
    path = str(tmp_path / "data.csv")
    frame.to_csv(path, index=False)
    meta = describe_dataset(path, target="y", problem_type="regression_timeseries", time_axis="t")
    dataset = {"problem_type": "regression_timeseries", "target": "y", "meta": meta, "time_axis": "t"}
    cfg = validate_task_config(config, dataset=dataset)
    spec = TrainingSpec(task_id=5, data_path=path, dataset=dataset, config=cfg, work_dir=str(tmp_path / "work"),
                        time_budget=budget, n_jobs=1, seed=0)
    rec = MemoryRecorder()
    run_task(spec, rec)
    return spec, rec, path


@pytest.mark.parametrize("name", FORECASTERS)
def test_forecasters_are_offered_for_regression_timeseries_only(name):
    assert name in available_options("regression_timeseries")["estimators"]
    assert name in available_options("regression_timeseries", 2)["estimators"]
    for problem_type in ("regression", "classification", "classification_timeseries", "anomaly_timeseries"):
        assert name not in available_options(problem_type)["estimators"]


@pytest.mark.parametrize("name", FORECASTERS)
def test_a_task_restricted_to_a_forecaster_trains_and_predicts_new_rows(tmp_path, name):
    frame = _trend()
    spec, rec, _ = _run(tmp_path, frame, {"estimators": [name], "max_models_num": 2, "test_size": 0.1})
    ok = [m for m in rec.models if m["status"] == "ok"]
    assert ok and all(m["estimator"] == name for m in rec.models)
    # MAE of predicting the training mean over the validation part of a trend of slope 0.5 is about 30
    y = frame.sort_values("t")["y"].to_numpy()
    split = rec.results["split"]
    n_train, n_val = split["train_rows"], split["validation_rows"]
    baseline = float(np.mean(np.abs(y[n_train:n_train + n_val] - y[:n_train].mean())))
    best = min(m["score"] for m in ok)
    assert best < baseline / 3, f"{name}: MAE {best:.2f} vs the mean's {baseline:.2f}"
    manifest = rec.ensembles[-1]["manifest"]
    # a new datasource: the next 10 days, without the target
    future = pd.DataFrame({"t": pd.date_range("2024-06-09", periods=10, freq="D").strftime("%Y-%m-%d"),
                           "x": np.zeros(10)})
    new_path = str(tmp_path / "future.csv")
    future.to_csv(new_path, index=False)
    out = str(tmp_path / "pred.csv")
    assert predict_csv(manifest, work_dir=spec.work_dir, data_path=new_path, out_path=out) == 10
    pred = pd.read_csv(out)["prediction"].to_numpy()
    assert len(pred) == 10 and np.isfinite(pred).all()
    assert pred.mean() > y[: n_train].mean() + 10, "the forecast continues the trend beyond the training mean"


def test_refit_on_new_data_moves_the_forecast_origin(tmp_path):
    frame = _trend()
    spec, rec, path = _run(tmp_path, frame, {"estimators": ["exponential_smoothing"], "max_models_num": 1})
    manifest = rec.ensembles[-1]["manifest"]
    new = refit_ensemble(manifest, work_dir=spec.work_dir, data_path=path, target="y", out_subdir="refit1")
    future = pd.DataFrame({"t": ["2024-06-09"], "x": [0.0]})
    future_path = str(tmp_path / "future.csv")
    future.to_csv(future_path, index=False)
    out = str(tmp_path / "p.csv")
    assert predict_csv(new, work_dir=spec.work_dir, data_path=future_path, out_path=out) == 1
    # 2024-06-09 is day 160: the trend's value there is about 90
    assert abs(float(pd.read_csv(out)["prediction"][0]) - 90.0) < 6.0


def test_forecaster_predicts_by_time_position_in_any_row_order():
    t = np.arange(50, dtype=float)
    y = 3.0 + 2.0 * t + np.random.default_rng(0).normal(scale=0.3, size=50)
    model = SeriesForecaster(method="arima", order=(0, 1, 0), trend_term="c").fit(
        np.column_stack([t[::-1], np.zeros(50)]), y[::-1])
    future = np.column_stack([[52.0, 50.0, 51.0], np.zeros(3)])
    np.testing.assert_allclose(model.predict(future), [107.0, 103.0, 105.0], atol=1.0)
    inside = model.predict(np.column_stack([[10.0, 20.0], np.zeros(2)]))
    np.testing.assert_allclose(inside, [23.0, 43.0], atol=1.0)


def test_time_series_features_reads_dates_and_imputes_exogenous_columns():
    frame = pd.DataFrame({"t": ["1970-01-02", "1970-01-05", None], "x": [1.0, np.nan, 3.0]})
    prep = TimeSeriesFeatures(time_axis="t", exog=["x"]).fit(frame)
    out = prep.transform(frame)
    np.testing.assert_allclose(out[:2], [[1.0, 1.0], [4.0, 2.0]])
    assert np.isnan(out[2, 0]) and out[2, 1] == 3.0
