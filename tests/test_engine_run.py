"""run_task end to end on small data: models, ensembles, budget, max_models_num, resume, predictions, refit."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

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

FAST = ["light_gradient_boosting", "logreg", "random_forest", "extra_trees", "xgradient_boosting"]
FAST_REG = ["light_gradient_boosting", "ridge_regression", "random_forest", "extra_trees", "xgradient_boosting"]


def _iris(tmp_path) -> str:
    frame = load_iris(as_frame=True).frame
    frame["target"] = frame["target"].map({0: "setosa", 1: "versicolor", 2: "virginica"})
    path = str(tmp_path / "iris.csv")
    frame.to_csv(path, index=False)
    return path


def _mixed(tmp_path, n: int = 300) -> str:
    """Numbers with gaps, strings with gaps, a date, a leaky column and a binary target."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], size=n)
    y = (x + (color == "red") * 1.5 + rng.normal(scale=0.5, size=n) > 0.5).astype(int)
    frame = pd.DataFrame({
        "x": np.where(rng.random(n) < 0.1, np.nan, x),
        "color": np.where(rng.random(n) < 0.1, None, color),
        "day": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "leak": y * 10,
        "label": np.where(y == 1, "yes", "no"),
    })
    path = str(tmp_path / "mixed.csv")
    frame.to_csv(path, index=False)
    return path


def _spec(tmp_path, path: str, *, target: str, problem_type: str, budget: float, config: dict | None = None,
          task_id: int = 1, work: str = "work") -> TrainingSpec:
    meta = describe_dataset(path, target=target, problem_type=problem_type)
    dataset = {"problem_type": problem_type, "target": target, "meta": meta}
    config = dict(config or {})
    if "validation_strategy" not in config:
        config.setdefault("validation_size", 0.2)  # a holdout: faster than the small-data default (5-fold cv)
    cfg = validate_task_config(config, dataset=dataset)
    return TrainingSpec(task_id=task_id, data_path=path, dataset=dataset, config=cfg,
                        work_dir=str(tmp_path / work), time_budget=budget, n_jobs=1, seed=0)


def test_classification_produces_models_ensembles_and_results(tmp_path):
    spec = _spec(tmp_path, _iris(tmp_path), target="target", problem_type="classification", budget=4,
                 config={"estimators": FAST, "test_size": 0.2, "target_metric": "log_loss"})
    rec = MemoryRecorder()
    start = time.monotonic()
    run_task(spec, rec)
    took = time.monotonic() - start
    ok = [m for m in rec.models if m["status"] == "ok"]
    assert len(ok) >= 3
    assert took < 4 + 4  # budget plus the final reports
    assert rec.ensembles, "an ensemble is recorded as soon as the first model exists"
    scores = [e["score"] for e in rec.ensembles]
    assert scores == sorted(scores, reverse=True), "log_loss: every recorded ensemble improves (decreases)"
    best = rec.ensembles[-1]
    assert len(set(best["model_ids"])) <= 5 and abs(sum(best["weights"]) - 1) < 1e-9
    assert best["score"] <= min(m["score"] for m in ok) + 1e-12, "never worse than the best single model"
    results = rec.results
    assert results["final"] is True
    assert results["test_score"] is not None and results["test_score"] < 0.5
    assert results["chosen_ensemble"]["ensemble_id"] == best["id"]
    assert results["leaderboard"]["models"][0]["score"] == min(m["score"] for m in ok)
    reports = results["reports"]
    assert reports["confusion"]["classes"] == ["setosa", "versicolor", "virginica"]
    assert sum(map(sum, reports["confusion"]["matrix"])) == results["split"]["test_rows"] == 30
    assert set(reports["roc_curve"]["curves"]) == {"setosa", "versicolor", "virginica"}
    importance = reports["feature_importance"]
    assert importance["features"][0].startswith("petal")
    assert abs(sum(importance["importance"]) - 1) < 1e-6
    top = importance["features"][0]
    curve = reports["sensitivity"]["features"][top]
    assert curve["values"] == sorted(curve["values"]) and len(curve["values"]) >= 5
    # the larger the petals, the less likely a setosa
    assert curve["prediction"][0]["setosa"] > curve["prediction"][-1]["setosa"] + 0.1
    json.dumps(results)  # JSON all the way


def test_regression_with_max_models(tmp_path):
    frame = load_diabetes(as_frame=True).frame
    path = str(tmp_path / "diabetes.csv")
    frame.to_csv(path, index=False)
    spec = _spec(tmp_path, path, target="target", problem_type="regression", budget=30,
                 config={"estimators": FAST_REG, "max_models_num": 4, "target_metric": "rmse"})
    rec = MemoryRecorder()
    start = time.monotonic()
    run_task(spec, rec)
    assert len(rec.models) == 4
    assert time.monotonic() - start < 25, "stops at max_models_num, long before the budget"
    assert rec.results["reports"]["feature_importance"]["features"]
    assert "confusion" not in rec.results["reports"]
    assert rec.results["test_score"] is None  # no test part by default


def test_mixed_types_missing_values_and_leaky_features(tmp_path):
    path = _mixed(tmp_path)
    spec = _spec(tmp_path, path, target="label", problem_type="classification", budget=4,
                 config={"estimators": ["light_gradient_boosting", "logreg"], "leaky_features": ["leak"],
                         "target_metric": "auc"})
    rec = MemoryRecorder()
    run_task(spec, rec)
    manifest = rec.ensembles[-1]["manifest"]
    assert "leak" not in manifest["features"]
    assert set(manifest["features"]) == {"x", "color", "day"}
    assert manifest["classes"] == ["no", "yes"]
    assert 0.7 < rec.ensembles[-1]["score"] < 0.999, "good but not perfect: the leak was dropped"
    out = str(tmp_path / "pred.csv")
    predict_input = str(tmp_path / "new.csv")
    new = pd.read_csv(path).drop(columns=["label", "leak"]).iloc[::-1].reset_index(drop=True)
    new.loc[0, "color"] = "purple"  # a category never seen in training
    new.to_csv(predict_input, index=False)
    n = predict_csv(manifest, work_dir=spec.work_dir, data_path=predict_input, out_path=out)
    pred = pd.read_csv(out)
    assert n == len(new) == len(pred)
    assert list(pred.columns) == ["prediction", "probability_no", "probability_yes"]
    assert set(pred["prediction"]) <= {"no", "yes"}
    np.testing.assert_allclose(pred["probability_no"] + pred["probability_yes"], 1.0, atol=1e-9)
    # input order is kept: predicting the reversed file gives the reversed predictions
    out2 = str(tmp_path / "pred2.csv")
    forward = pd.read_csv(path).drop(columns=["label", "leak"])
    forward.loc[len(forward) - 1, "color"] = "purple"
    forward.to_csv(predict_input, index=False)
    predict_csv(manifest, work_dir=spec.work_dir, data_path=predict_input, out_path=out2)
    np.testing.assert_allclose(pd.read_csv(out2)["probability_yes"][::-1].to_numpy(),
                               pred["probability_yes"].to_numpy())


def test_budget_is_honoured(tmp_path):
    frame = load_breast_cancer(as_frame=True).frame
    path = str(tmp_path / "bc.csv")
    frame.to_csv(path, index=False)
    spec = _spec(tmp_path, path, target="target", problem_type="classification", budget=2.0,
                 config={"estimators": ["random_forest", "extra_trees", "logreg"]})
    rec = MemoryRecorder()
    start = time.monotonic()
    run_task(spec, rec)
    assert time.monotonic() - start < 2.0 + 3.0
    assert rec.ensembles


def _trial_count(journal: str) -> int:
    with open(journal, encoding="utf-8") as f:
        return sum(1 for line in f if '"op_code":4' in line)  # trial creations


def test_resume_continues_the_same_search(tmp_path):
    path = _iris(tmp_path)
    store = str(tmp_path / "records.json")
    spec = _spec(tmp_path, path, target="target", problem_type="classification", budget=30,
                 config={"estimators": FAST, "max_models_num": 3})
    first = MemoryRecorder(store)
    run_task(spec, first)
    assert len(first.models) == 3
    journal = os.path.join(spec.work_dir, "study.journal")
    trials_before = _trial_count(journal)
    # a second run of the same task: more models allowed, same store
    spec2 = _spec(tmp_path, path, target="target", problem_type="classification", budget=30,
                  config={"estimators": FAST, "max_models_num": 6})
    second = MemoryRecorder(store)
    run_task(spec2, second)
    assert len(second.models) == 6, "finished models count towards max_models_num"
    trials_after = _trial_count(journal)
    assert trials_after > trials_before
    import optuna

    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(journal))
    studies = optuna.get_all_study_names(storage)
    assert len(studies) == 1, "the resumed run continues the same study"
    study = optuna.load_study(study_name=studies[0], storage=storage)
    assert len(study.trials) >= 6
    # the ensemble of the second run may use models of the first run (their predictions were reloaded)
    assert second.results["models_count"] == 6


def test_resume_after_kill_with_torn_journal_and_stale_lock(tmp_path):
    path = _iris(tmp_path)
    store = str(tmp_path / "records.json")
    spec = _spec(tmp_path, path, target="target", problem_type="classification", budget=30,
                 config={"estimators": FAST, "max_models_num": 2})
    run_task(spec, MemoryRecorder(store))
    journal = os.path.join(spec.work_dir, "study.journal")
    with open(journal, "ab") as f:  # what a SIGKILL in the middle of a write leaves
        f.write(b'{"op_code":4,"worker_id":"x","study_id":0,"datetime_start":"20')
    os.symlink(journal, journal + ".lock")
    spec2 = _spec(tmp_path, path, target="target", problem_type="classification", budget=30,
                  config={"estimators": FAST, "max_models_num": 4})
    start = time.monotonic()
    rec = MemoryRecorder(store)
    run_task(spec2, rec)
    assert time.monotonic() - start < 20, "a stale lock does not make the run wait for it"
    assert len(rec.models) == 4 and rec.ensembles


def test_refit_keeps_members_and_weights(tmp_path):
    path = _iris(tmp_path)
    spec = _spec(tmp_path, path, target="target", problem_type="classification", budget=30,
                 config={"estimators": ["logreg", "random_forest"], "max_models_num": 3})
    rec = MemoryRecorder()
    run_task(spec, rec)
    manifest = rec.ensembles[-1]["manifest"]
    half = str(tmp_path / "half.csv")
    pd.read_csv(path).sample(frac=0.5, random_state=1).to_csv(half, index=False)
    new = refit_ensemble(manifest, work_dir=spec.work_dir, data_path=half, target="target", out_subdir="refit-1")
    assert [m["estimator"] for m in new["members"]] == [m["estimator"] for m in manifest["members"]]
    assert [m["params"] for m in new["members"]] == [m["params"] for m in manifest["members"]]
    assert new["weights"] == manifest["weights"]
    assert all(m["artifact"].startswith("refit-1") for m in new["members"])
    assert all(os.path.exists(os.path.join(spec.work_dir, m["artifact"])) for m in new["members"])
    out = str(tmp_path / "p.csv")
    assert predict_csv(new, work_dir=spec.work_dir, data_path=path, out_path=out) == 150
    assert (pd.read_csv(out)["prediction"] == pd.read_csv(path)["target"]).mean() > 0.9


def test_predict_csv_missing_feature_column_is_a_data_error(tmp_path):
    path = _iris(tmp_path)
    spec = _spec(tmp_path, path, target="target", problem_type="classification", budget=30,
                 config={"estimators": ["logreg"], "max_models_num": 1})
    rec = MemoryRecorder()
    run_task(spec, rec)
    bad = str(tmp_path / "bad.csv")
    pd.read_csv(path).drop(columns=["petal width (cm)"]).to_csv(bad, index=False)
    from firefly_widgets.engine import DataError

    with pytest.raises(DataError, match="petal width"):
        predict_csv(rec.ensembles[-1]["manifest"], work_dir=spec.work_dir, data_path=bad,
                    out_path=str(tmp_path / "o.csv"))


def test_a_task_that_runs_ends_with_a_model_even_without_budget(tmp_path):
    path = _iris(tmp_path)
    spec = _spec(tmp_path, path, target="target", problem_type="classification", budget=0.0,
                 config={"estimators": ["logreg", "random_forest"]})
    rec = MemoryRecorder()
    run_task(spec, rec)
    assert len(rec.models) == 1 and rec.ensembles and rec.results["final"]


def test_no_model_possible_is_an_engine_error(tmp_path):
    path = _iris(tmp_path)
    spec = _spec(tmp_path, path, target="target", problem_type="classification", budget=0.0,
                 config={"estimators": ["logreg"], "cost_matrix_weights": [[0, 1, 1], [1, 0, 1], [1, 1, 0]],
                         "single_model_timeout": 1e-6})
    rec = MemoryRecorder()
    with pytest.raises(EngineError, match="no model could be trained: .*single_model_timeout"):
        run_task(spec, rec)
    assert 1 <= len(rec.models) <= 4 and all(m["status"] == "failed" for m in rec.models)
