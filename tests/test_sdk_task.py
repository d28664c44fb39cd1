"""SDK Task: every classmethod of the official client's Task, against the real service."""

from __future__ import annotations

import pytest
from support import unique, wait_for

from firefly_widgets import sdk
from firefly_widgets.enums import (
    Estimator,
    InterpretabilityLevel,
    SplittingStrategy,
    TargetMetric,
    ValidationStrategy,
)
from firefly_widgets.sdk import (
    AuthenticationError,
    Dataset,
    Datasource,
    InvalidRequestError,
    NotFoundError,
    Task,
    WaitTimeoutError,
)
from firefly_widgets.sdk.resource import wait_for_final_state

#: Seconds of search for the tasks these tests train to completion (tiny data; enough for a few models).
BUDGET = 10


@pytest.fixture(scope="module")
def iris_dataset(service, iris_frame) -> int:
    sdk.connect(url=service.url, token=service.token)
    source = Datasource.create_from_dataframe(iris_frame, unique("task-iris"))
    return Dataset.create(source["id"], unique("task-iris"), "target", "classification", wait=True)["id"]


@pytest.fixture(scope="module")
def trained(service, iris_dataset) -> dict:
    """One finished classification task with the client's defaults and a tiny budget."""
    sdk.connect(url=service.url, token=service.token)
    return Task.create(unique("trained"), iris_dataset, timeout=BUDGET, wait=True).to_dict()


def test_create_wait_returns_the_finished_task(client, trained, iris_dataset):
    assert trained["state"] == "COMPLETED", trained.get("error")
    assert trained["dataset_id"] == iris_dataset
    assert trained["ensemble_id"]
    config = trained["config"]
    assert config["target_metric"] == "recall_macro" and config["splitting_strategy"] == "stratified"
    assert config["timeout"] == BUDGET
    assert set(config["estimators"]) == {e.value for e in Dataset.get_available_estimators(iris_dataset)}


@pytest.mark.parametrize(
    ("problem_type", "level", "expected"),
    [
        ("classification", None, {"target_metric": "recall_macro", "splitting_strategy": "stratified"}),
        ("anomaly_detection", None, {"target_metric": "recall_macro", "splitting_strategy": "stratified"}),
        ("classification_timeseries", None, {"target_metric": "recall_macro", "splitting_strategy": "time_order"}),
        ("anomaly_timeseries", None, {"target_metric": "recall_macro", "splitting_strategy": "time_order"}),
        ("regression_timeseries", None, {"target_metric": "mae", "splitting_strategy": "time_order"}),
        ("regression", None, {"target_metric": "r2", "splitting_strategy": "shuffled"}),
        ("regression", InterpretabilityLevel.PRECISE, {"ensemble_size": 5, "max_models_num": 200}),
        ("classification", InterpretabilityLevel.EXPLAINABLE, {"ensemble_size": 1, "max_models_num": 20}),
        ("classification", InterpretabilityLevel.STANDARD_WITH_EXPLAINABILITY, {}),
    ],
)
def test_client_side_defaults_per_problem_type_and_level(client, iris_dataset, problem_type, level, expected):
    config = Task._get_config_defaults(dataset_id=iris_dataset, problem_type=problem_type, inter_level=level)
    for key, value in expected.items():
        assert config[key] == value
    if level is None or level is InterpretabilityLevel.STANDARD_WITH_EXPLAINABILITY:
        assert "ensemble_size" not in config and "max_models_num" not in config
    available = Dataset.get_available_estimators(iris_dataset, inter_level=level)
    assert config["estimators"] == [e.value for e in available]
    assert config["pipeline"] == [p.value for p in Dataset.get_available_pipeline(iris_dataset, inter_level=level)]


def test_every_create_parameter_reaches_the_service(client, iris_dataset):
    name = unique("all-params")
    created = Task.create(
        name, iris_dataset, estimators=[Estimator.LOGREG, "random_forest"], target_metric=TargetMetric.ACCURACY,
        splitting_strategy=SplittingStrategy.SHUFFLED, notes="every knob", ensemble_size=2, max_models_num=3,
        single_model_timeout=5, prediction_latency=10, interpretability_level=InterpretabilityLevel.PRECISE,
        timeout=2, train_size=0.6, validation_size=0.2, test_size=0.2,
        validation_strategy=ValidationStrategy.HOLDOUT, refit_on_all=False, leaky_features=[],
    )
    task = Task.get(created["id"])
    config = task["config"]
    assert task["name"] == name and task["notes"] == "every knob"
    assert task["target_metric"] == "accuracy" and task["splitting_strategy"] == "shuffled"
    assert sorted(config["estimators"]) == ["logreg", "random_forest"]
    assert (config["ensemble_size"], config["max_models_num"]) == (2, 3)  # explicit beats the level's defaults
    assert config["single_model_timeout"] == 5 and config["prediction_latency"] == 10
    assert config["interpretability_level"] == 0 and config["timeout"] == 2
    assert (config["train_size"], config["validation_size"], config["test_size"]) == (0.6, 0.2, 0.2)
    assert config["validation_strategy"] == "holdout" and config["refit_on_all"] is False
    Task.delete(created["id"])  # stops it first


def test_duplicate_names_and_skip_if_exists(client, trained, iris_dataset):
    with pytest.raises(InvalidRequestError, match="already exists"):
        Task.create(trained["name"], iris_dataset, timeout=2)
    assert Task.create(trained["name"], iris_dataset, skip_if_exists=True)["id"] == trained["id"]


def test_bad_arguments_are_refused_before_a_task_exists(client, iris_dataset):
    name = unique("bad-args")
    with pytest.raises(InvalidRequestError, match="target_metric: 'speed'"):
        Task.create(name, iris_dataset, target_metric="speed", timeout=2)
    with pytest.raises(NotFoundError):
        Task.create(name, 987654321, timeout=2)
    with pytest.raises(InvalidRequestError) as info:  # the service names the problem
        Task.create(name, iris_dataset, timeout=-5)
    assert "timeout" in info.value.message
    assert Task.list(filter_={"name": [name]})["total"] == 0


def test_horizon_is_deprecated(client, iris_dataset):
    with pytest.warns(DeprecationWarning, match="forecast_horizon"):
        created = Task.create(unique("horizon"), iris_dataset, horizon=3, timeout=1)
    assert "horizon" not in Task.get(created["id"])["config"]
    Task.delete(created["id"])


def test_queries_find_the_task(client, trained):
    assert Task.get(trained["id"])["name"] == trained["name"]
    assert Task.get_by_name(trained["name"])["id"] == trained["id"]
    assert Task.get_task_id(trained["name"]) == trained["id"]
    listed = Task.list(filter_={"name": [trained["name"]], "state": ["COMPLETED"]}, sort={"id": "desc"})
    assert listed["total"] == 1 and listed["hits"][0]["id"] == trained["id"]
    assert Task.list(search_term=trained["name"], page=0, page_size=1)["total"] >= 1
    with pytest.raises(NotFoundError):
        Task.get_by_name(unique("no-such-task"))
    with pytest.raises(AuthenticationError):
        Task.get(trained["id"], api_key="wrong-token")


def test_progress_and_results(client, trained):
    progress = Task.get_task_progress(trained["id"])["result"]
    assert progress, "a completed task has at least one ensemble score"
    first = progress[0]
    assert {"index", "ensemble_id", "score", "run_time", "size", "estimators", "creation_date"} <= set(first)
    assert [p["index"] for p in progress] == list(range(len(progress)))
    assert Task.get_task_progress(trained["id"], since=len(progress))["result"] == []
    assert Task.get_task_progress(trained["id"], since=len(progress) - 1)["result"] == progress[-1:]
    results = Task.get_task_result(trained["id"])
    assert results.to_dict(), "results of a completed task are not empty"


def test_edit_notes(client, trained):
    assert Task.edit_notes(trained["id"], "checked by the SDK tests")["task_id"] == trained["id"]
    assert Task.get(trained["id"])["notes"] == "checked by the SDK tests"


def test_pause_resume_cancel_rerun_delete(client, iris_dataset):
    task_id = Task.create(unique("control"), iris_dataset, timeout=60)["id"]
    assert Task.pause_task(task_id)["result"] is True
    wait_for(lambda: Task.get(task_id)["state"] == "PAUSED", timeout=30, message="PAUSED")
    Task.resume_task(task_id)
    wait_for(lambda: Task.get(task_id)["state"] in {"QUEUED", "RUNNING"}, timeout=30, message="resumed")
    Task.cancel_task(task_id)
    wait_for(lambda: Task.get(task_id)["state"] == "CANCELED", timeout=30, message="CANCELED")
    with pytest.raises(InvalidRequestError) as info:
        Task.resume_task(task_id)
    assert info.value.code == 400 and "CANCELED" in info.value.message.upper()
    Task.rerun_task(task_id)
    wait_for(lambda: Task.get(task_id)["state"] in {"QUEUED", "RUNNING"}, timeout=30, message="rerun")
    assert Task.delete(task_id)["result"] is True
    with pytest.raises(NotFoundError):
        Task.get(task_id)
    with pytest.raises(NotFoundError):
        Task.pause_task(task_id)


def test_wait_gives_up_with_a_timeout_error(client, iris_dataset):
    task_id = Task.create(unique("slow"), iris_dataset, timeout=60)["id"]
    try:
        with pytest.raises(WaitTimeoutError, match="still state="):
            wait_for_final_state(Task.get, task_id, max_time=0.3)
    finally:
        Task.delete(task_id)


def test_add_time_continues_a_completed_task(client, trained):
    before = Task.get(trained["id"])
    Task.add_additional_time_to_completed_task(trained["id"], 2)
    after = wait_for_final_state(Task.get, trained["id"], max_time=120)
    assert after["state"] == "COMPLETED"
    assert after["timeout"] > before["timeout"] or after["run_time"] > before["run_time"]
    with pytest.raises(InvalidRequestError):
        Task.add_additional_time_to_completed_task(trained["id"], 0)


def test_refit_makes_a_new_ensemble(client, trained, iris_frame):
    source = Datasource.create_from_dataframe(iris_frame, unique("refit-data"))
    refit = Task.refit(trained["id"], source["id"], wait=True)
    assert refit["stage"] == "REFIT" and refit["state"] == "COMPLETED", refit.to_dict()
    assert refit["task_id"] == trained["id"] and refit["id"] != Task.get(trained["id"])["ensemble_id"]
    queued = Task.refit(trained["id"], source["id"])
    assert set(queued.to_dict()) == {"id"} and queued["id"] != refit["id"]
