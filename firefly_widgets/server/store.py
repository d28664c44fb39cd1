"""Data access: plain functions over a :class:`~firefly_widgets.server.db.Database`.

Each function takes the database first and everything else by keyword, commits its own transaction, and
returns public dicts (the shapes the wire protocol answers with). Unknown ids raise
:class:`~firefly_widgets.server.errors.NotFound`; taken names :class:`~firefly_widgets.server.errors.Conflict`.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from firefly_widgets.enums import LOWER_IS_BETTER

from .db import Database, dumps, loads, now_iso
from .errors import Conflict, Invalid, NotFound
from .listing import Collection, ListQuery

__all__ = [
    "DATASETS", "DATASOURCES", "ENSEMBLES", "FINAL_TASK_STATES", "PREDICTIONS", "TASKS",
    "create_dataset", "create_datasource", "create_ensemble_job", "create_prediction", "create_task",
    "delete_dataset", "delete_datasource", "delete_ensemble", "delete_prediction", "delete_task",
    "get_dataset", "get_datasource", "get_ensemble", "get_ensemble_reports", "get_prediction", "get_progress",
    "get_results", "get_task", "list_rows", "task_row", "task_run_time", "update_task_notes", "update_ensemble_notes",
]

FINAL_TASK_STATES = frozenset({"COMPLETED", "FAILED", "CANCELED"})

DATASOURCES = Collection(
    table="datasources",
    columns={c: c for c in ("id", "name", "state", "row_count", "data_size", "creation_date", "last_update")},
    search_columns=("name", "state"),
    numeric=frozenset({"id", "row_count", "data_size"}),
    unique=frozenset({"id", "name"}),
)
DATASETS = Collection(
    table="datasets",
    columns={**{c: c for c in ("id", "name", "problem_type", "target", "state", "row_count", "creation_date",
                                "last_update")}, "datasource_id": "datasource_id", "data_id": "datasource_id"},
    search_columns=("name", "problem_type", "target", "state"),
    numeric=frozenset({"id", "datasource_id", "data_id", "row_count"}),
    unique=frozenset({"id", "name"}),
)
TASKS = Collection(
    table="tasks",
    columns={**{c: c for c in ("id", "name", "state", "dataset_id", "dataset_name", "problem_type",
                                "target_metric", "splitting_strategy", "notes", "creation_date", "last_update",
                                "ensemble_id", "best_score", "models_count", "timeout")},
             "job_state": "state", "run_time": "run_time_accum"},
    search_columns=("name", "state", "dataset_name", "problem_type", "target_metric", "notes", "id"),
    numeric=frozenset({"id", "dataset_id", "ensemble_id", "best_score", "models_count", "timeout"}),
    unique=frozenset({"id", "name"}),
)
ENSEMBLES = Collection(
    table="ensembles",
    columns={c: c for c in ("id", "task_id", "stage", "state", "score", "source_ensemble_id", "datasource_id",
                            "creation_date", "last_update", "notes")},
    search_columns=("stage", "state", "notes", "estimators"),
    numeric=frozenset({"id", "task_id", "score", "source_ensemble_id", "datasource_id"}),
)
PREDICTIONS = Collection(
    table="predictions",
    columns={c: c for c in ("id", "ensemble_id", "datasource_id", "task_id", "stage", "data_name",
                            "creation_date", "last_update")},
    search_columns=("stage", "data_name"),
    numeric=frozenset({"id", "ensemble_id", "datasource_id", "task_id"}),
)


def _require(row: sqlite3.Row | None, kind: str, id: int) -> sqlite3.Row:
    if row is None:
        raise NotFound(kind, id)
    return row


def _insert(con: sqlite3.Connection, table: str, values: dict[str, Any], *, unique_name: str | None = None) -> int:
    columns = ",".join(values)
    try:
        cur = con.execute(f"INSERT INTO {table} ({columns}) VALUES ({','.join('?' * len(values))})",
                          list(values.values()))
    except sqlite3.IntegrityError as err:
        if unique_name is not None and "UNIQUE" in str(err):
            raise Conflict(f"name: a {unique_name} named {values['name']!r} already exists") from err
        raise
    return int(cur.lastrowid)


def list_rows(db: Database, collection: Collection, query: ListQuery, to_public, *,
              base: str | None = None, base_params: list | None = None) -> dict[str, Any]:
    """One page of a collection as ``{"hits": [...], "total": n}``."""
    page_sql, page_params, count_sql, count_params = collection.select(query, base=base, base_params=base_params)
    con = db.connection()
    ids = [r[0] for r in con.execute(page_sql, page_params)]
    total = con.execute(count_sql, count_params).fetchone()[0]
    if not ids:
        return {"hits": [], "total": total}
    rows = {r["id"]: r for r in con.execute(
        f"SELECT * FROM {collection.table} WHERE id IN ({','.join('?' * len(ids))})", ids)}
    return {"hits": [to_public(rows[i]) for i in ids if i in rows], "total": total}


# ---------------------------------------------------------------- datasources

def datasource_public(row: sqlite3.Row) -> dict[str, Any]:
    analysis = loads(row["analysis"], {})
    return {
        "id": row["id"], "name": row["name"], "state": row["state"], "row_count": row["row_count"],
        "data_size": row["data_size"], "columns": analysis.get("columns", []),
        "na_values": loads(row["na_values"]), "creation_date": row["creation_date"],
        "last_update": row["last_update"],
    }


def create_datasource(db: Database, *, name: str, path: str, na_values: list[str] | None,
                      analysis: dict[str, Any]) -> dict[str, Any]:
    stamp = now_iso()
    with db.tx() as con:
        new_id = _insert(con, "datasources", {
            "name": name, "state": "AVAILABLE", "row_count": analysis.get("row_count"),
            "data_size": analysis.get("data_size"), "path": path, "na_values": dumps(na_values),
            "analysis": dumps(analysis), "creation_date": stamp, "last_update": stamp,
        }, unique_name="datasource")
    return get_datasource(db, new_id)


def datasource_row(db: Database, id: int) -> sqlite3.Row:
    return _require(db.query_one("SELECT * FROM datasources WHERE id=?", (id,)), "datasource", id)


def get_datasource(db: Database, id: int) -> dict[str, Any]:
    return datasource_public(datasource_row(db, id))


def datasource_analysis(db: Database, id: int) -> dict[str, Any]:
    return loads(datasource_row(db, id)["analysis"], {})


def delete_datasource(db: Database, id: int) -> str:
    """Delete a datasource record; returns its file's path. Refused while datasets use it."""
    with db.tx() as con:
        row = _require(con.execute("SELECT * FROM datasources WHERE id=?", (id,)).fetchone(), "datasource", id)
        users = [r[0] for r in con.execute("SELECT id FROM datasets WHERE datasource_id=?", (id,))]
        if users:
            raise Invalid(f"datasource {id} is used by datasets {', '.join(map(str, users))}; delete them first")
        con.execute("DELETE FROM datasources WHERE id=?", (id,))
    return row["path"]


# ---------------------------------------------------------------- datasets

def dataset_public(row: sqlite3.Row) -> dict[str, Any]:
    options = loads(row["options"], {})
    return {
        "id": row["id"], "name": row["name"], "data_id": row["datasource_id"],
        "datasource_id": row["datasource_id"], "problem_type": row["problem_type"], "target": row["target"],
        "state": row["state"], "row_count": row["row_count"], **{k: options.get(k) for k in (
            "header", "na_values", "time_axis", "not_used", "hidden", "retype_columns", "datetime_format",
            "block_id", "sample_id", "subdataset_id", "sample_weight", "rename_columns")},
        "creation_date": row["creation_date"], "last_update": row["last_update"],
    }


def create_dataset(db: Database, *, name: str, datasource_id: int, problem_type: str, target: str,
                   options: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    stamp = now_iso()
    with db.tx() as con:
        _require(con.execute("SELECT id FROM datasources WHERE id=?", (datasource_id,)).fetchone(),
                 "datasource", datasource_id)
        new_id = _insert(con, "datasets", {
            "name": name, "datasource_id": datasource_id, "problem_type": problem_type, "target": target,
            "state": "AVAILABLE", "options": dumps(options), "meta": dumps(meta),
            "row_count": meta.get("n_rows"), "creation_date": stamp, "last_update": stamp,
        }, unique_name="dataset")
    return get_dataset(db, new_id)


def dataset_row(db: Database, id: int) -> sqlite3.Row:
    return _require(db.query_one("SELECT * FROM datasets WHERE id=?", (id,)), "dataset", id)


def get_dataset(db: Database, id: int) -> dict[str, Any]:
    return dataset_public(dataset_row(db, id))


def dataset_record(db: Database, id: int) -> dict[str, Any]:
    """The full dataset record the engine works from: public fields, ``meta`` and the data's path."""
    row = dataset_row(db, id)
    source = datasource_row(db, row["datasource_id"])
    return {**dataset_public(row), **loads(row["options"], {}), "meta": loads(row["meta"], {}),
            "data_path": source["path"]}


def delete_dataset(db: Database, id: int) -> None:
    with db.tx() as con:
        _require(con.execute("SELECT id FROM datasets WHERE id=?", (id,)).fetchone(), "dataset", id)
        users = [r[0] for r in con.execute("SELECT id FROM tasks WHERE dataset_id=?", (id,))]
        if users:
            raise Invalid(f"dataset {id} is used by tasks {', '.join(map(str, users))}; delete them first")
        con.execute("DELETE FROM datasets WHERE id=?", (id,))


# ---------------------------------------------------------------- tasks

def task_run_time(row: sqlite3.Row, now: float | None = None) -> float:
    """Seconds spent RUNNING: the time of finished runs plus the current run's."""
    extra = 0.0
    if row["running_since"] is not None:
        extra = max(0.0, (now or time.time()) - row["running_since"])
    return round(row["run_time_accum"] + extra, 3)


def task_public(row: sqlite3.Row) -> dict[str, Any]:
    config = loads(row["config"], {})
    return {
        "id": row["id"], "name": row["name"], "state": row["state"], "job_state": row["state"],
        "dataset_id": row["dataset_id"], "dataset_name": row["dataset_name"],
        "ensemble_id": row["ensemble_id"], "source_ensemble_id": None,
        "problem_type": row["problem_type"], "target_metric": row["target_metric"],
        "splitting_strategy": row["splitting_strategy"], "notes": row["notes"],
        "creation_date": row["creation_date"], "last_update": row["last_update"],
        "run_time": task_run_time(row), "timeout": row["timeout"], "user_id": 0, "version": row["generation"],
        "best_score": row["best_score"], "models_count": row["models_count"],
        "progress_count": row["progress_count"], "error": row["error"], "config": config,
    }


def create_task(db: Database, *, config: dict[str, Any], dataset: dict[str, Any]) -> dict[str, Any]:
    stamp = now_iso()
    with db.tx() as con:
        new_id = _insert(con, "tasks", {
            "name": config["name"], "dataset_id": dataset["id"], "dataset_name": dataset["name"],
            "problem_type": dataset["problem_type"], "target_metric": config.get("target_metric"),
            "splitting_strategy": config.get("splitting_strategy"), "state": "QUEUED", "config": dumps(config),
            "notes": config.get("notes") or "", "timeout": float(config["timeout"]), "queued_at": time.time(),
            "creation_date": stamp, "last_update": stamp,
        }, unique_name="task")
    return get_task(db, new_id)


def task_row(db: Database, id: int) -> sqlite3.Row:
    return _require(db.query_one("SELECT * FROM tasks WHERE id=?", (id,)), "task", id)


def get_task(db: Database, id: int) -> dict[str, Any]:
    return task_public(task_row(db, id))


def update_task_notes(db: Database, id: int, *, notes: str) -> None:
    with db.tx() as con:
        cur = con.execute("UPDATE tasks SET notes=?, last_update=? WHERE id=?", (notes, now_iso(), id))
        if cur.rowcount == 0:
            raise NotFound("task", id)


def delete_task(db: Database, id: int) -> None:
    """Delete a task with its models, progress, results, ensembles and their reports (predictions keep their
    files)."""
    with db.tx() as con:
        _require(con.execute("SELECT id FROM tasks WHERE id=?", (id,)).fetchone(), "task", id)
        for table in ("progress", "results", "models", "ensembles", "ensemble_reports"):
            con.execute(f"DELETE FROM {table} WHERE task_id=?", (id,))
        con.execute("DELETE FROM tasks WHERE id=?", (id,))


def progress_public(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "index": row["idx"], "ensemble_id": row["ensemble_id"], "score": row["score"],
        "run_time": row["run_time"], "size": row["size"], "estimators": loads(row["estimators"], []),
        "creation_date": row["creation_date"],
    }


def get_progress(db: Database, id: int, *, since: int = 0) -> list[dict[str, Any]]:
    row = db.query_one("SELECT generation FROM tasks WHERE id=?", (id,))
    _require(row, "task", id)
    rows = db.query("SELECT * FROM progress WHERE task_id=? AND generation=? AND idx>=? ORDER BY idx",
                    (id, row["generation"], since))
    return [progress_public(r) for r in rows]


def get_results(db: Database, id: int) -> dict[str, Any]:
    task = task_row(db, id)
    row = db.query_one("SELECT body FROM results WHERE task_id=? AND generation=?", (id, task["generation"]))
    body = loads(row["body"], {}) if row is not None else {}
    return {"task_id": id, "state": task["state"], "target_metric": task["target_metric"],
            "ensemble_id": task["ensemble_id"], "best_score": task["best_score"], **body}


def get_ensemble_reports(db: Database, id: int) -> dict[str, Any]:
    """The reports of an ensemble by name (empty when none were computed: a refit, or one the task's report
    time did not reach). Raises NotFound for an unknown ensemble."""
    ensemble = ensemble_row(db, id)
    row = db.query_one("SELECT body FROM ensemble_reports WHERE ensemble_id=?", (id,))
    if row is not None:
        return loads(row["body"], {})
    if ensemble["stage"] == "TASK":  # tasks trained before per-ensemble reports kept the chosen one's only
        results = get_results(db, ensemble["task_id"])
        if results.get("ensemble_id") == id:
            return results.get("reports") or {}
    return {}


def is_better(metric: str | None, new: float, old: float | None) -> bool:
    """Whether score ``new`` should replace ``old`` for ``metric`` (lower is better for errors and costs).

    A tie goes to the newer ensemble: the engine records an equal score only for the chosen ensemble
    refit on train + validation (``refit_on_all``), which must become the task's ensemble.
    """
    if old is None:
        return True
    return new <= old if metric in LOWER_IS_BETTER else new >= old


# ---------------------------------------------------------------- ensembles

def ensemble_public(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"], "task_id": row["task_id"], "stage": row["stage"], "state": row["state"],
        "score": row["score"], "model_ids": loads(row["model_ids"], []), "weights": loads(row["weights"], []),
        "estimators": loads(row["estimators"], []), "size": len(loads(row["model_ids"], [])),
        "source_ensemble_id": row["source_ensemble_id"], "datasource_id": row["datasource_id"],
        "notes": row["notes"], "run_time": row["run_time"], "error": row["error"],
        "creation_date": row["creation_date"], "last_update": row["last_update"],
    }


def ensemble_row(db: Database, id: int) -> sqlite3.Row:
    return _require(db.query_one("SELECT * FROM ensembles WHERE id=?", (id,)), "ensemble", id)


def get_ensemble(db: Database, id: int) -> dict[str, Any]:
    return ensemble_public(ensemble_row(db, id))


def create_ensemble_job(db: Database, *, source: sqlite3.Row, datasource_id: int) -> dict[str, Any]:
    """Queue a refit of ensemble ``source`` on a datasource: a new REFIT ensemble in state QUEUED."""
    stamp = now_iso()
    with db.tx() as con:
        new_id = _insert(con, "ensembles", {
            "task_id": source["task_id"], "generation": source["generation"], "stage": "REFIT",
            "state": "QUEUED", "score": source["score"], "model_ids": source["model_ids"],
            "weights": source["weights"], "estimators": source["estimators"], "manifest": None,
            "source_ensemble_id": source["id"], "datasource_id": datasource_id, "queued_at": time.time(),
            "creation_date": stamp, "last_update": stamp,
        })
    return get_ensemble(db, new_id)


def update_ensemble_notes(db: Database, id: int, *, notes: str) -> None:
    with db.tx() as con:
        cur = con.execute("UPDATE ensembles SET notes=?, last_update=? WHERE id=?", (notes, now_iso(), id))
        if cur.rowcount == 0:
            raise NotFound("ensemble", id)


def delete_ensemble(db: Database, id: int) -> None:
    with db.tx() as con:
        _require(con.execute("SELECT id FROM ensembles WHERE id=?", (id,)).fetchone(), "ensemble", id)
        chosen = [r[0] for r in con.execute("SELECT id FROM tasks WHERE ensemble_id=?", (id,))]
        if chosen:
            raise Invalid(f"ensemble {id} is the chosen ensemble of task {chosen[0]}; delete the task instead")
        con.execute("DELETE FROM ensembles WHERE id=?", (id,))
        con.execute("DELETE FROM ensemble_reports WHERE ensemble_id=?", (id,))


# ---------------------------------------------------------------- predictions

def prediction_public(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"], "ensemble_id": row["ensemble_id"], "datasource_id": row["datasource_id"],
        "task_id": row["task_id"], "stage": row["stage"], "state": row["stage"], "data_name": row["data_name"],
        "row_count": row["row_count"], "error": row["error"], "creation_date": row["creation_date"],
        "last_update": row["last_update"],
    }


def create_prediction(db: Database, *, ensemble: sqlite3.Row, datasource_id: int,
                      data_name: str | None) -> dict[str, Any]:
    stamp = now_iso()
    with db.tx() as con:
        new_id = _insert(con, "predictions", {
            "ensemble_id": ensemble["id"], "datasource_id": datasource_id, "task_id": ensemble["task_id"],
            "stage": "QUEUED", "data_name": data_name, "queued_at": time.time(),
            "creation_date": stamp, "last_update": stamp,
        })
    return get_prediction(db, new_id)


def prediction_row(db: Database, id: int) -> sqlite3.Row:
    return _require(db.query_one("SELECT * FROM predictions WHERE id=?", (id,)), "prediction", id)


def get_prediction(db: Database, id: int) -> dict[str, Any]:
    return prediction_public(prediction_row(db, id))


def delete_prediction(db: Database, id: int) -> str | None:
    with db.tx() as con:
        row = _require(con.execute("SELECT * FROM predictions WHERE id=?", (id,)).fetchone(), "prediction", id)
        con.execute("DELETE FROM predictions WHERE id=?", (id,))
    return row["path"]
