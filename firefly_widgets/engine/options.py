"""What the engine implements for each problem type, and the checking and defaulting of task settings.

Defaults filled by :func:`validate_task_config` when a setting is absent or None:

- ``target_metric``: ``recall_macro`` for classification-like types, ``mae`` for
  ``regression_timeseries``, ``r2`` for ``regression``.
- ``splitting_strategy``: ``time_order`` for timeseries types, ``stratified`` for classification and
  anomaly detection, ``shuffled`` for regression.
- ``interpretability_level``: 0 (precise). ``ensemble_size``/``max_models_num``: 5/200, or 1/20 at
  level 2 (explainable). ``estimators``/``pipeline``: everything available (see
  :func:`available_options`).
- ``validation_strategy``: ``cv`` for data of at most 3,000 rows (not timeseries) when no
  ``train_size``, ``validation_size`` or ``n_folds`` is given, else ``holdout``. Holdout sizes:
  ``validation_size`` 0.2, ``test_size`` 0,
  ``train_size`` the rest (``1 - validation - test``); a given ``train_size`` without
  ``validation_size`` makes validation the rest. With ``cv``: ``n_folds`` 5,
  ``cv_strategy`` ``average_models``, ``validation_size`` 0.
- ``forecast_horizon``: 1 for timeseries types. ``refit_on_all``: False. ``leaky_features``: none.

Meanings the Task API leaves open:

- ``prediction_latency`` is seconds per predicted row (floats accepted); ``single_model_timeout`` is
  seconds of training per model (all folds together under cross-validation).
- ``pipeline`` lists the steps the search may use: data steps (imputation, cleaning, text, feature
  engineering and selection, timeseries lags) are applied when listed; ``balancing`` and
  ``auto_sample_generation`` (classification), ``feature_stacking`` and ``feature_embedding`` become
  per-trial choices of the search (the first trial of each estimator has them off); a step not listed
  is never applied. The statistical forecasters (``exponential_smoothing``, ``arima``,
  ``average_estimator``) ignore ``feature_stacking`` and ``feature_embedding``.
- ``feature_stacking`` means stacked features (:class:`~firefly_widgets.engine.stacking.StackedFeatures`,
  between the preprocessor and the estimator): the encoded features plus the out-of-fold predictions
  of two cheap, diverse base models (logistic regression on standardized features and a small
  extra-trees forest, giving the probabilities of every class but the first; ridge regression and a
  small extra-trees forest for regression), so the estimator never sees in-sample predictions; at
  prediction time the base models refitted on all training rows give the columns.
- ``feature_embedding`` means dense embeddings of categorical (and text, as categories) columns with
  at least 5 values seen twice or more: the correspondence analysis (truncated SVD) of each column's
  value x context co-occurrence counts, the context being the other categorical columns' values and
  the numeric columns' quantile bins, on the training rows only; each value becomes
  ``min(8, levels // 2)`` numeric columns, missing or unseen values zeros. Unsupervised (no target).
- ``interpretability_level`` 2 (explainable) keeps to interpretable estimators and single-model
  ensembles, without ``feature_stacking``; 3 (leakage detection) adds a leakage report to the results; 0
  and 1 use everything.
"""

from __future__ import annotations

import math
from typing import Any

from firefly_widgets.engine.contract import ConfigError
from firefly_widgets.engine.estimators import estimator_names
from firefly_widgets.engine.metrics import metrics_for
from firefly_widgets.enums import CLASSIFICATION_LIKE, TIMESERIES_PROBLEMS

__all__ = ["PIPELINE_STEPS", "PROBLEM_TYPES", "available_options", "problem_kind", "validate_task_config"]

PROBLEM_TYPES = (
    "classification", "regression", "anomaly_detection", "classification_timeseries",
    "regression_timeseries", "anomaly_timeseries",
)

#: Pipeline steps with a real local form (see the module doc).
PIPELINE_STEPS = (
    "imputation", "data_cleaning_pre_imputation", "data_cleaning_post_imputation", "text_preprocessing",
    "feature_engineering", "feature_selection", "feature_embedding", "feature_stacking", "balancing",
    "auto_sample_generation", "estimator",
)
_TIMESERIES_STEPS = ("time_series_auto_features",)
_CLASSIFICATION_ONLY_STEPS = ("balancing", "auto_sample_generation")

#: up to this many rows (and without sizes or a strategy given) validation is 5-fold cross-validation
_SMALL_DATA_ROWS = 3000

_INTERPRETABILITY_NAMES = {
    "PRECISE": 0, "STANDARD": 0, "STANDARD_WITH_EXPLAINABILITY": 1, "EXPLAINABLE": 2,
    "SIMPLE_WITH_EXPLAINABILITY": 2, "LEAKAGE_DETECTION": 3,
}


def problem_kind(problem_type: str) -> str:
    """``"classification"`` for classification-like problem types, else ``"regression"``."""
    return "classification" if problem_type in CLASSIFICATION_LIKE else "regression"


def _interpretability(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        key = value.strip().upper()
        if key in _INTERPRETABILITY_NAMES:
            return _INTERPRETABILITY_NAMES[key]
        try:
            value = int(key)
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, int) or value not in (0, 1, 2, 3):
        raise ConfigError("interpretability_level", f"interpretability_level: {value!r} is not valid; "
                          "choose 0 (precise), 1 (standard with explainability), 2 (explainable) "
                          "or 3 (leakage detection)")
    return value


def available_options(problem_type: str, interpretability_level: Any = None) -> dict[str, list[str]]:
    """The setting values the engine implements for a problem type.

    Args:
        problem_type: a ``ProblemType`` value.
        interpretability_level: 0-3 (or a level name); 2 (explainable) keeps interpretable estimators.

    Returns:
        ``{"estimators", "target_metric", "splitting_strategy", "pipeline"}``, each a list of enum values.

    Raises:
        ConfigError: unknown problem type or interpretability level.
    """
    if problem_type not in PROBLEM_TYPES:
        raise ConfigError("problem_type", f"problem_type: unknown value {problem_type!r}; choose from "
                          f"{', '.join(PROBLEM_TYPES)}")
    level = _interpretability(interpretability_level)
    kind = problem_kind(problem_type)
    anomaly = problem_type in ("anomaly_detection", "anomaly_timeseries")
    estimators = estimator_names(kind, anomaly=anomaly, interpretable_only=level == 2,
                                 timeseries=problem_type == "regression_timeseries")
    if problem_type in TIMESERIES_PROBLEMS:
        splitting = ["time_order"]
    elif kind == "classification":
        splitting = ["stratified", "shuffled", "time_order"]
    else:
        splitting = ["shuffled", "time_order"]
    pipeline = [s for s in PIPELINE_STEPS if kind == "classification" or s not in _CLASSIFICATION_ONLY_STEPS]
    if level == 2:  # a model of other models' predictions is not explainable
        pipeline.remove("feature_stacking")
    if problem_type in TIMESERIES_PROBLEMS:
        pipeline.insert(pipeline.index("estimator"), *_TIMESERIES_STEPS)
    return {
        "estimators": estimators,
        "target_metric": list(metrics_for(problem_type)),
        "splitting_strategy": splitting,
        "pipeline": pipeline,
    }


def _unset(config: dict[str, Any], key: str) -> bool:
    return config.get(key) is None


def _enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


def _positive_int(config: dict[str, Any], key: str, default: int | None) -> int | None:
    value = config.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
        raise ConfigError(key, f"{key}: must be a whole number >= 1, got {value!r}")
    return int(value)


def _positive_number(config: dict[str, Any], key: str) -> float | None:
    value = config.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ConfigError(key, f"{key}: must be a number > 0 (seconds), got {value!r}")
    return float(value)


def _fraction(config: dict[str, Any], key: str) -> float | None:
    value = config.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ConfigError(key, f"{key}: must be a fraction between 0 and 1, got {value!r}")
    return float(value)


def _choice_list(config: dict[str, Any], key: str, allowed: list[str], what: str) -> list[str]:
    value = config.get(key)
    if value is None:
        return list(allowed)
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigError(key, f"{key}: must be a list of {what} values")
    out: list[str] = []
    for item in value:
        v = _enum_value(item)
        if v not in allowed:
            raise ConfigError(key, f"{key}: {v!r} is not available for this task; choose from "
                              f"{', '.join(allowed)}")
        if v not in out:
            out.append(v)
    if not out:
        raise ConfigError(key, f"{key}: choose at least one of {', '.join(allowed)}")
    return out


def validate_task_config(config: dict[str, Any], *, dataset: dict[str, Any]) -> dict[str, Any]:
    """Check a task configuration against its dataset and fill the engine's defaults.

    Args:
        config: the task configuration as posted (keys of the wire protocol; None means unset).
        dataset: the dataset record: ``problem_type``, ``target``, ``time_axis``, and ``meta`` (what
            :func:`~firefly_widgets.engine.describe_dataset` returned).

    Returns:
        A new dict: every key of ``config`` plus the normalized engine settings (see the module doc).

    Raises:
        ConfigError: naming the field and the valid values.
    """
    problem_type = dataset.get("problem_type") or (dataset.get("meta") or {}).get("problem_type")
    if problem_type not in PROBLEM_TYPES:
        raise ConfigError("problem_type", f"problem_type: unknown value {problem_type!r}; choose from "
                          f"{', '.join(PROBLEM_TYPES)}")
    meta = dataset.get("meta") or {}
    kind = problem_kind(problem_type)
    out = dict(config)

    level = _interpretability(_enum_value(config.get("interpretability_level")))
    out["interpretability_level"] = level if level is not None else 0
    options = available_options(problem_type, out["interpretability_level"])

    out["estimators"] = _choice_list(config, "estimators", options["estimators"], "Estimator")
    out["pipeline"] = _choice_list(config, "pipeline", options["pipeline"], "Pipeline")
    if config.get("pipeline") is not None and "estimator" not in out["pipeline"]:
        out["pipeline"].append("estimator")

    metric = _enum_value(config.get("target_metric"))
    if metric is None:
        metric = "recall_macro" if kind == "classification" else (
            "mae" if problem_type == "regression_timeseries" else "r2")
    if metric not in options["target_metric"]:
        raise ConfigError("target_metric", f"target_metric: {metric!r} is not available for {problem_type}; "
                          f"choose from {', '.join(options['target_metric'])}")
    stats = meta.get("target_stats") or {}
    if metric == "rmsle" and stats.get("min") is not None and stats["min"] < 0:
        raise ConfigError("target_metric", "target_metric: rmsle needs a target >= 0, but the target's "
                          f"minimum is {stats['min']}; choose another metric such as rmse")
    out["target_metric"] = metric

    splitting = _enum_value(config.get("splitting_strategy"))
    if splitting is None:
        splitting = "time_order" if problem_type in TIMESERIES_PROBLEMS else (
            "stratified" if kind == "classification" else "shuffled")
    if splitting not in options["splitting_strategy"]:
        raise ConfigError("splitting_strategy", f"splitting_strategy: {splitting!r} is not available for "
                          f"{problem_type}; choose from {', '.join(options['splitting_strategy'])}")
    out["splitting_strategy"] = splitting

    explainable = out["interpretability_level"] == 2
    out["ensemble_size"] = _positive_int(config, "ensemble_size", 1 if explainable else 5)
    if explainable and out["ensemble_size"] > 1:
        raise ConfigError("ensemble_size", "ensemble_size: interpretability level 2 (explainable) allows "
                          "single-model ensembles only; use ensemble_size 1")
    out["max_models_num"] = _positive_int(config, "max_models_num", 20 if explainable else 200)
    out["single_model_timeout"] = _positive_number(config, "single_model_timeout")
    out["prediction_latency"] = _positive_number(config, "prediction_latency")
    if config.get("timeout") is not None:
        _positive_number(config, "timeout")

    _validate_validation(config, out, meta, problem_type)
    _validate_costs(config, out, meta, kind)

    leaky = config.get("leaky_features")
    features = list(meta.get("features") or [])
    if leaky is None:
        out["leaky_features"] = []
    else:
        if isinstance(leaky, str) or not isinstance(leaky, (list, tuple)):
            raise ConfigError("leaky_features", "leaky_features: must be a list of column names")
        unknown = [c for c in leaky if features and c not in features]
        if unknown:
            raise ConfigError("leaky_features", f"leaky_features: not feature columns of the dataset: "
                              f"{', '.join(map(str, unknown))}; features are {', '.join(features[:50])}")
        if features and not [c for c in features if c not in leaky and c != meta.get("time_axis")]:
            raise ConfigError("leaky_features", "leaky_features: no feature would be left to train on")
        out["leaky_features"] = list(dict.fromkeys(leaky))

    for key in ("forecast_horizon", "model_life_time"):
        value = _positive_int(config, key, None)
        if value is not None and problem_type not in TIMESERIES_PROBLEMS:
            raise ConfigError(key, f"{key}: applies to timeseries problem types only, not {problem_type}")
        out[key] = value
    if problem_type in TIMESERIES_PROBLEMS and out["forecast_horizon"] is None:
        out["forecast_horizon"] = 1
    refit = config.get("refit_on_all")
    if refit is not None and not isinstance(refit, bool):
        raise ConfigError("refit_on_all", f"refit_on_all: must be true or false, got {refit!r}")
    out["refit_on_all"] = bool(refit)
    return out


def _validate_validation(config: dict[str, Any], out: dict[str, Any], meta: dict[str, Any],
                         problem_type: str) -> None:
    strategy = _enum_value(config.get("validation_strategy"))
    n_rows = int(meta.get("n_rows") or 0)
    if strategy is None:
        # small data: 5-fold cross-validation (steadier model choice, and bagged models); else a holdout
        sizes_given = any(config.get(k) is not None for k in ("train_size", "validation_size", "n_folds"))
        small = 0 < n_rows <= _SMALL_DATA_ROWS and problem_type not in TIMESERIES_PROBLEMS
        strategy = "cv" if small and not sizes_given else "holdout"
    if strategy not in ("holdout", "cv"):
        raise ConfigError("validation_strategy", f"validation_strategy: {strategy!r} is not valid; choose "
                          "holdout or cv")
    out["validation_strategy"] = strategy
    train = _fraction(config, "train_size")
    val = _fraction(config, "validation_size")
    test = _fraction(config, "test_size") or 0.0
    if strategy == "holdout":
        if val is None:
            val = 0.2 if train is None else 1.0 - train - test
        if train is None:
            train = 1.0 - val - test
        if train + val + test > 1.0 + 1e-9:
            raise ConfigError("train_size", f"train_size + validation_size + test_size must be at most 1; "
                              f"got {train:g} + {val:g} + {test:g} = {train + val + test:g}")
        if train <= 0 or val <= 0:
            field = "train_size" if train <= 0 else "validation_size"
            raise ConfigError(field, f"{field}: holdout validation needs train_size > 0 and validation_size > "
                              f"0; got train {train:g}, validation {val:g}, test {test:g}")
        if n_rows and (round(n_rows * val) < 2 or round(n_rows * train) < 2):
            raise ConfigError("validation_size", f"validation_size: with {n_rows} rows, train and validation "
                              "parts need at least 2 rows each; use larger sizes or more data")
        out["n_folds"] = None
        out["cv_strategy"] = None
    else:
        if train is not None and train + test > 1.0 + 1e-9:
            raise ConfigError("train_size", "train_size + test_size must be at most 1")
        n_folds = _positive_int(config, "n_folds", 5)
        if n_folds < 2:
            raise ConfigError("n_folds", f"n_folds: cross-validation needs at least 2 folds, got {n_folds}")
        if n_rows and n_folds > n_rows * (1 - test) / 2:
            raise ConfigError("n_folds", f"n_folds: {n_folds} folds are too many for {n_rows} rows")
        cv_strategy = _enum_value(config.get("cv_strategy")) or "average_models"
        if cv_strategy not in ("average_models", "last_model"):
            raise ConfigError("cv_strategy", f"cv_strategy: {cv_strategy!r} is not valid; choose "
                              "average_models or last_model")
        out["n_folds"] = n_folds
        out["cv_strategy"] = cv_strategy
        train = 1.0 - test if train is None else train
        val = 0.0
    out["fold_size"] = _positive_int(config, "fold_size", None)
    out["train_size"] = round(train, 10)
    out["validation_size"] = round(val, 10)
    out["test_size"] = round(test, 10)
    if n_rows and test > 0 and round(n_rows * test) < 1:
        raise ConfigError("test_size", f"test_size: {test:g} of {n_rows} rows leaves no test row")


def _validate_costs(config: dict[str, Any], out: dict[str, Any], meta: dict[str, Any], kind: str) -> None:
    weights = config.get("cost_matrix_weights")
    if weights is None:
        out["cost_matrix_weights"] = None
        return
    if kind != "classification":
        raise ConfigError("cost_matrix_weights", "cost_matrix_weights: applies to classification and anomaly "
                          "detection only")
    classes = meta.get("classes") or []
    k = len(classes)
    if not isinstance(weights, (list, tuple)) or len(weights) != k or any(
            not isinstance(row, (list, tuple)) or len(row) != k for row in weights):
        raise ConfigError("cost_matrix_weights", f"cost_matrix_weights: must be a {k}x{k} matrix (one row and "
                          f"column per class: {', '.join(classes)})")
    matrix: list[list[float]] = []
    for row in weights:
        parsed = []
        for v in row:
            try:
                x = float(v)
            except (TypeError, ValueError):
                raise ConfigError("cost_matrix_weights", f"cost_matrix_weights: {v!r} is not a number") from None
            if not math.isfinite(x):
                raise ConfigError("cost_matrix_weights", f"cost_matrix_weights: {v!r} is not finite")
            parsed.append(x)
        matrix.append(parsed)
    out["cost_matrix_weights"] = matrix
