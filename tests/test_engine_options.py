"""What the engine offers per problem type, and task settings checked and defaulted."""

from __future__ import annotations

import pytest

from firefly_widgets.engine import ConfigError, available_options, validate_task_config
from firefly_widgets.engine.estimators import ESTIMATORS
from firefly_widgets.enums import Estimator, Pipeline, ProblemType

CLS = {"problem_type": "classification", "target": "y",
       "meta": {"n_rows": 100, "features": ["a", "b", "c"], "classes": ["no", "yes"]}}
REG = {"problem_type": "regression", "target": "y",
       "meta": {"n_rows": 100, "features": ["a", "b"], "target_stats": {"min": -3.0, "max": 5.0}}}
TS = {"problem_type": "regression_timeseries", "target": "y", "time_axis": "t",
      "meta": {"n_rows": 100, "features": ["t", "a"], "target_stats": {"min": 0.0, "max": 5.0}}}


@pytest.mark.parametrize("problem_type", [p.value for p in ProblemType])
def test_options_are_real_enum_values(problem_type):
    options = available_options(problem_type)
    assert set(options["estimators"]) <= {e.value for e in Estimator}
    assert set(options["pipeline"]) <= {p.value for p in Pipeline}
    assert all(e in ESTIMATORS for e in options["estimators"])
    assert options["target_metric"] and options["splitting_strategy"]


def test_options_depend_on_problem_type_and_interpretability():
    cls = available_options("classification")
    reg = available_options("regression")
    assert "logreg" in cls["estimators"] and "logreg" not in reg["estimators"]
    assert "ridge_regression" in reg["estimators"] and "stratified" not in reg["splitting_strategy"]
    assert "anomaly_isof" in available_options("anomaly_detection")["estimators"]
    assert "anomaly_isof" not in cls["estimators"]
    explainable = available_options("classification", 2)
    assert "decision_tree" in explainable["estimators"]
    assert "light_gradient_boosting" not in explainable["estimators"]
    assert available_options("classification", "EXPLAINABLE") == explainable
    assert "feature_stacking" in cls["pipeline"] and "feature_stacking" not in explainable["pipeline"]
    assert {"proj_logit", "bart"} <= set(cls["estimators"]) and "bart" in reg["estimators"]
    assert "anomaly_hist" in available_options("anomaly_detection", 2)["estimators"]
    assert available_options("regression_timeseries")["splitting_strategy"] == ["time_order"]
    assert "time_series_auto_features" in available_options("regression_timeseries")["pipeline"]


def test_defaults_per_problem_type():
    cls = validate_task_config({"name": "t", "notes": None}, dataset=CLS)
    assert cls["name"] == "t"
    assert (cls["target_metric"], cls["splitting_strategy"]) == ("recall_macro", "stratified")
    assert (cls["ensemble_size"], cls["max_models_num"]) == (5, 200)
    # 100 rows: 5-fold cross-validation; from 3,001 rows a 0.8 / 0.2 holdout
    assert (cls["validation_strategy"], cls["n_folds"], cls["cv_strategy"]) == ("cv", 5, "average_models")
    big = validate_task_config({}, dataset=dict(CLS, meta=dict(CLS["meta"], n_rows=3001)))
    assert big["validation_strategy"] == "holdout"
    assert (big["train_size"], big["validation_size"], big["test_size"]) == (0.8, 0.2, 0.0)
    given = validate_task_config({"validation_size": 0.3}, dataset=CLS)
    assert given["validation_strategy"] == "holdout" and given["train_size"] == 0.7
    assert cls["estimators"] == available_options("classification")["estimators"]
    reg = validate_task_config({}, dataset=REG)
    assert (reg["target_metric"], reg["splitting_strategy"]) == ("r2", "shuffled")
    ts = validate_task_config({}, dataset=TS)
    assert (ts["target_metric"], ts["splitting_strategy"], ts["forecast_horizon"]) == ("mae", "time_order", 1)
    assert ts["validation_strategy"] == "holdout"
    explainable = validate_task_config({"interpretability_level": 2}, dataset=CLS)
    assert (explainable["ensemble_size"], explainable["max_models_num"]) == (1, 20)


def test_validation_is_idempotent():
    once = validate_task_config({"validation_strategy": "cv", "test_size": 0.1}, dataset=CLS)
    assert validate_task_config(once, dataset=CLS) == once
    assert (once["n_folds"], once["cv_strategy"], once["train_size"]) == (5, "average_models", 0.9)


def test_sizes():
    cfg = validate_task_config({"train_size": 0.7, "test_size": 0.1}, dataset=CLS)
    assert (cfg["train_size"], cfg["validation_size"], cfg["test_size"]) == (0.7, 0.2, 0.1)
    cfg = validate_task_config({"validation_size": 0.3, "test_size": 0.2}, dataset=CLS)
    assert cfg["train_size"] == 0.5


BAD = [
    ({"estimators": ["arima"]}, "estimators", "'arima' is not available"),
    ({"estimators": ["ridge_regression"]}, "estimators", "logreg"),
    ({"estimators": "logreg"}, "estimators", "list"),
    ({"target_metric": "r2"}, "target_metric", "recall_macro"),
    ({"splitting_strategy": "random"}, "splitting_strategy", "stratified"),
    ({"pipeline": ["nonsense"]}, "pipeline", "imputation"),
    ({"ensemble_size": 0}, "ensemble_size", ">= 1"),
    ({"max_models_num": 2.5}, "max_models_num", "whole number"),
    ({"single_model_timeout": -1}, "single_model_timeout", "> 0"),
    ({"prediction_latency": 0}, "prediction_latency", "> 0"),
    ({"timeout": 0}, "timeout", "> 0"),
    ({"interpretability_level": 7}, "interpretability_level", "choose 0"),
    ({"interpretability_level": 2, "ensemble_size": 3}, "ensemble_size", "single-model"),
    ({"train_size": 0.7, "validation_size": 0.3, "test_size": 0.2}, "train_size", "at most 1"),
    ({"train_size": 1.5}, "train_size", "between 0 and 1"),
    ({"validation_size": 0.0}, "validation_size", "> 0"),
    ({"validation_strategy": "bootstrap"}, "validation_strategy", "holdout or cv"),
    ({"validation_strategy": "cv", "n_folds": 1}, "n_folds", "at least 2"),
    ({"validation_strategy": "cv", "cv_strategy": "best"}, "cv_strategy", "average_models"),
    ({"cost_matrix_weights": [[0, 1]]}, "cost_matrix_weights", "2x2"),
    ({"cost_matrix_weights": [[0, "x"], [1, 0]]}, "cost_matrix_weights", "not a number"),
    ({"leaky_features": ["zzz"]}, "leaky_features", "zzz"),
    ({"leaky_features": ["a", "b", "c"]}, "leaky_features", "no feature"),
    ({"forecast_horizon": 3}, "forecast_horizon", "timeseries"),
    ({"refit_on_all": "yes"}, "refit_on_all", "true or false"),
]


@pytest.mark.parametrize(("config", "field", "message"), BAD, ids=[b[1] + "-" + str(i) for i, b in enumerate(BAD)])
def test_bad_settings_name_the_field(config, field, message):
    with pytest.raises(ConfigError, match=message) as info:
        validate_task_config(config, dataset=CLS)
    assert info.value.field == field
    assert field in str(info.value)


def test_regression_specific_errors():
    with pytest.raises(ConfigError, match="rmsle needs a target >= 0") as info:
        validate_task_config({"target_metric": "rmsle"}, dataset=REG)
    assert info.value.field == "target_metric"
    with pytest.raises(ConfigError, match="classification") as info:
        validate_task_config({"cost_matrix_weights": [[0, 1], [1, 0]]}, dataset=REG)
    assert info.value.field == "cost_matrix_weights"
    with pytest.raises(ConfigError) as info:
        validate_task_config({"splitting_strategy": "stratified"}, dataset=REG)
    assert info.value.field == "splitting_strategy"


def test_enum_objects_are_accepted():
    from firefly_widgets.enums import Estimator as E
    from firefly_widgets.enums import TargetMetric

    cfg = validate_task_config({"estimators": [E.LOGREG, E.RANDOM_FOREST], "target_metric": TargetMetric.AUC},
                               dataset=CLS)
    assert cfg["estimators"] == ["logreg", "random_forest"] and cfg["target_metric"] == "auc"
