"""A worker process: runs one job (a task's search, a refit or a prediction) and records it in the store.

Started by the scheduler as ``python -m firefly_widgets.server.worker --home H --kind task --id 7
--parent PID``, in its own process group. It dies with the service (``PR_SET_PDEATHSIG`` and a watchdog)
and may be SIGKILLed at any moment by pause or cancel: everything it finished is already committed.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

from firefly_widgets import engine

from .db import Database, dumps, loads
from .lifecycle import finish_job, finish_task, mark_started
from .recorder import StoreRecorder
from .settings import ServiceSettings
from .store import dataset_record, datasource_row, ensemble_row, prediction_row, task_row

__all__ = ["main"]


def _die_with_parent(parent: int) -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    if os.getppid() != parent:
        os._exit(3)

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(3)
            time.sleep(1.0)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _failure_reason(err: Exception, what: str) -> str:
    """The message a failed job records: the engine's own words, or (a bug) the error's type and text,
    with the trace in the worker's log."""
    if isinstance(err, engine.EngineError):
        return str(err)
    traceback.print_exc()
    return f"{what} failed: {type(err).__name__}: {err}"


def run_task(db: Database, settings: ServiceSettings, task_id: int, n_jobs: int) -> None:
    pid = os.getpid()
    train = engine.run_task  # loads the training stack before the task's clock starts
    if not mark_started(db, task_id, pid=pid):
        return  # paused, canceled or deleted while this worker started
    task = task_row(db, task_id)
    try:
        dataset = dataset_record(db, task["dataset_id"])
        recorder = StoreRecorder(db, task_id)
        work_dir = settings.run_dir(task_id, task["generation"])
        work_dir.mkdir(parents=True, exist_ok=True)
        spec = engine.TrainingSpec(
            task_id=task_id, data_path=dataset["data_path"], dataset=dataset, config=loads(task["config"], {}),
            work_dir=str(work_dir), time_budget=max(0.0, task["timeout"] - recorder.elapsed()), n_jobs=n_jobs,
            seed=task_id)
        train(spec, recorder)
    except Exception as err:
        finish_task(db, task_id, pid=pid, state="FAILED", error=_failure_reason(err, "training"))
        return
    finish_task(db, task_id, pid=pid, state="COMPLETED")


def run_refit(db: Database, settings: ServiceSettings, ensemble_id: int) -> None:
    pid = os.getpid()
    row = ensemble_row(db, ensemble_id)
    try:
        source = ensemble_row(db, row["source_ensemble_id"])
        task = task_row(db, row["task_id"])
        dataset = dataset_record(db, task["dataset_id"])
        data = datasource_row(db, row["datasource_id"])
        work_dir = settings.run_dir(task["id"], source["generation"])
        manifest = engine.refit_ensemble(
            loads(source["manifest"], {}), work_dir=str(work_dir), data_path=data["path"], target=dataset["target"],
            out_subdir=f"refit{ensemble_id}", na_values=loads(data["na_values"]))
    except Exception as err:
        finish_job(db, "refit", ensemble_id, pid=pid,
                   values={"state": "FAILED", "error": _failure_reason(err, "the refit")})
        return
    finish_job(db, "refit", ensemble_id, pid=pid, values={"state": "COMPLETED", "manifest": dumps(manifest)})


def run_prediction(db: Database, settings: ServiceSettings, prediction_id: int) -> None:
    pid = os.getpid()
    row = prediction_row(db, prediction_id)
    out = settings.predictions_dir / f"prediction-{prediction_id}.csv"
    try:
        ensemble = ensemble_row(db, row["ensemble_id"])
        task = task_row(db, ensemble["task_id"])
        data = datasource_row(db, row["datasource_id"])
        work_dir = settings.run_dir(task["id"], ensemble["generation"])
        out.parent.mkdir(parents=True, exist_ok=True)
        rows = engine.predict_csv(loads(ensemble["manifest"], {}), work_dir=str(work_dir), data_path=data["path"],
                                  out_path=str(out), na_values=loads(data["na_values"]))
    except Exception as err:
        finish_job(db, "predict", prediction_id, pid=pid,
                   values={"stage": "FAILED", "error": _failure_reason(err, "the prediction")})
        return
    finish_job(db, "predict", prediction_id, pid=pid,
               values={"stage": "COMPLETED", "path": str(out), "row_count": rows})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="firefly_widgets.server.worker")
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--kind", required=True, choices=["task", "refit", "predict"])
    parser.add_argument("--id", required=True, type=int)
    parser.add_argument("--parent", required=True, type=int)
    parser.add_argument("--cpus", type=int, default=1)
    args = parser.parse_args(argv)
    _die_with_parent(args.parent)
    with contextlib.suppress(OSError):
        os.nice(10)  # training yields the CPU to the service, which must stay responsive
    settings = ServiceSettings(home=args.home)
    db = Database(settings.db_path)
    if args.kind == "task":
        run_task(db, settings, args.id, args.cpus)
    elif args.kind == "refit":
        run_refit(db, settings, args.id)
    else:
        run_prediction(db, settings, args.id)
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
