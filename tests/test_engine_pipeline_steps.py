"""The feature_stacking and feature_embedding pipeline steps: the transformers, and their use by the search."""

from __future__ import annotations

import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from firefly_widgets.engine import (
    TrainingSpec,
    available_options,
    describe_dataset,
    predict_csv,
    run_task,
    validate_task_config,
)
from firefly_widgets.engine.memory_recorder import MemoryRecorder
from firefly_widgets.engine.models import FoldAverage
from firefly_widgets.engine.preprocessing import TabularPreprocessor
from firefly_widgets.engine.search import _Search
from firefly_widgets.engine.stacking import StackedFeatures
from firefly_widgets.engine.taskdata import TaskData
from firefly_widgets.engine.training import predict_matrix

STEPS = ("feature_stacking", "feature_embedding")


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


# -- StackedFeatures -----------------------------------------------------------------------------------

def test_stacked_columns_are_out_of_fold_predictions():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 8))
    noise = rng.integers(0, 2, size=400)  # a target the features know nothing about
    stacker = StackedFeatures("classification", 2, seed=0)
    out = stacker.fit_transform(x, noise)
    assert out.shape == (400, 10)
    np.testing.assert_array_equal(out[:, :8], x)
    for col in (8, 9):  # logistic regression, extra-trees: P(class 1) for rows they did not see
        assert abs(_corr(out[:, col], noise)) < 0.2
    # the same models' in-sample predictions (what transform gives on the training rows) have memorized it
    assert _corr(stacker.transform(x)[:, 9], noise) > 0.5
    # ...while on a learnable target the out-of-fold columns carry the signal
    signal = (x[:, 0] + 0.3 * rng.normal(size=400) > 0).astype(int)
    out = StackedFeatures("classification", 2, seed=0).fit_transform(x, signal)
    assert _corr(out[:, 8], signal) > 0.6 and _corr(out[:, 9], signal) > 0.6


def test_stacked_regression_is_out_of_fold():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 5))
    noise = rng.normal(size=300)
    stacker = StackedFeatures("regression", seed=3)
    out = stacker.fit_transform(x, noise)
    assert out.shape == (300, 7)
    assert abs(_corr(out[:, 5], noise)) < 0.2 and abs(_corr(out[:, 6], noise)) < 0.2
    assert _corr(stacker.transform(x)[:, 6], noise) > 0.5  # in-sample forest predictions


def test_stacked_features_transform_clone_pickle_and_missing_values():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 4))
    y = np.digitize(x[:, 0], [-0.5, 0.5])  # 3 classes
    x[rng.random(x.shape) < 0.05] = np.nan  # an unimputed (ordinal) encoding keeps missing values
    stacker = StackedFeatures("classification", 3, n_folds=4, seed=0)
    fitted = stacker.fit_transform(x, y)
    assert fitted.shape == (200, 4 + 2 * 2) and np.isfinite(fitted[:, 4:]).all()
    new = rng.normal(size=(7, 4))
    added = stacker.transform(new)
    assert added.shape == (7, 8)
    np.testing.assert_array_equal(added[:, :4], new)
    assert ((added[:, 4:] >= 0) & (added[:, 4:] <= 1)).all()  # probabilities
    copy = clone(stacker)
    assert copy.get_params() == stacker.get_params() and not hasattr(copy, "base_")
    restored = pickle.loads(pickle.dumps(stacker))
    np.testing.assert_allclose(restored.transform(new), added)
    with pytest.raises(ValueError, match="fitted on 4 columns"):
        stacker.transform(new[:, :3])


def test_stacked_features_with_a_class_missing_from_the_rows():
    x = np.arange(40, dtype=float).reshape(-1, 1)
    y = np.zeros(40, dtype=int)  # one class of three in these rows
    stacker = StackedFeatures("classification", 3, seed=0)
    out = stacker.fit_transform(x, y)
    assert out.shape == (40, 5)
    np.testing.assert_array_equal(out[:, 1:], 0.0)  # P(class 1) = P(class 2) = 0
    assert stacker.transform(x[:2]).shape == (2, 5)


# -- embeddings -------------------------------------------------------------------------------------------

def _cities(repeat: int = 12) -> pd.DataFrame:
    """City a and b always appear in the north with the same shapes, c and d in the south, e and f in the west;
    every city has the same count of rows (profiles of a and b are identical)."""
    rows = []
    region = {"a": "north", "b": "north", "c": "south", "d": "south", "e": "west", "f": "west"}
    for city in "abcdef":
        for i in range(repeat):
            shape = ["round", "square"][i % 2] if city in "ab" else ["tall", "wide"][i % 2]
            rows.append({"city": city, "region": region[city], "shape": shape,
                         "size": (1.0 if city in "ab" else 10.0) + i % 4})
    return pd.DataFrame(rows)


def _vectors(prep: TabularPreprocessor, col: str, values: list) -> np.ndarray:
    names = prep.feature_names_out_
    cols = [i for i, name in enumerate(names) if name.startswith(f"{col}__embed")]
    frame = pd.DataFrame({col: values})
    return prep.transform(frame)[:, cols]


def test_embedding_puts_values_of_the_same_context_together():
    frame = _cities()
    prep = TabularPreprocessor(numeric=["size"], categorical=["city", "region", "shape"], embedding_dims=8)
    prep.fit(frame)
    assert set(prep.embeddings_) == {"city"}, "region (3 values) and shape (4 values) have too few levels"
    a, b, c, d, unseen, missing = _vectors(prep, "city", ["a", "b", "c", "d", "zzz", None])
    assert len(a) == 3  # min(8, 6 levels // 2)
    assert np.linalg.norm(a - b) < 1e-8, "same contexts, same vector"
    assert np.linalg.norm(c - d) < 1e-8
    assert np.linalg.norm(a - c) > 0.5, "a different context is far away"
    np.testing.assert_array_equal(unseen, 0.0)
    np.testing.assert_array_equal(missing, 0.0)
    # bookkeeping: every embedding column comes from its column, in the order transform writes them
    names, sources = prep.feature_names_out_, prep.sources_
    assert len(names) == len(sources) == prep.transform(frame).shape[1]
    embed = [s for n, s in zip(names, sources, strict=True) if "__embed" in n]
    assert embed == ["city"] * 3
    assert TabularPreprocessor(numeric=["size"], categorical=["city", "region", "shape"]).fit(frame) \
        .transform(frame).shape[1] == len(names) - 3, "embedding_dims=0: no embedding columns"


def test_embedding_learns_from_the_fitted_rows_only():
    frame = _cities()
    extra = pd.DataFrame({"city": ["g"] * 12, "region": ["north"] * 12, "shape": ["round", "square"] * 6,
                          "size": [1.0, 2.0, 3.0, 4.0] * 3})
    prep = TabularPreprocessor(numeric=["size"], categorical=["city", "region", "shape"], embedding_dims=8)
    prep.fit(frame)
    assert "g" not in prep.embeddings_["city"][0]
    np.testing.assert_array_equal(_vectors(prep, "city", ["g"]), 0.0)
    # the vectors depend on the fitted rows: with g's rows among them, g gets a vector near a and b
    both = TabularPreprocessor(numeric=["size"], categorical=["city", "region", "shape"], embedding_dims=8)
    both.fit(pd.concat([frame, extra], ignore_index=True))
    g, a, c = _vectors(both, "city", ["g", "a", "c"])
    assert np.linalg.norm(g - a) < np.linalg.norm(g - c)
    restored = pickle.loads(pickle.dumps(prep))
    np.testing.assert_allclose(restored.transform(frame), prep.transform(frame))
    assert clone(prep).get_params()["embedding_dims"] == 8


# -- through the search ------------------------------------------------------------------------------------

def _shop(tmp_path, n: int = 360) -> str:
    """A binary target driven by a number and by which group a (12-valued) store belongs to."""
    rng = np.random.default_rng(0)
    store = rng.choice([f"s{i}" for i in range(12)], size=n)
    group = np.isin(store, [f"s{i}" for i in range(6)])
    city = np.where(group, rng.choice(["x", "y"], size=n), rng.choice(["z", "w"], size=n))
    amount = rng.normal(size=n) + group
    y = (amount + rng.normal(scale=0.7, size=n) > 0.5).astype(int)
    frame = pd.DataFrame({"amount": np.where(rng.random(n) < 0.05, np.nan, amount), "store": store, "city": city,
                          "label": np.where(y == 1, "yes", "no")})
    path = str(tmp_path / "shop.csv")
    frame.to_csv(path, index=False)
    return path


def _spec(tmp_path, path: str, config: dict, *, target: str = "label", problem_type: str = "classification",
          budget: float = 20.0, time_axis: str | None = None) -> TrainingSpec:
    meta = describe_dataset(path, target=target, problem_type=problem_type, time_axis=time_axis)
    dataset = {"problem_type": problem_type, "target": target, "meta": meta, "time_axis": time_axis}
    cfg = validate_task_config(config, dataset=dataset)
    return TrainingSpec(task_id=3, data_path=path, dataset=dataset, config=cfg, work_dir=str(tmp_path / "work"),
                        time_budget=budget, n_jobs=1, seed=0)


def test_options_offer_both_steps_for_tabular_problem_types():
    for problem_type in ("classification", "regression", "anomaly_detection", "classification_timeseries",
                         "regression_timeseries", "anomaly_timeseries"):
        pipeline = available_options(problem_type)["pipeline"]
        assert set(STEPS) <= set(pipeline), problem_type
        assert pipeline[-1] == "estimator"


def test_a_trial_with_both_steps_saves_a_stacked_model_that_predicts_raw_rows(tmp_path):
    path = _shop(tmp_path)
    spec = _spec(tmp_path, path, {"estimators": ["light_gradient_boosting", "logreg"], "max_models_num": 3,
                                  "validation_size": 0.25, "target_metric": "auc"})
    assert set(STEPS) <= set(spec.config["pipeline"]), "offered by default"
    rec = MemoryRecorder()
    search = _Search(spec, rec)
    # the first trial of the run uses both steps (the search's own defaults have them off)
    search._open_study().enqueue_trial({"estimator": "logreg", "logreg.C": 1.0, "pipeline.feature_stacking": True,
                                        "pipeline.feature_embedding": True, "pipeline.balancing": False,
                                        "pipeline.auto_sample_generation": False})
    search.run()
    assert len(rec.models) == 3 and all(m["status"] == "ok" for m in rec.models)
    first = rec.models[0]
    assert first["extra"]["pipeline"]["feature_stacking"] is True
    assert first["extra"]["pipeline"]["feature_embedding"] is True
    assert first["extra"]["latency"] > 0
    defaults = [m for m in rec.models[1:] if m["estimator"] == "light_gradient_boosting"]
    assert defaults and not defaults[0]["extra"]["pipeline"]["feature_stacking"], "a default trial: steps off"
    model = joblib.load(str(tmp_path / "work" / first["artifact"]))
    assert [name for name, _ in model.steps] == ["prep", "stack", "est"]
    prep = model.named_steps["prep"]
    assert "store" in prep.embeddings_ and "store__embed0" in prep.feature_names_out_
    assert model.named_steps["stack"].n_features_in_ == len(prep.feature_names_out_)
    # an ensemble of that model alone predicts a raw CSV
    manifest = dict(rec.ensembles[-1]["manifest"])
    member = dict(manifest["members"][0], model_id=first["id"], estimator="logreg", artifact=first["artifact"],
                  weight=1.0, pipeline=first["extra"]["pipeline"])
    manifest.update(members=[member], weights=[1.0])
    raw = pd.read_csv(path).drop(columns=["label"]).head(25)
    raw.loc[0, "store"] = "a store never seen"
    new_path = str(tmp_path / "new.csv")
    raw.to_csv(new_path, index=False)
    out = str(tmp_path / "pred.csv")
    assert predict_csv(manifest, work_dir=spec.work_dir, data_path=new_path, out_path=out) == 25
    pred = pd.read_csv(out)
    assert set(pred["prediction"]) <= {"yes", "no"}
    np.testing.assert_allclose(pred["probability_no"] + pred["probability_yes"], 1.0)
    # a refit the sklearn way: every step fitted on the rows, then the estimator
    frame = pd.read_csv(path)
    y = (frame["label"] == "yes").astype(int).to_numpy()
    again = clone(model).fit(frame.drop(columns=["label"]), y)
    assert predict_matrix(again, raw, 2).shape == (25, 2)


def test_stacking_under_cross_validation_and_for_regression(tmp_path):
    frame = pd.read_csv(_shop(tmp_path, n=200))
    frame["label"] = frame["amount"].fillna(0) * 3 + frame["store"].str[1:].astype(int) % 2
    path = str(tmp_path / "reg.csv")
    frame.to_csv(path, index=False)
    spec = _spec(tmp_path, path, {"estimators": ["ridge_regression", "extra_trees"], "validation_strategy": "cv",
                                  "n_folds": 3, "target_metric": "r2"}, problem_type="regression")
    search = _Search(spec, MemoryRecorder())
    assert search._optional_steps("ridge_regression") == list(STEPS)
    assert search._default_steps("extra_trees") == dict.fromkeys(STEPS, False)
    model, preds, latency = search._fit("extra_trees", {"n_estimators": 30}, dict.fromkeys(STEPS, True), None)
    assert isinstance(model, FoldAverage) and len(model.members) == 3
    assert all([n for n, _ in m.steps] == ["prep", "stack", "est"] for m in model.members)
    assert preds.shape == (len(search.y_eval),) and latency > 0
    assert _corr(preds, search.y_eval) > 0.8
    # the embedding fold is cached apart from the plain one
    plain = search.data.fold("ridge_regression", 0)
    embedded = search.data.fold("ridge_regression", 0, embedding=True)
    assert embedded is not plain and embedded.x_train.shape[1] > plain.x_train.shape[1]
    assert search.data.fold("ridge_regression", 0, embedding=True) is embedded
    # the stacked columns depend on the fold and its preprocessing alone: a second stacking trial reuses them
    # instead of refitting the base models; without the embedding the preprocessing differs, and so do they
    again, _, _ = search._fit("extra_trees", {"n_estimators": 10}, dict.fromkeys(STEPS, True), None)
    assert all(a.named_steps["stack"] is b.named_steps["stack"] for a, b in zip(model.members, again.members,
                                                                                 strict=True))
    plain_stack, _, _ = search._fit("extra_trees", {"n_estimators": 10}, {**dict.fromkeys(STEPS, True),
                                                                         "feature_embedding": False}, None)
    assert plain_stack.members[0].named_steps["stack"] is not model.members[0].named_steps["stack"]


def test_embedding_in_a_fold_comes_from_its_training_rows(tmp_path):
    path = _shop(tmp_path, n=300)
    frame = pd.read_csv(path)
    spec = _spec(tmp_path, path, {"validation_size": 0.3})
    data = TaskData(spec)
    fold = data.fold("logreg", None, embedding=True)
    levels = fold.prep.embeddings_["store"][0]
    # make a store appear only in validation rows: the fitted embedding never saw it
    only_val = frame.loc[fold.val_rows[:40]].copy()
    assert set(levels) <= set(frame.loc[fold.train_rows, "store"])
    only_val["store"] = "new"
    cols = [i for i, n in enumerate(fold.prep.feature_names_out_) if n.startswith("store__embed")]
    np.testing.assert_array_equal(fold.prep.transform(only_val)[:, cols], 0.0)


def test_a_task_without_the_steps_never_uses_them(tmp_path):
    spec = _spec(tmp_path, _shop(tmp_path), {"estimators": ["light_gradient_boosting", "logreg"],
                                             "pipeline": ["imputation", "balancing"], "max_models_num": 6,
                                             "validation_size": 0.25})
    rec = MemoryRecorder()
    run_task(spec, rec)
    assert len(rec.models) == 6
    for m in rec.models:
        assert not set(STEPS) & set(m["extra"]["pipeline"]), m["extra"]["pipeline"]
        model = joblib.load(str(tmp_path / "work" / m["artifact"]))
        assert "stack" not in model.named_steps and not model.named_steps["prep"].embeddings_


def test_forecasters_ignore_the_steps(tmp_path):
    n = 80
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
                          "x": rng.normal(size=n), "y": 10 + 0.5 * np.arange(n) + rng.normal(size=n)})
    path = str(tmp_path / "ts.csv")
    frame.to_csv(path, index=False)
    spec = _spec(tmp_path, path, {"estimators": ["exponential_smoothing", "ridge_regression"], "max_models_num": 2},
                 target="y", problem_type="regression_timeseries", time_axis="t")
    assert set(STEPS) <= set(spec.config["pipeline"])
    search = _Search(spec, MemoryRecorder())
    assert search._optional_steps("exponential_smoothing") == []
    assert search._optional_steps("ridge_regression") == list(STEPS)
    model, preds, _ = search._fit("exponential_smoothing", {}, dict.fromkeys(STEPS, True), None)
    assert [n for n, _ in model.steps] == ["prep", "est"] and np.isfinite(preds).all()
    model, _, _ = search._fit("ridge_regression", {"alpha": 1.0}, dict.fromkeys(STEPS, True), None)
    assert [n for n, _ in model.steps] == ["prep", "stack", "est"]
