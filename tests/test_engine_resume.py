"""A worker SIGKILLed in the middle of a search: the next run continues from what was recorded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import optuna
import pandas as pd
from sklearn.datasets import load_breast_cancer

from firefly_widgets.engine import TrainingSpec, describe_dataset, predict_csv, run_task, validate_task_config
from firefly_widgets.engine.memory_recorder import MemoryRecorder

_WORKER = textwrap.dedent("""
    import json, sys
    from firefly_widgets.engine import TrainingSpec, run_task
    from firefly_widgets.engine.memory_recorder import MemoryRecorder
    spec = TrainingSpec(**json.loads(sys.argv[1]))
    run_task(spec, MemoryRecorder(sys.argv[2]))
""")


def _models_recorded(store: str) -> int:
    try:
        with open(store, encoding="utf-8") as f:
            return len(json.load(f)["models"])
    except (OSError, ValueError):
        return 0


def test_sigkill_mid_search_then_resume(tmp_path):
    frame = load_breast_cancer(as_frame=True).frame
    path = str(tmp_path / "bc.csv")
    frame.to_csv(path, index=False)
    meta = describe_dataset(path, target="target", problem_type="classification")
    dataset = {"problem_type": "classification", "target": "target", "meta": meta}
    config = validate_task_config({"estimators": ["logreg", "random_forest", "extra_trees"], "max_models_num": 200,
                                   "validation_size": 0.2},
                                  dataset=dataset)
    spec = dict(task_id=7, data_path=path, dataset=dataset, config=config, work_dir=str(tmp_path / "work"),
                time_budget=60.0, n_jobs=1, seed=0)
    store = str(tmp_path / "records.json")
    worker = subprocess.Popen([sys.executable, "-c", _WORKER, json.dumps(spec), store], cwd=os.getcwd())
    try:
        deadline = time.monotonic() + 40
        while _models_recorded(store) < 3 and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.05)
        assert _models_recorded(store) >= 3, "the worker trains and records models"
        time.sleep(0.3)  # most likely in the middle of the next trial
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    killed_with = _models_recorded(store)
    journal = os.path.join(spec["work_dir"], "study.journal")
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(journal))
    name = optuna.get_all_study_names(storage)[0]
    trials_before = len(optuna.load_study(study_name=name, storage=storage).trials)

    resumed = MemoryRecorder(store)
    run_task(TrainingSpec(**dict(spec, time_budget=3.0, config=dict(config, max_models_num=killed_with + 3))),
             resumed)
    assert len(resumed.models) == killed_with + 3 or len(resumed.models) > killed_with
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(journal))
    assert optuna.get_all_study_names(storage) == [name], "the same study continues"
    study = optuna.load_study(study_name=name, storage=storage)
    assert len(study.trials) > trials_before
    assert not [t for t in study.trials if t.state == optuna.trial.TrialState.RUNNING]
    assert resumed.results and resumed.results["final"]
    out = str(tmp_path / "pred.csv")
    manifest = resumed.ensembles[-1]["manifest"]
    assert predict_csv(manifest, work_dir=spec["work_dir"], data_path=path, out_path=out) == len(frame)
    assert len(pd.read_csv(out)) == len(frame)
