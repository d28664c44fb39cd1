"""The SQLite database: schema, one connection per thread, and transactions.

WAL mode lets readers (the request handlers) run while a worker process writes. Every write happens in
an explicit ``BEGIN IMMEDIATE`` transaction and is committed before the caller reports anything, so a
SIGKILL of the service or of a worker never loses what was reported.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["Database", "now_iso", "dumps", "loads"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS datasources (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    row_count INTEGER,
    data_size INTEGER,
    path TEXT NOT NULL,
    na_values TEXT,
    analysis TEXT,
    creation_date TEXT NOT NULL,
    last_update TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS datasets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    datasource_id INTEGER NOT NULL REFERENCES datasources(id),
    problem_type TEXT NOT NULL,
    target TEXT NOT NULL,
    state TEXT NOT NULL,
    options TEXT NOT NULL,
    meta TEXT NOT NULL,
    row_count INTEGER,
    creation_date TEXT NOT NULL,
    last_update TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id),
    dataset_name TEXT NOT NULL,
    problem_type TEXT NOT NULL,
    target_metric TEXT,
    splitting_strategy TEXT,
    state TEXT NOT NULL,
    config TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    timeout REAL NOT NULL,
    run_time_accum REAL NOT NULL DEFAULT 0,
    running_since REAL,
    generation INTEGER NOT NULL DEFAULT 0,
    ensemble_id INTEGER,
    best_score REAL,
    models_count INTEGER NOT NULL DEFAULT 0,
    progress_count INTEGER NOT NULL DEFAULT 0,
    worker_pid INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    queued_at REAL,
    heartbeat REAL,
    creation_date TEXT NOT NULL,
    last_update TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_state ON tasks(state, queued_at);
CREATE INDEX IF NOT EXISTS tasks_dataset ON tasks(dataset_id);
CREATE INDEX IF NOT EXISTS tasks_state_problem ON tasks(state, problem_type);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks(creation_date);
CREATE TABLE IF NOT EXISTS models (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    estimator TEXT NOT NULL,
    params TEXT NOT NULL,
    score REAL,
    fit_seconds REAL,
    artifact TEXT,
    status TEXT NOT NULL,
    error TEXT,
    extra TEXT NOT NULL,
    creation_date TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS models_task ON models(task_id, generation);
CREATE TABLE IF NOT EXISTS ensembles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    stage TEXT NOT NULL,
    state TEXT NOT NULL,
    score REAL,
    model_ids TEXT NOT NULL,
    weights TEXT NOT NULL,
    estimators TEXT NOT NULL,
    manifest TEXT,
    source_ensemble_id INTEGER,
    datasource_id INTEGER,
    notes TEXT NOT NULL DEFAULT '',
    run_time REAL,
    error TEXT,
    worker_pid INTEGER,
    queued_at REAL,
    creation_date TEXT NOT NULL,
    last_update TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ensembles_task ON ensembles(task_id, stage);
CREATE INDEX IF NOT EXISTS ensembles_state ON ensembles(state);
CREATE TABLE IF NOT EXISTS progress (
    task_id INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    ensemble_id INTEGER NOT NULL,
    score REAL NOT NULL,
    run_time REAL NOT NULL,
    size INTEGER NOT NULL,
    estimators TEXT NOT NULL,
    creation_date TEXT NOT NULL,
    PRIMARY KEY (task_id, generation, idx)
);
CREATE TABLE IF NOT EXISTS results (
    task_id INTEGER PRIMARY KEY,
    generation INTEGER NOT NULL,
    body TEXT NOT NULL,
    last_update TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ensemble_reports (
    ensemble_id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ensemble_reports_task ON ensemble_reports(task_id);
CREATE TABLE IF NOT EXISTS predictions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ensemble_id INTEGER NOT NULL,
    datasource_id INTEGER NOT NULL,
    task_id INTEGER,
    stage TEXT NOT NULL,
    data_name TEXT,
    path TEXT,
    row_count INTEGER,
    error TEXT,
    worker_pid INTEGER,
    queued_at REAL,
    creation_date TEXT NOT NULL,
    last_update TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS predictions_stage ON predictions(stage);
"""


def now_iso() -> str:
    """The current UTC time as an ISO 8601 string."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False, default=str)


def loads(text: str | None, default: Any = None) -> Any:
    return default if text is None else json.loads(text)


class Database:
    """A SQLite file, with one connection per thread.

    Thread safe: each thread gets its own connection. Safe across processes: the service and its workers
    open the same file; writes serialize on SQLite's lock (``busy_timeout`` waits for it).
    """

    def __init__(self, path: Path | str):
        self.path = str(path)
        self._local = threading.local()
        self.connection().executescript(SCHEMA)

    def connection(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("PRAGMA foreign_keys=ON")
            con.execute("PRAGMA busy_timeout=30000")
            self._local.con = con
        return con

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        con = self.connection()
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def query(self, sql: str, params: tuple | list | dict = ()) -> list[sqlite3.Row]:
        return self.connection().execute(sql, params).fetchall()

    def query_one(self, sql: str, params: tuple | list | dict = ()) -> sqlite3.Row | None:
        return self.connection().execute(sql, params).fetchone()

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None
