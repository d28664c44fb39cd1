"""The presentation report: a short JSON summary of the chosen ensemble."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from firefly_widgets.engine import TrainingSpec, describe_dataset, run_task, validate_task_config
from firefly_widgets.engine.memory_recorder import MemoryRecorder


def test_presentation_summarizes_the_chosen_ensemble(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    frame["y"] = x[:, 0] * 2 - x[:, 1] + rng.normal(scale=0.2, size=300)
    path = str(tmp_path / "data.csv")
    frame.to_csv(path, index=False)
    meta = describe_dataset(path, target="y", problem_type="regression")
    dataset = {"problem_type": "regression", "target": "y", "meta": meta}
    cfg = validate_task_config({"estimators": ["ridge_regression", "decision_tree", "k_nearest_neighbors"],
                                "validation_size": 0.2, "test_size": 0.2, "max_models_num": 4}, dataset=dataset)
    spec = TrainingSpec(task_id=1, data_path=path, dataset=dataset, config=cfg, work_dir=str(tmp_path / "work"),
                        time_budget=5, n_jobs=1, seed=0)
    rec = MemoryRecorder()
    run_task(spec, rec)
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
