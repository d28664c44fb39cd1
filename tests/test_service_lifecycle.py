"""Task states over the wire: QUEUED -> RUNNING -> COMPLETED, pause/resume, cancel, rerun, add time, refit, delete."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from support import unique, wait_for

FINAL = {"COMPLETED", "FAILED", "CANCELED"}


def _task(wire, task_id):
    return wire.ok("GET", f"tasks/{task_id}")


def _wait_state(wire, task_id, states, timeout=60):
    states = {states} if isinstance(states, str) else set(states)
    seen = {}

    def reached():
        seen.update(_task(wire, task_id))
        return seen["state"] in states and dict(seen)

    try:
        return wait_for(reached, timeout=timeout, message=f"task {task_id} to reach {sorted(states)}")
    except AssertionError as err:
        raise AssertionError(f"{err}; the task: {seen}") from None


def _error(response, status, *needles):
    assert response.status_code == status, response.text
    for needle in needles:
        assert needle in response.json()["error"]


@pytest.fixture(scope="module")
def iris_dataset(wire, iris_frame):
    name = unique("life-iris")
    source = wire.upload(iris_frame.to_csv(index=False), name).json()["id"]
    return wire.ok("POST", "datasets", json={"name": name, "data_id": source, "target": "target",
                                             "problem_type": "classification"})["id"]


@pytest.fixture(scope="module")
def completed_task(wire, iris_dataset):
    """A task that trained to completion, shared by the read-only tests below."""
    task_id = wire.ok("POST", "tasks", json={"name": unique("done"), "dataset_id": iris_dataset, "timeout": 6,
                                            "max_models_num": 6})["task_id"]
    _wait_state(wire, task_id, FINAL, timeout=120)
    return task_id


def test_new_task_is_queued_or_running_never_created(wire, iris_dataset):
    body = {"name": unique("new"), "dataset_id": iris_dataset, "timeout": 2}
    task_id = wire.ok("POST", "tasks", json=body)["task_id"]
    task = _task(wire, task_id)
    assert task["state"] in {"QUEUED", "RUNNING"}
    assert task["job_state"] == task["state"]
    assert task["dataset_id"] == iris_dataset
    assert task["problem_type"] == "classification"
    for field in ("id", "name", "dataset_name", "ensemble_id", "source_ensemble_id", "target_metric",
                  "splitting_strategy", "notes", "creation_date", "last_update", "run_time", "user_id", "version"):
        assert field in task
    _wait_state(wire, task_id, FINAL, timeout=90)


def test_completed_task_has_progress_ensembles_and_results(wire, completed_task):
    task = _task(wire, completed_task)
    assert task["state"] == "COMPLETED", task
    assert 0 < task["run_time"] <= 6 + 5
    progress = wire.progress(completed_task)
    assert progress, "no progress entries"
    assert [p["index"] for p in progress] == list(range(len(progress)))
    assert all(isinstance(p["score"], float) for p in progress)
    assert all(p["size"] >= 1 for p in progress)
    assert [p["run_time"] for p in progress] == sorted(p["run_time"] for p in progress)
    assert task["ensemble_id"] == max(progress, key=lambda p: p["score"])["ensemble_id"]
    assert task["best_score"] == max(p["score"] for p in progress)
    assert 1 <= task["models_count"] <= 6
    tail = wire.progress(completed_task, since=len(progress) - 1)
    assert tail == progress[-1:]
    ensembles = wire.ok("GET", "ensembles", params={"filter": [f"task_id:{completed_task}", "stage:TASK"]})
    assert ensembles["total"] == len(progress)
    chosen = wire.ok("GET", f"ensembles/{task['ensemble_id']}")
    assert chosen["state"] == "COMPLETED" and chosen["task_id"] == completed_task
    results = wire.ok("GET", f"tasks/{completed_task}/results")["result"]
    assert results["ensemble_id"] == task["ensemble_id"]


def test_predictions_from_the_chosen_ensemble(wire, completed_task, iris_frame):
    features = iris_frame.drop(columns=["target"]).head(17)
    source = wire.upload(features.to_csv(index=False), unique("to-predict")).json()["id"]
    ensemble_id = _task(wire, completed_task)["ensemble_id"]
    prediction = wire.ok("POST", "predictions", json={"ensemble_id": ensemble_id, "datasource_id": source})["id"]
    early = wire.call("GET", f"predictions/{prediction}/download")
    if early.status_code != 200:
        _error(early, 400, "not ready")
    wait_for(lambda: wire.ok("GET", f"predictions/{prediction}")["stage"] in FINAL, timeout=60,
             message="the prediction")
    assert wire.ok("GET", f"predictions/{prediction}")["stage"] == "COMPLETED"
    response = wire.call("GET", f"predictions/{prediction}/download")
    assert response.status_code == 200
    frame = pd.read_csv(io.StringIO(response.text))
    assert len(frame) == 17
    assert set(frame["prediction"]) <= {"setosa", "versicolor", "virginica"}
    assert {f"probability_{c}" for c in ("setosa", "versicolor", "virginica")} <= set(frame.columns)


def test_pause_resume_cancel(wire, iris_dataset):
    task_id = wire.ok("POST", "tasks", json={"name": unique("ctl"), "dataset_id": iris_dataset,
                                            "timeout": 60})["task_id"]
    _wait_state(wire, task_id, "RUNNING")
    assert wire.ok("POST", f"tasks/{task_id}/pause")["state"] == "PAUSED"
    paused = _task(wire, task_id)
    assert paused["state"] == "PAUSED"
    _error(wire.call("POST", f"tasks/{task_id}/pause"), 400, "cannot pause", "PAUSED")
    _error(wire.call("POST", f"tasks/{task_id}/rerun"), 400, "cannot rerun")
    run_time = paused["run_time"]
    assert _task(wire, task_id)["run_time"] == run_time, "a paused task's run time must not grow"
    assert wire.ok("POST", f"tasks/{task_id}/resume")["state"] in {"QUEUED", "RUNNING"}
    _wait_state(wire, task_id, "RUNNING")
    wire.ok("POST", f"tasks/{task_id}/cancel")
    assert _task(wire, task_id)["state"] == "CANCELED"
    _error(wire.call("POST", f"tasks/{task_id}/resume"), 400, "cannot resume", "CANCELED")
    _error(wire.call("POST", f"tasks/{task_id}/add_additional_time/10"), 400, "cannot add time")


def test_rerun_starts_afresh(wire, iris_dataset):
    task_id = wire.ok("POST", "tasks", json={"name": unique("rerun"), "dataset_id": iris_dataset, "timeout": 3,
                                            "max_models_num": 3})["task_id"]
    _wait_state(wire, task_id, FINAL, timeout=90)
    before = _task(wire, task_id)
    wire.ok("POST", f"tasks/{task_id}/rerun")
    again = _task(wire, task_id)
    assert again["state"] in {"QUEUED", "RUNNING"}
    assert again["version"] == before["version"] + 1
    assert again["run_time"] < before["run_time"] or again["run_time"] < 1
    assert wire.progress(task_id) == [] or again["state"] == "RUNNING"
    _wait_state(wire, task_id, "COMPLETED", timeout=90)
    assert wire.progress(task_id)


def test_add_time_continues_a_completed_task(wire, iris_dataset):
    task_id = wire.ok("POST", "tasks", json={"name": unique("more"), "dataset_id": iris_dataset,
                                            "timeout": 3})["task_id"]
    done = _wait_state(wire, task_id, FINAL, timeout=90)
    assert done["state"] == "COMPLETED"
    models = done["models_count"]
    wire.ok("POST", f"tasks/{task_id}/add_additional_time/3")
    assert _task(wire, task_id)["timeout"] == done["timeout"] + 3
    finished = wait_for(lambda: (t := _task(wire, task_id))["state"] == "COMPLETED" and t["run_time"] > done["run_time"]
                        and t, timeout=90, message="the extra time to be used")
    assert finished["models_count"] >= models
    assert finished["version"] == done["version"]


def test_notes(wire, completed_task):
    assert wire.ok("PUT", f"tasks/{completed_task}/notes", json={"notes": "tried it"}) == {"task_id": completed_task}
    assert _task(wire, completed_task)["notes"] == "tried it"


def test_refit_makes_a_new_ensemble(wire, completed_task, iris_frame):
    source = wire.upload(iris_frame.sample(frac=1.0, random_state=1).to_csv(index=False), unique("refit")).json()["id"]
    ensemble_id = _task(wire, completed_task)["ensemble_id"]
    new_id = wire.ok("POST", f"ensembles/{ensemble_id}/refit", json={"datasource_id": source})["ensemble_id"]
    assert new_id != ensemble_id
    refit = wait_for(lambda: (e := wire.ok("GET", f"ensembles/{new_id}"))["state"] in FINAL and e, timeout=60,
                     message="the refit")
    assert refit["state"] == "COMPLETED", refit
    assert refit["stage"] == "REFIT"
    assert refit["source_ensemble_id"] == ensemble_id
    listed = wire.ok("GET", "ensembles", params={"filter": [f"task_id:{completed_task}", "stage:REFIT"]})
    assert new_id in [e["id"] for e in listed["hits"]]


def test_refit_needs_the_target(wire, completed_task, iris_frame):
    source = wire.upload(iris_frame.drop(columns=["target"]).to_csv(index=False), unique("no-y")).json()["id"]
    ensemble_id = _task(wire, completed_task)["ensemble_id"]
    _error(wire.call("POST", f"ensembles/{ensemble_id}/refit", json={"datasource_id": source}), 400, "target")


def test_delete_stops_a_running_task(wire, service, iris_dataset):
    task_id = wire.ok("POST", "tasks", json={"name": unique("del"), "dataset_id": iris_dataset,
                                            "timeout": 60})["task_id"]
    running = _wait_state(wire, task_id, "RUNNING")
    assert running["state"] == "RUNNING"
    assert wire.ok("DELETE", f"tasks/{task_id}") == {"result": True}
    _error(wire.call("GET", f"tasks/{task_id}"), 404, f"task {task_id}")
    assert not (service.home / "tasks" / str(task_id)).exists()
    assert wire.ok("GET", "ensembles", params={"filter": f"task_id:{task_id}"})["total"] == 0


def test_dataset_in_use_cannot_be_deleted(wire, completed_task):
    dataset_id = _task(wire, completed_task)["dataset_id"]
    _error(wire.call("DELETE", f"datasets/{dataset_id}"), 400, "used by tasks")


def test_configuration_options(wire, iris_dataset):
    options = wire.ok("GET", "tasks/configuration/options", params={"dataset_id": iris_dataset})
    assert {"estimators", "target_metric", "splitting_strategy", "pipeline"} <= set(options)
    assert "recall_macro" in options["target_metric"] and "rmse" not in options["target_metric"]
    assert "random_forest" in options["estimators"]


def test_a_prediction_that_cannot_run_fails_with_the_reason(wire, completed_task):
    source = wire.upload("colour,size\nred,1\nblue,2\n", unique("wrong-columns")).json()["id"]
    ensemble_id = _task(wire, completed_task)["ensemble_id"]
    prediction = wire.ok("POST", "predictions", json={"ensemble_id": ensemble_id, "datasource_id": source})["id"]
    done = wait_for(lambda: (p := wire.ok("GET", f"predictions/{prediction}"))["stage"] in FINAL and p,
                    timeout=60, message="the prediction to end")
    assert done["stage"] == "FAILED"
    assert "petal" in done["error"] or "column" in done["error"], done["error"]
    assert "Traceback" not in done["error"]
    _error(wire.call("GET", f"predictions/{prediction}/download"), 400, "not ready", "FAILED")
