"""The official ``fireflyai==0.0.61`` client, unchanged, drives the local service.

Install it with ``pip install --no-deps fireflyai==0.0.61`` (its imports boto3, pyjwt and s3fs come with
the ``dev`` extra). Its own upload goes to cloud storage, so the datasource is uploaded through the
service's direct upload; everything after that is the official client's code.
"""

from __future__ import annotations

import os

import pytest
from support import unique, wait_for

from firefly_widgets.sdk import Datasource as OurDatasource

if os.environ.get("CI"):  # CI installs it (the README's test command): there, its absence is a failure
    import fireflyai
    import fireflyai.api_requestor as api_requestor
else:
    fireflyai = pytest.importorskip("fireflyai")
    api_requestor = pytest.importorskip("fireflyai.api_requestor")

#: Seconds of search for the tasks these tests train to completion (tiny data; enough for a few models).
BUDGET = 10

OFFICIAL_FINAL = {"COMPLETED", "CANCELED", "FAILED"}


@pytest.fixture
def official(service, monkeypatch):
    """The official client pointed at the session's service (its api_requestor keeps its own base URL)."""
    monkeypatch.setattr(fireflyai, "token", service.token)
    monkeypatch.setattr(api_requestor, "api_base", service.url)
    return fireflyai


@pytest.fixture
def uploaded(client, iris_frame) -> dict:
    """Training data and prediction data uploaded through the service's direct upload."""
    train = OurDatasource.create_from_dataframe(iris_frame, unique("official-train"), wait=True)
    features = OurDatasource.create_from_dataframe(iris_frame.drop(columns="target").head(10),
                                                   unique("official-features"))
    return {"train_id": train["id"], "train_name": train["name"], "features_id": features["id"]}


def _official_error(info, expected_class):
    """The official client wraps every 4xx in ``APIError(response.content)``; the error it translated from the
    body (the one that shows the body had the keys it reads) is the ``__context__``."""
    assert isinstance(info.value, fireflyai.errors.APIError)
    translated = info.value.__context__
    assert isinstance(translated, expected_class), repr(translated)
    return str(translated)


def _wait_state(getter, item_id, states, field="state", timeout=90):
    return wait_for(lambda: getter(item_id)[field] in states and getter(item_id), timeout=timeout,
                    interval=0.2, message=f"{field} in {sorted(states)}")


def test_official_workflow_end_to_end(official, uploaded):
    ff = official
    enums = ff.enums

    # Datasource: read through the official client.
    source = ff.Datasource.get(uploaded["train_id"])
    assert source["name"] == uploaded["train_name"] and source["state"] == "AVAILABLE"
    assert ff.Datasource.get_by_name(uploaded["train_name"])["id"] == uploaded["train_id"]
    assert ff.Datasource.list(filter_={"name": [uploaded["train_name"]]})["total"] == 1
    assert ff.Datasource.get_feature_types(uploaded["train_id"])["target"] == "categorical"

    # Dataset.create with the official enums and wait=True.
    dataset_name = unique("official-ds")
    dataset = ff.Dataset.create(uploaded["train_id"], dataset_name, "target", enums.ProblemType.CLASSIFICATION,
                                wait=True)
    assert dataset["state"] == "AVAILABLE" and dataset["name"] == dataset_name
    estimators = ff.Dataset.get_available_estimators(dataset["id"])
    assert estimators and all(isinstance(e, enums.Estimator) for e in estimators)
    assert enums.TargetMetric.RECALL_MACRO in ff.Dataset.get_available_target_metric(dataset["id"])

    # Task.create with the official client's own defaults (it fetches the options itself).
    task_name = unique("official-task")
    created = ff.Task.create(task_name, dataset["id"], timeout=BUDGET)
    task_id = created["id"]
    assert isinstance(task_id, int)
    with pytest.raises(ff.errors.InvalidRequestError):  # the official duplicate check lists by name
        ff.Task.create(task_name, dataset["id"], timeout=BUDGET)
    task = _wait_state(ff.Task.get, task_id, OFFICIAL_FINAL)
    assert task["state"] == "COMPLETED", task.get("error")
    assert task["target_metric"] == "recall_macro" and task["ensemble_id"]

    assert ff.Task.get_by_name(task_name)["id"] == task_id
    assert ff.Task.list(filter_={"name": [task_name]})["total"] == 1
    assert ff.Task.list(search_term=task_name, page=0, page_size=5)["hits"][0]["id"] == task_id
    progress = ff.Task.get_task_progress(task_id)["result"]
    assert progress and progress[-1]["score"] is not None
    assert ff.Task.get_task_result(task_id).to_dict()
    assert ff.Task.edit_notes(task_id, "from the official client")["task_id"] == task_id
    assert ff.Task.get(task_id)["notes"] == "from the official client"

    # Ensembles of the task.
    ensembles = ff.Ensemble.list(filter_={"task_id": [task_id], "stage": ["TASK"]})
    assert ensembles["total"] >= 1
    assert ff.Ensemble.get(task["ensemble_id"])["state"] == "COMPLETED"
    assert ff.Ensemble.get_ensemble_id(task_id) in {h["id"] for h in ensembles["hits"]}

    # Prediction with the chosen ensemble.
    prediction_id = ff.Prediction.create(task["ensemble_id"], data_id=uploaded["features_id"])["id"]
    prediction = _wait_state(ff.Prediction.get, prediction_id, OFFICIAL_FINAL, field="stage")
    assert prediction["stage"] == "COMPLETED", prediction.to_dict()

    # Refit and more time, then clean up.
    refit_id = ff.Task.refit(task_id, uploaded["train_id"])["id"]
    assert _wait_state(ff.Ensemble.get, refit_id, OFFICIAL_FINAL)["stage"] == "REFIT"
    ff.Task.add_additional_time_to_completed_task(task_id, 2)
    assert _wait_state(ff.Task.get, task_id, {"COMPLETED"})["state"] == "COMPLETED"
    assert ff.Task.delete(task_id)["result"] is True
    with pytest.raises(ff.errors.APIError) as info:
        ff.Task.get(task_id)
    assert str(task_id) in _official_error(info, ff.errors.InvalidRequestError)


def test_official_task_controls(official, uploaded):
    ff = official
    dataset = ff.Dataset.create(uploaded["train_id"], unique("official-ctl"), "target",
                                ff.enums.ProblemType.CLASSIFICATION)
    task_id = ff.Task.create(unique("official-ctl"), dataset["id"], timeout=60)["id"]
    ff.Task.pause_task(task_id)
    _wait_state(ff.Task.get, task_id, {"PAUSED"})
    ff.Task.resume_task(task_id)
    _wait_state(ff.Task.get, task_id, {"QUEUED", "RUNNING"})
    ff.Task.cancel_task(task_id)
    _wait_state(ff.Task.get, task_id, {"CANCELED"})
    with pytest.raises(ff.errors.APIError) as info:
        ff.Task.pause_task(task_id)
    assert "CANCELED" in _official_error(info, ff.errors.InvalidRequestError)
    ff.Task.rerun_task(task_id)
    _wait_state(ff.Task.get, task_id, {"QUEUED", "RUNNING"})
    assert ff.Task.delete(task_id)["result"] is True


def test_official_errors_are_readable(official, service, monkeypatch):
    ff = official
    with pytest.raises(ff.errors.APIError) as info:
        ff.Dataset.get(987654321)
    assert "987654321" in _official_error(info, ff.errors.InvalidRequestError)
    with pytest.raises(ff.errors.APIError) as info:
        ff.Task.create(unique("bad-timeout"), 987654321, timeout=5)
    assert "987654321" in _official_error(info, ff.errors.InvalidRequestError)
    monkeypatch.setattr(ff, "token", "wrong-token")
    with pytest.raises(ff.errors.APIError) as info:
        ff.Task.list()
    _official_error(info, ff.errors.AuthenticationError)
