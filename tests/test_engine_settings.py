"""Task settings doing what they say: timeouts, latency, interpretability, cv, refit_on_all, pipeline steps,
timeseries and anomaly problem types."""

from __future__ import annotations

import os

import joblib
import numpy as np
import pandas as pd
import pytest

from firefly_widgets.engine import (
    EngineError,
    TrainingSpec,
    describe_dataset,
    predict_csv,
    refit_ensemble,
    run_task,
    validate_task_config,
)
from firefly_widgets.engine.memory_recorder import MemoryRecorder


def _frame(n: int = 400, noise: int = 0, seed: int = 0, imbalance: float = 0.5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    score = x[:, 0] + 0.5 * x[:, 1] - x[:, 2] + rng.normal(scale=0.3, size=n)
    y = score > np.quantile(score, 1 - imbalance)
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    for i in range(noise):
        frame[f"noise{i}"] = rng.normal(size=n)
    frame["y"] = np.where(y, "pos", "neg")
    return frame


def _run(tmp_path, frame: pd.DataFrame, config: dict, *, target: str = "y", problem_type: str = "classification",
         budget: float = 3.0, time_axis: str | None = None, recorder: MemoryRecorder | None = None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = str(tmp_path / "data.csv")
    frame.to_csv(path, index=False)
    meta = describe_dataset(path, target=target, problem_type=problem_type, time_axis=time_axis)
    dataset = {"problem_type": problem_type, "target": target, "meta": meta, "time_axis": time_axis}
    config = dict(config)
    if "validation_strategy" not in config and "timeseries" not in problem_type:
        config.setdefault("validation_size", 0.2)  # a holdout: faster than the small-data default (5-fold cv)
    cfg = validate_task_config(config, dataset=dataset)
    spec = TrainingSpec(task_id=3, data_path=path, dataset=dataset, config=cfg, work_dir=str(tmp_path / "work"),
                        time_budget=budget, n_jobs=1, seed=0)
    rec = recorder or MemoryRecorder()
    run_task(spec, rec)
    return spec, rec, path


def test_single_model_timeout_stops_a_slow_model_and_the_search_goes_on(tmp_path):
    frame = _frame(n=1500)  # a Gaussian process on 1,200 rows needs many seconds, logistic regression not
    spec, rec, _ = _run(tmp_path, frame, {"estimators": ["gaussian_process", "logreg"],
                                          "single_model_timeout": 1.0, "max_models_num": 4}, budget=60)
    failed = [m for m in rec.models if m["status"] == "failed"]
    assert failed, "the Gaussian process cannot train in 1 s"
    assert all(m["estimator"] == "gaussian_process" for m in failed)
    assert all("single_model_timeout" in m["error"] for m in failed)
    assert all(m["fit_seconds"] < 3.0 for m in failed), "stopped near its limit, not at its natural end"
    assert [m for m in rec.models if m["status"] == "ok" and m["estimator"] == "logreg"]
    assert len(rec.models) == 4 and rec.ensembles


def test_prediction_latency_too_strict_for_any_model(tmp_path):
    with pytest.raises(EngineError, match="prediction_latency"):
        _run(tmp_path, _frame(), {"estimators": ["logreg"], "max_models_num": 2, "prediction_latency": 1e-12})


def test_prediction_latency_bounds_the_chosen_ensemble(tmp_path):
    spec, rec, _ = _run(tmp_path, _frame(), {"estimators": ["logreg", "random_forest"], "max_models_num": 5,
                                             "prediction_latency": 0.001})
    for ensemble in rec.ensembles:
        assert ensemble["manifest"]["latency"] <= 0.001


def test_explainable_level_keeps_interpretable_single_models(tmp_path):
    spec, rec, _ = _run(tmp_path, _frame(), {"interpretability_level": 2, "max_models_num": 5})
    assert spec.config["ensemble_size"] == 1
    assert {m["estimator"] for m in rec.models} <= {"logreg", "lda", "decision_tree", "sgd", "ridge_classification",
                                                    "gaussian_nb", "bernoulli_nb", "multinomial_nb",
                                                    "complement_nb", "passive_aggressive", "liblinear_svc"}
    assert all(len(e["model_ids"]) == 1 for e in rec.ensembles)


def test_cross_validation_average_models(tmp_path):
    spec, rec, path = _run(tmp_path, _frame(n=300), {"estimators": ["logreg", "light_gradient_boosting"],
                                                     "validation_strategy": "cv", "n_folds": 3, "max_models_num": 2,
                                                     "test_size": 0.2})
    assert rec.results["split"]["n_folds"] == 3
    assert rec.results["split"]["validation_rows"] == 0 and rec.results["split"]["test_rows"] == 60
    preds = np.load(os.path.join(spec.work_dir, rec.models[0]["extra"]["preds"]))
    assert len(preds) == 240, "out-of-fold predictions for every non-test row"
    model = joblib.load(os.path.join(spec.work_dir, rec.models[0]["artifact"]))
    assert type(model).__name__ == "FoldAverage" and len(model.members) == 3
    assert rec.results["test_score"] is not None
    assert predict_csv(rec.ensembles[-1]["manifest"], work_dir=spec.work_dir, data_path=path,
                       out_path=str(tmp_path / "p.csv")) == 300


def test_cross_validation_last_model(tmp_path):
    spec, rec, _ = _run(tmp_path, _frame(n=200), {"estimators": ["logreg"], "validation_strategy": "cv",
                                                  "n_folds": 2, "cv_strategy": "last_model", "max_models_num": 1})
    model = joblib.load(os.path.join(spec.work_dir, rec.models[0]["artifact"]))
    assert type(model).__name__ == "Pipeline"


def test_refit_on_all_records_the_refit_ensemble_last(tmp_path):
    spec, rec, path = _run(tmp_path, _frame(), {"estimators": ["logreg", "extra_trees"], "max_models_num": 3,
                                                "refit_on_all": True, "test_size": 0.2})
    last, before = rec.ensembles[-1], rec.ensembles[-2]
    assert last["manifest"]["refit_on_all"] is True
    assert last["manifest"]["refit_rows"] == 320
    assert (last["model_ids"], last["weights"], last["score"]) == (before["model_ids"], before["weights"],
                                                                   before["score"])
    assert all(m["artifact"].startswith("refit_on_all/") for m in last["manifest"]["members"])
    assert rec.results["chosen_ensemble"]["ensemble_id"] == last["id"]
    assert rec.results["chosen_ensemble"]["refit_on_all"] is True
    out = str(tmp_path / "p.csv")
    assert predict_csv(last["manifest"], work_dir=spec.work_dir, data_path=path, out_path=out) == 400


def test_feature_selection_drops_noise_only_when_chosen(tmp_path):
    frame = _frame(n=400, noise=12)
    _, rec, _ = _run(tmp_path / "with", frame, {"estimators": ["logreg"], "max_models_num": 1,
                                                "pipeline": ["feature_selection", "imputation"]})
    kept = rec.ensembles[-1]["manifest"]["features"]
    assert {"a", "b", "c"} <= set(kept) and len(kept) < 15
    _, rec, _ = _run(tmp_path / "without", frame, {"estimators": ["logreg"], "max_models_num": 1,
                                                   "pipeline": ["imputation"]})
    assert len(rec.ensembles[-1]["manifest"]["features"]) == 15


def test_balancing_is_a_search_choice_only_when_allowed(tmp_path):
    frame = _frame(n=400, imbalance=0.1)
    spec, rec, path = _run(tmp_path / "on", frame, {"estimators": ["logreg"], "max_models_num": 3,
                                                    "pipeline": ["balancing", "auto_sample_generation"]})
    assert rec.models[0]["extra"]["pipeline"] == {"balancing": True, "auto_sample_generation": False}
    manifest = rec.ensembles[0]["manifest"]
    assert manifest["members"][0]["sample_weighting"] == "balanced"
    refit = refit_ensemble(manifest, work_dir=spec.work_dir, data_path=path, target="y", out_subdir="refit")
    assert refit["members"][0]["sample_weighting"] == "balanced"
    _, rec, _ = _run(tmp_path / "off", frame, {"estimators": ["logreg"], "max_models_num": 3,
                                               "pipeline": ["imputation"]})
    assert all(m["extra"]["pipeline"] == {} for m in rec.models)


def test_refits_replay_synthetic_minority_rows_and_weights(tmp_path):
    frame = _frame(n=400, imbalance=0.1)  # 40 "pos" rows, 360 "neg"
    spec, rec, path = _run(tmp_path, frame, {"estimators": ["decision_tree"], "max_models_num": 1,
                                             "pipeline": ["balancing", "auto_sample_generation", "imputation"],
                                             "test_size": 0.2})
    manifest = rec.ensembles[-1]["manifest"]

    def rows_per_class(pipeline_steps, out_subdir):
        members = [dict(m, pipeline=pipeline_steps) for m in manifest["members"]]
        refit = refit_ensemble(dict(manifest, members=members), work_dir=spec.work_dir, data_path=path,
                               target="y", out_subdir=out_subdir)
        tree = joblib.load(os.path.join(spec.work_dir, refit["members"][0]["artifact"])).steps[-1][1].tree_
        weight = tree.weighted_n_node_samples[0]
        return tree.n_node_samples[0], weight, tree.value[0].ravel() * weight  # rows, weight, weight per class

    plain_rows, plain_weight, _ = rows_per_class({}, "plain")
    assert plain_rows == plain_weight == 400
    synth_rows, _, _ = rows_per_class({"auto_sample_generation": True}, "synthetic")
    assert synth_rows == 400 + 140  # the 40 "pos" rows grow to 5x (under half of the 360 "neg")
    _, _, by_class = rows_per_class({"auto_sample_generation": True, "balancing": True}, "both")
    np.testing.assert_allclose(by_class[0], by_class[1])  # balanced after the synthetic rows


def test_text_preprocessing_builds_text_components(tmp_path):
    rng = np.random.default_rng(0)
    words = ["great service and friendly staff today", "terrible slow and rude staff again today",
             "great food and lovely friendly people", "slow cold food and terrible rude waiter"]
    idx = rng.integers(0, 4, size=200)
    frame = pd.DataFrame({"review": [words[i] + f" visit number {k} of many" for k, i in enumerate(idx)],
                          "y": np.where(idx % 2 == 0, "good", "bad")})
    spec, rec, _ = _run(tmp_path, frame, {"estimators": ["logreg"], "max_models_num": 1,
                                          "pipeline": ["text_preprocessing", "imputation"]})
    model = joblib.load(os.path.join(spec.work_dir, rec.models[0]["artifact"]))
    assert "review" in model.named_steps["prep"].text_models_
    assert rec.models[0]["score"] > 0.95


def test_regression_timeseries_uses_lags_of_the_target(tmp_path):
    n = 300
    rng = np.random.default_rng(1)
    y = np.cumsum(rng.normal(size=n))  # a random walk: yesterday's value is the best predictor
    frame = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
                          "x": rng.normal(size=n), "y": y}).sample(frac=1, random_state=0)
    spec, rec, path = _run(tmp_path, frame, {"estimators": ["ridge_regression"], "max_models_num": 1,
                                             "pipeline": ["imputation", "time_series_auto_features"]},
                           target="y", problem_type="regression_timeseries", time_axis="t")
    manifest = rec.ensembles[-1]["manifest"]
    assert manifest["timeseries"]["lags"] == [1, 2, 3] and manifest["timeseries"]["use_target"]
    assert rec.results["split"]["strategy"] == "time_order"
    assert rec.models[0]["score"] < 1.5, "MAE of a random walk predicted from its lag is about 0.8"
    out = str(tmp_path / "p.csv")
    assert predict_csv(manifest, work_dir=spec.work_dir, data_path=path, out_path=out) == n


def test_anomaly_detection_with_detectors(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(600, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    frame["anomaly"] = (np.abs(x).max(axis=1) > 2.6).astype(int)
    _, rec, _ = _run(tmp_path, frame, {"estimators": ["anomaly_isof", "anomaly_gmm"], "max_models_num": 2},
                     target="anomaly", problem_type="anomaly_detection", budget=30)
    assert {m["estimator"] for m in rec.models} == {"anomaly_isof", "anomaly_gmm"}
    assert rec.ensembles[-1]["score"] > 0.75  # recall_macro


def test_leakage_detection_level_names_the_leaking_column(tmp_path):
    frame = _frame(n=300)
    frame["copy_of_y"] = (frame["y"] == "pos").astype(int)
    _, rec, _ = _run(tmp_path, frame, {"estimators": ["logreg"], "max_models_num": 1, "interpretability_level": 3})
    assert rec.results["reports"]["leakage"]["suspects"] == ["copy_of_y"]
