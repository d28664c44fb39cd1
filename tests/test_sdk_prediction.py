"""SDK Ensemble and Prediction: the ensembles a task produced, their reports, and predictions with them."""

from __future__ import annotations

import pandas as pd
import pytest
from support import unique

from firefly_widgets import sdk
from firefly_widgets.sdk import Dataset, Datasource, Ensemble, NotFoundError, Prediction, Task
from firefly_widgets.sdk.resource import wait_for_final_state

#: Seconds of search for the tasks these tests train to completion (tiny data; enough for a few models).
BUDGET = 10


@pytest.fixture(scope="module")
def finished(service, iris_frame) -> dict:
    """A completed iris task, and a datasource of its features (no target) to predict on."""
    sdk.connect(url=service.url, token=service.token)
    source = Datasource.create_from_dataframe(iris_frame, unique("pred-train"))
    dataset = Dataset.create(source["id"], unique("pred-iris"), "target", "classification", wait=True)
    task = Task.create(unique("pred-task"), dataset["id"], timeout=BUDGET, wait=True)
    assert task["state"] == "COMPLETED", task.get("error")
    features = Datasource.create_from_dataframe(iris_frame.drop(columns="target").head(12), unique("pred-in"))
    return {"task": task.to_dict(), "features_id": features["id"]}


def test_ensembles_of_a_task(client, finished):
    task = finished["task"]
    listed = Ensemble.list(filter_={"task_id": [task["id"]], "stage": ["TASK"]})
    assert listed["total"] >= 1
    assert all(h["task_id"] == task["id"] and h["stage"] == "TASK" for h in listed["hits"])
    chosen = Ensemble.get(task["ensemble_id"])
    assert chosen["id"] == task["ensemble_id"] and chosen["state"] == "COMPLETED"
    assert chosen["size"] >= 1 and chosen["estimators"]
    assert Ensemble.get_ensemble_id(task["id"]) in {h["id"] for h in listed["hits"]}
    assert Ensemble.edit_notes(chosen["id"], "the chosen one")
    assert Ensemble.get(chosen["id"])["notes"] == "the chosen one"


def test_reports_of_the_chosen_ensemble(client, finished):
    ensemble_id = finished["task"]["ensemble_id"]
    summary = Ensemble.get_ensemble_summary_report(ensemble_id)
    assert summary["id"] == ensemble_id and summary["members"]
    importance = Ensemble.get_feature_importance_report(ensemble_id).to_dict()
    assert importance, "feature importance of a trained ensemble is not empty"
    assert Ensemble.get_ensemble_confusion_matrix(ensemble_id).to_dict()
    assert Ensemble.get_ensemble_roc_curve(ensemble_id).to_dict()


def test_reports_of_the_other_ensembles(client, finished):
    task = finished["task"]
    results = Task.get_task_result(task["id"]).to_dict()
    others = [e for e in results["leaderboard"]["ensembles"] if e["id"] != task["ensemble_id"]]
    assert others, "the task recorded one ensemble only; the test needs several"
    with_reports = [e for e in others if e["reports"]]
    assert with_reports, "the report time window reached no other ensemble"
    for entry in with_reports:
        summary = Ensemble.get_model_presentation(entry["id"]).to_dict()
        assert summary["validation_score"] == pytest.approx(entry["score"])
        architecture = Ensemble.get_model_architecture(entry["id"]).to_dict()
        assert sorted(m["model_id"] for m in architecture["members"]) == sorted(entry["model_ids"])
        matrix = Ensemble.get_ensemble_confusion_matrix(entry["id"]).to_dict()["matrix"]
        assert sum(map(sum, matrix)) == results["split"]["train_rows"], "out-of-fold predictions of every row"
    Ensemble.delete(with_reports[-1]["id"])
    with pytest.raises(NotFoundError):
        Ensemble.get_ensemble_confusion_matrix(with_reports[-1]["id"])


@pytest.mark.parametrize("getter", ["get_model_sensitivity_report", "get_ensemble_test_prediction_sample",
                                    "get_model_architecture", "get_model_presentation"])
def test_optional_reports_answer_or_say_not_found(client, finished, getter):
    try:
        report = getattr(Ensemble, getter)(finished["task"]["ensemble_id"])
    except NotFoundError as err:
        assert "report" in err.message and str(finished["task"]["ensemble_id"]) in err.message
    else:
        assert report.status_code == 200


def test_prediction_create_get_download_delete(client, finished, tmp_path):
    task = finished["task"]
    prediction = Prediction.create(task["ensemble_id"], data_id=finished["features_id"], wait=True)
    assert prediction["stage"] == "COMPLETED", prediction.to_dict()
    assert prediction["ensemble_id"] == task["ensemble_id"]
    assert Prediction.get(prediction["id"])["datasource_id"] == finished["features_id"]
    assert Prediction.list(filter_={"ensemble_id": [task["ensemble_id"]]})["total"] >= 1

    frame = Prediction.download(prediction["id"])
    assert len(frame) == 12
    assert set(frame["prediction"]) <= {"setosa", "versicolor", "virginica"}
    probabilities = [c for c in frame.columns if c.startswith("probability_")]
    assert sorted(probabilities) == ["probability_setosa", "probability_versicolor", "probability_virginica"]
    assert frame[probabilities].sum(axis=1).round(6).eq(1).all()

    written = Prediction.download(prediction["id"], tmp_path / "out.csv")
    assert written == tmp_path / "out.csv"
    assert pd.read_csv(written).equals(frame)

    assert Prediction.delete(prediction["id"])["result"] is True
    with pytest.raises(NotFoundError):
        Prediction.get(prediction["id"])


def test_prediction_without_wait_returns_its_id(client, finished):
    created = Prediction.create(finished["task"]["ensemble_id"], data_id=finished["features_id"],
                                file_path="/data/in.csv")
    assert set(created.to_dict()) == {"id"}
    assert Prediction.get(created["id"])["data_name"] == "in.csv"  # named after file_path
    done = wait_for_final_state(Prediction.get, created["id"], state_field="stage", max_time=60)
    assert done["stage"] == "COMPLETED"
    Prediction.delete(created["id"])


def test_prediction_with_bad_ids_is_refused(client, finished):
    with pytest.raises(NotFoundError):
        Prediction.create(987654321, data_id=finished["features_id"])
    with pytest.raises(NotFoundError):
        Prediction.create(finished["task"]["ensemble_id"], data_id=987654321)
