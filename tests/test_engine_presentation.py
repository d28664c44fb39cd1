"""The presentation report: a short JSON summary of the chosen ensemble."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from firefly_widgets.engine import TrainingSpec, describe_dataset, run_task, validate_task_config
from firefly_widgets.engine.memory_recorder import MemoryRecorder


def _run(tmp_path, frame: pd.DataFrame, problem_type: str, config: dict, budget: float) -> MemoryRecorder:
    path = str(tmp_path / "data.csv")
    frame.to_csv(path, index=False)
    meta = describe_dataset(path, target="y", problem_type=problem_type)
    dataset = {"problem_type": problem_type, "target": "y", "meta": meta}
    config = validate_task_config(config, dataset=dataset)
    spec = TrainingSpec(task_id=1, data_path=path, dataset=dataset, config=config, work_dir=str(tmp_path / "work"),
                        time_budget=budget, n_jobs=1, seed=0)
    rec = MemoryRecorder()
    run_task(spec, rec)
    return rec


def test_presentation_summarizes_the_chosen_ensemble(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    frame["y"] = x[:, 0] * 2 - x[:, 1] + rng.normal(scale=0.2, size=300)
    rec = _run(tmp_path, frame, "regression",
               {"estimators": ["ridge_regression", "decision_tree", "k_nearest_neighbors"], "validation_size": 0.2,
                "test_size": 0.2, "max_models_num": 4}, 5)
    results = rec.results
    report = results["reports"]["presentation"]
    json.dumps(report)
    chosen = results["chosen_ensemble"]
    assert report["target_metric"] == "r2" and report["direction"] == "maximize"
    assert report["validation_score"] == chosen["score"]
    assert report["test_score"] == results["test_score"] is not None
    assert sorted(m["model_id"] for m in report["members"]) == sorted(chosen["model_ids"])
    assert report["ensemble_size"] == len(chosen["model_ids"])
    weights = [m["weight"] for m in report["members"]]
    assert weights == sorted(weights, reverse=True) and abs(sum(weights) - 1.0) < 1e-6
    scores = {m["id"]: m["score"] for m in results["leaderboard"]["models"]}
    assert all(m["score"] == scores[m["model_id"]] for m in report["members"])


def test_every_ensemble_gets_its_own_reports(tmp_path):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(400, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    frame["y"] = np.where(x[:, 0] - x[:, 1] + rng.normal(scale=0.5, size=400) > 0, "yes", "no")
    # the weakest estimators first, so that later models make several ensembles in turn
    rec = _run(tmp_path, frame, "classification",
               {"estimators": ["gaussian_nb", "decision_tree", "logreg", "k_nearest_neighbors"],
                "validation_size": 0.25, "test_size": 0.25, "max_models_num": 6, "target_metric": "accuracy"}, 20)
    results = rec.results
    chosen_id = results["chosen_ensemble"]["ensemble_id"]
    assert rec.reports[chosen_id] == results["reports"]
    rows = results["leaderboard"]["ensembles"]
    assert len(rows) >= 2, "the search recorded a single ensemble; the test needs several"
    by_id = {e["id"]: e for e in rec.ensembles}
    test_rows = results["split"]["test_rows"]
    for row in rows:
        assert row["reports"] is True, "a 20 s budget leaves time for every ensemble's reports"
        reports = rec.reports[row["id"]]
        assert set(reports) >= {"architecture", "presentation", "confusion", "roc_curve", "feature_importance",
                                "sensitivity", "test_prediction_sample"}
        members = sorted(m["model_id"] for m in reports["architecture"]["members"])
        assert members == sorted(by_id[row["id"]]["model_ids"])
        assert reports["presentation"]["validation_score"] == row["score"]
        assert reports["presentation"]["test_score"] == row["test_score"] is not None
        matrix = np.array(reports["confusion"]["matrix"])
        assert reports["confusion"]["part"] == "test" and matrix.sum() == test_rows
        # the confusion matrix is this ensemble's own: its accuracy is its test score
        assert np.trace(matrix) / matrix.sum() == pytest.approx(row["test_score"])
