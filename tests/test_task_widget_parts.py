"""TaskWidget's pure parts: form parsing and visibility, action rules, results, budget, chart data."""

from __future__ import annotations

import numpy as np
import pytest

from firefly_widgets.widgets.actions import ACTIONS, action_buttons, is_confirmed_by
from firefly_widgets.widgets.charts import ScoreChart, best_so_far
from firefly_widgets.widgets.form import parse_config, visible_fields
from firefly_widgets.widgets.live_view import budget_view, header_view
from firefly_widgets.widgets.results import confusion_matrix, feature_importance, leaderboard, results_view
from firefly_widgets.widgets.task_feed import poll_interval

# -- the form ---------------------------------------------------------------------------------------

CONDITIONAL = {"cost_matrix_weights", "n_folds", "cv_strategy", "fold_size", "validation_size",
               "forecast_horizon", "horizon", "model_life_time"}


@pytest.mark.parametrize("problem, metric, validation, shown", [
    ("classification", "recall_macro", None, {"validation_size"}),
    ("classification", "cost_metric", None, {"validation_size", "cost_matrix_weights"}),
    ("regression", "cost_metric", None, {"validation_size"}),
    ("classification", "accuracy", "cv", {"n_folds", "cv_strategy", "fold_size"}),
    ("regression_timeseries", "mae", None, {"validation_size", "forecast_horizon", "horizon", "model_life_time"}),
    ("anomaly_timeseries", "cost_metric", "cv",
     {"cost_matrix_weights", "n_folds", "cv_strategy", "fold_size", "forecast_horizon", "horizon", "model_life_time"}),
    (None, None, None, {"validation_size"}),
])
def test_visible_fields_per_choice(problem, metric, validation, shown):
    visible = visible_fields(problem, metric, validation)
    assert visible & CONDITIONAL == shown
    assert {"name", "dataset_id", "target_metric", "timeout", "estimators"} <= visible


def raw(**values):
    base = {"name": "t1", "dataset_id": 3, "target_metric": "", "timeout": "", "validation_strategy": ""}
    return {**base, **values}


def test_parse_config_leaves_empty_fields_to_the_service_defaults():
    config, errors = parse_config(raw(estimators=(), notes=" "), problem_type="classification", classes=[])
    assert errors == {}
    assert config == {"name": "t1", "dataset_id": 3}


def test_parse_config_converts_every_kind():
    config, errors = parse_config(raw(
        timeout="30", target_metric="accuracy", estimators=("logreg", "random_forest"), ensemble_size="3",
        train_size="0.7", test_size="0.2", refit_on_all=True, validation_strategy="cv", n_folds="4",
        interpretability_level=2, notes="hello",
    ), problem_type="classification", classes=["a", "b"])
    assert errors == {}
    assert config == {"name": "t1", "dataset_id": 3, "timeout": 30, "target_metric": "accuracy",
                      "estimators": ["logreg", "random_forest"], "ensemble_size": 3, "train_size": 0.7,
                      "test_size": 0.2, "refit_on_all": True, "validation_strategy": "cv", "n_folds": 4,
                      "interpretability_level": 2, "notes": "hello"}


@pytest.mark.parametrize("values, field, message", [
    ({"name": "  "}, "name", "Name: required"),
    ({"dataset_id": None}, "dataset_id", "choose a dataset"),
    ({"timeout": "ten"}, "timeout", "'ten' is not a whole number"),
    ({"timeout": "0"}, "timeout", "must be at least 1, got 0"),
    ({"timeout": "1.5"}, "timeout", "not a whole number"),
    ({"ensemble_size": "-2"}, "ensemble_size", "at least 1"),
    ({"train_size": "1.2"}, "train_size", "between 0 and 1"),
    ({"test_size": "abc"}, "test_size", "'abc' is not a number"),
    ({"train_size": "0.8", "test_size": "0.3"}, "test_size", "add up to more than 1"),
    ({"validation_strategy": "cv", "n_folds": "1"}, "n_folds", "at least 2"),
    ({"target_metric": "cost_metric", "cost_matrix_weights": [["0", "x"], ["1", "0"]]},
     "cost_matrix_weights", "row 1, column 2: 'x' is not a number"),
    ({"target_metric": "cost_metric", "cost_matrix_weights": [["0"]]}, "cost_matrix_weights", "2 x 2"),
])
def test_parse_config_reports_each_invalid_field(values, field, message):
    config, errors = parse_config(raw(**values), problem_type="classification", classes=["a", "b"])
    assert list(errors) == [field]
    assert message in errors[field]
    assert field not in config


def test_hidden_fields_are_not_sent_nor_checked():
    config, errors = parse_config(raw(n_folds="zero", cost_matrix_weights=[["x"]], forecast_horizon="-1"),
                                  problem_type="classification", classes=["a", "b"])
    assert errors == {}
    assert not {"n_folds", "cost_matrix_weights", "forecast_horizon"} & set(config)


def test_cost_matrix_is_sent_as_numbers():
    config, errors = parse_config(raw(target_metric="cost_metric", cost_matrix_weights=[["0", "2.5"], ["1", "0"]]),
                                  problem_type="classification", classes=["a", "b"])
    assert errors == {}
    assert config["cost_matrix_weights"] == [[0.0, 2.5], [1.0, 0.0]]


# -- actions ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("state, enabled", [
    ("QUEUED", {"pause", "cancel"}),
    ("RUNNING", {"pause", "cancel"}),
    ("PAUSED", {"resume", "cancel"}),
    ("COMPLETED", {"rerun", "add_time", "refit", "delete"}),
    ("FAILED", {"rerun", "delete"}),
    ("CANCELED", {"rerun", "delete"}),
])
def test_buttons_enabled_per_state(state, enabled):
    buttons = action_buttons({"state": state, "ensemble_id": 7 if state == "COMPLETED" else None}, None)
    assert [b["name"] for b in buttons] == list(ACTIONS)
    assert {b["name"] for b in buttons if b["enabled"]} == enabled
    assert {b["name"] for b in buttons if b["destructive"]} == {"cancel", "rerun", "delete"}


def test_pending_or_deleted_disables_every_button():
    pending = action_buttons({"state": "RUNNING"}, "pause")
    assert not any(b["enabled"] for b in pending)
    assert [b["name"] for b in pending if b["pending"]] == ["pause"]
    assert not any(b["enabled"] for b in action_buttons({"state": "COMPLETED", "ensemble_id": 1}, None, deleted=True))


def test_refit_needs_an_ensemble():
    buttons = {b["name"]: b for b in action_buttons({"state": "COMPLETED", "ensemble_id": None}, None)}
    assert not buttons["refit"]["enabled"]


@pytest.mark.parametrize("action, before, after, confirmed", [
    ("pause", {"state": "RUNNING"}, {"state": "RUNNING"}, False),
    ("pause", {"state": "RUNNING"}, {"state": "PAUSED"}, True),
    ("pause", {"state": "RUNNING"}, {"state": "COMPLETED"}, True),
    ("resume", {"state": "PAUSED"}, {"state": "RUNNING"}, True),
    ("cancel", {"state": "RUNNING"}, {"state": "CANCELED"}, True),
    ("rerun", {"state": "COMPLETED", "version": 1}, {"state": "COMPLETED", "version": 1}, False),
    ("rerun", {"state": "COMPLETED", "version": 1}, {"state": "QUEUED", "version": 2}, True),
    ("rerun", {"state": "COMPLETED", "version": 1}, {"state": "COMPLETED", "version": 2}, True),
    ("add_time", {"state": "COMPLETED", "timeout": 5}, {"state": "COMPLETED", "timeout": 10}, True),
])
def test_pending_action_is_confirmed_by_the_service_state(action, before, after, confirmed):
    assert is_confirmed_by(action, before, after) is confirmed


# -- polling intervals ------------------------------------------------------------------------------

@pytest.mark.parametrize("state, watched, interval", [
    ("RUNNING", True, 1.0), ("RUNNING", False, 5.0), ("QUEUED", True, 2.0), ("PAUSED", True, 2.0),
    ("PAUSED", False, 5.0),
    ("COMPLETED", True, None), ("FAILED", False, None), ("CANCELED", True, None),
])
def test_poll_interval(state, watched, interval):
    assert poll_interval(state, watched=watched) == interval


# -- header, budget, chart --------------------------------------------------------------------------

def test_header_view_names_the_metric_direction():
    header = header_view({"id": 4, "name": "t", "state": "RUNNING", "dataset_name": "iris",
                          "problem_type": "classification", "target_metric": "log_loss", "best_score": 0.3})
    assert header["direction"] == "minimize"
    assert (header["name"], header["dataset"], header["best_score"]) == ("t", "iris", 0.3)
    assert header_view({"target_metric": "accuracy"})["direction"] == "maximize"


def test_budget_view_running_and_finished():
    running = budget_view({"state": "RUNNING", "run_time": 10, "timeout": 40}, now=105.0, fetched_at=100.0)
    assert (running["elapsed"], running["fraction"], running["eta"]) == (15.0, 0.375, 25.0)
    done = budget_view({"state": "COMPLETED", "run_time": 50, "timeout": 40})
    assert (done["elapsed"], done["fraction"], done["eta"]) == (40.0, 1.0, None)


def test_best_so_far_follows_the_direction():
    assert best_so_far([0.5, 0.4, 0.7, 0.6], "maximize").tolist() == [0.5, 0.5, 0.7, 0.7]
    assert best_so_far([0.5, 0.4, 0.7, 0.3], "minimize").tolist() == [0.5, 0.4, 0.4, 0.3]


def test_score_chart_sends_float_arrays_and_labels_the_metric():
    chart = ScoreChart()
    chart.set_metric("mae", "minimize")
    progress = [{"index": i, "ensemble_id": i, "score": s, "run_time": t}
                for i, (s, t) in enumerate([(3.0, 1.0), (2.0, 2.5), (2.5, 4.0)])]
    assert chart.update(progress) is True
    assert chart.update(progress) is False
    assert chart.scatter.x.dtype == np.float64 and chart.scatter.y.tolist() == [3.0, 2.0, 2.5]
    assert chart.best.y.tolist() == [3.0, 2.0, 2.0]
    assert chart.y_axis.label == "mae (lower is better)"
    assert "ff-score-chart" in chart.figure._dom_classes


# -- results ----------------------------------------------------------------------------------------

def test_feature_importance_shapes():
    expected = {"features": ["b", "a"], "importance": [0.7, 0.3]}
    assert feature_importance({"feature_importance": {"a": 0.3, "b": 0.7}}) == expected
    assert feature_importance({"feature_importance": [{"feature": "a", "importance": 0.3},
                                                      {"feature": "b", "importance": 0.7}]}) == expected
    assert feature_importance({"reports": {"feature_importance": {"features": ["a", "b"],
                                                                  "importance": [0.3, 0.7]}}}) == expected
    assert feature_importance({}) is None


def test_confusion_matrix_and_leaderboard():
    cm = confusion_matrix({"confusion": {"labels": ["x", "y"], "matrix": [[5, 1], [0, 4]]}})
    assert cm == {"labels": ["x", "y"], "matrix": [[5, 1], [0, 4]]}
    assert confusion_matrix({"confusion_matrix": [[1, 2], [3, 4]]})["labels"] == ["0", "1"]
    board = leaderboard({"leaderboard": [{"ensemble_id": 1, "score": 0.91234567, "estimators": ["a", "b"]}]})
    assert board == {"columns": ["ensemble_id", "score", "estimators"], "rows": [[1, 0.912346, "a, b"]]}
    engine_shape = {"leaderboard": {"models": [{"id": 3, "estimator": "logreg", "score": 0.9, "status": "ok",
                                                "fit_seconds": 0.1, "params": {"C": 1.0}, "error": None}],
                                    "ensembles": [{"id": 1, "score": 0.9, "model_ids": [3], "weights": [1.0]}]}}
    assert leaderboard(engine_shape) == {"columns": ["id", "estimator", "score", "status", "fit_seconds"],
                                         "rows": [[3, "logreg", 0.9, "ok", 0.1]]}
    assert results_view(None) == {}
    assert set(results_view({"leaderboard": [{"a": 1}], "feature_importance": {"f": 1}})) == {
        "leaderboard", "importance"}


# -- text and HTML where no widget front end exists ------------------------------------------------

def test_summaries_name_the_state_and_best_score():
    from firefly_widgets.widgets.live_view import summary_html, summary_text

    task = {"name": "iris <1>", "target_metric": "accuracy", "best_score": 0.912345, "dataset_name": "iris"}
    text = summary_text(4, task, "RUNNING", 7, "")
    assert text == "TaskWidget(task_id=4, name='iris <1>', state=RUNNING, best accuracy=0.9123, ensembles=7)"
    assert summary_text(None, {}, "", 0, "") == "TaskWidget(new task form)"
    assert "error='boom'" in summary_text(4, {}, "FAILED", 0, "boom")
    page = summary_html(4, task, "RUNNING", 7, "")
    assert "iris &lt;1&gt;" in page and "0.9123" in page and "RUNNING" in page
