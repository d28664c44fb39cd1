"""The service's side of the engine contract: a TrainingRecorder that writes into the store."""

from __future__ import annotations

import time
from typing import Any

from firefly_widgets.engine.contract import ModelRecord, TrainingRecorder

from .db import Database, dumps, loads, now_iso
from .store import is_better, task_run_time

__all__ = ["StoreRecorder"]


class StoreRecorder(TrainingRecorder):
    """Records one run of one task (its current ``generation``) into the SQLite store.

    Every call is one committed transaction; each also refreshes the task's heartbeat, which bounds the
    run time counted for a run whose service died.
    """

    def __init__(self, db: Database, task_id: int):
        self.db = db
        self.task_id = task_id
        row = db.query_one("SELECT generation, target_metric FROM tasks WHERE id=?", (task_id,))
        if row is None:
            raise LookupError(f"task {task_id} does not exist")
        self.generation = row["generation"]
        self.metric = row["target_metric"]

    def finished_models(self) -> list[ModelRecord]:
        rows = self.db.query("SELECT * FROM models WHERE task_id=? AND generation=? ORDER BY id",
                             (self.task_id, self.generation))
        return [ModelRecord(id=r["id"], estimator=r["estimator"], params=loads(r["params"], {}), score=r["score"],
                            artifact=r["artifact"], status=r["status"], extra=loads(r["extra"], {})) for r in rows]

    def record_model(self, *, estimator: str, params: dict[str, Any], score: float | None, fit_seconds: float,
                     artifact: str | None, status: str = "ok", error: str | None = None,
                     extra: dict[str, Any] | None = None) -> int:
        now = time.time()
        with self.db.tx() as con:
            cur = con.execute(
                "INSERT INTO models (task_id, generation, estimator, params, score, fit_seconds, artifact, status, "
                "error, extra, creation_date) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (self.task_id, self.generation, estimator, dumps(params), _finite(score), fit_seconds, artifact,
                 status, error, dumps(extra or {}), now_iso()))
            con.execute("UPDATE tasks SET models_count=models_count+?, heartbeat=?, last_update=? WHERE id=?",
                        (1 if status == "ok" else 0, now, now_iso(), self.task_id))
            return int(cur.lastrowid)

    def record_ensemble(self, *, model_ids: list[int], weights: list[float], score: float,
                        manifest: dict[str, Any]) -> int:
        now = time.time()
        stamp = now_iso()
        with self.db.tx() as con:
            task = con.execute("SELECT * FROM tasks WHERE id=?", (self.task_id,)).fetchone()
            names = {r["id"]: r["estimator"] for r in con.execute(
                f"SELECT id, estimator FROM models WHERE id IN ({','.join('?' * len(model_ids))})", model_ids)}
            estimators = [names.get(m, "?") for m in model_ids]
            run_time = task_run_time(task, now)
            cur = con.execute(
                "INSERT INTO ensembles (task_id, generation, stage, state, score, model_ids, weights, estimators, "
                "manifest, run_time, creation_date, last_update) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (self.task_id, self.generation, "TASK", "COMPLETED", score, dumps(model_ids), dumps(weights),
                 dumps(estimators), dumps(manifest), run_time, stamp, stamp))
            ensemble_id = int(cur.lastrowid)
            con.execute(
                "INSERT INTO progress (task_id, generation, idx, ensemble_id, score, run_time, size, estimators, "
                "creation_date) VALUES (?,?,?,?,?,?,?,?,?)",
                (self.task_id, self.generation, task["progress_count"], ensemble_id, score, run_time,
                 len(model_ids), dumps(estimators), stamp))
            best = is_better(self.metric, score, task["best_score"])
            con.execute(
                "UPDATE tasks SET progress_count=progress_count+1, heartbeat=?, last_update=?"
                + (", best_score=?, ensemble_id=?" if best else "") + " WHERE id=?",
                (now, stamp, score, ensemble_id, self.task_id) if best else (now, stamp, self.task_id))
            return ensemble_id

    def record_results(self, results: dict[str, Any]) -> None:
        with self.db.tx() as con:
            con.execute("INSERT INTO results (task_id, generation, body, last_update) VALUES (?,?,?,?) "
                        "ON CONFLICT(task_id) DO UPDATE SET generation=excluded.generation, body=excluded.body, "
                        "last_update=excluded.last_update",
                        (self.task_id, self.generation, dumps(_clean(results)), now_iso()))

    def record_reports(self, ensemble_id: int, reports: dict[str, Any]) -> None:
        with self.db.tx() as con:
            con.execute("INSERT INTO ensemble_reports (ensemble_id, task_id, body) VALUES (?,?,?) "
                        "ON CONFLICT(ensemble_id) DO UPDATE SET body=excluded.body",
                        (ensemble_id, self.task_id, dumps(_clean(reports))))

    def elapsed(self) -> float:
        row = self.db.query_one("SELECT run_time_accum, running_since FROM tasks WHERE id=?", (self.task_id,))
        return task_run_time(row)


def _finite(value: float | None) -> float | None:
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return None
    return float(value)


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN and infinities become None (JSON has no such numbers)."""
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _clean(value.item())
    if hasattr(value, "tolist"):  # numpy arrays
        return _clean(value.tolist())
    return value
