"""The task state machine, and the claims and hand-backs of jobs between the scheduler and workers.

States: ``QUEUED -> RUNNING -> COMPLETED | FAILED | CANCELED``; ``PAUSED`` by pause and back to ``QUEUED``
by resume; rerun puts a finished task back to ``QUEUED`` as a new run (a new ``generation``); add time
gives a task more budget and puts a ``COMPLETED`` one back to ``QUEUED`` to continue its search.

Time: a task's ``run_time`` counts only time spent RUNNING (``run_time_accum`` plus the current run).
Every function commits before it returns. Transitions that stop a run return the pid of the worker that
must be killed; the caller (the scheduler) kills it. Workers finish a run only while they still own it
(``state='RUNNING' AND worker_pid=<their pid>``), so a worker killed late can never overwrite a pause or
a cancel.
"""

from __future__ import annotations

import time
from typing import Any

from .db import Database, now_iso
from .errors import Invalid, NotFound
from .store import FINAL_TASK_STATES

__all__ = [
    "OPERATIONS", "apply_operation", "claim_next", "end_overrun", "finish_job", "finish_task", "mark_started",
    "overrunning_tasks", "recover", "set_worker", "stop_for_delete", "worker_lost",
]

#: operation -> (states that allow it, human description of those states)
OPERATIONS: dict[str, tuple[frozenset[str], str]] = {
    "pause": (frozenset({"QUEUED", "RUNNING"}), "QUEUED or RUNNING"),
    "resume": (frozenset({"PAUSED"}), "PAUSED"),
    "cancel": (frozenset({"QUEUED", "RUNNING", "PAUSED"}), "QUEUED, RUNNING or PAUSED"),
    "rerun": (FINAL_TASK_STATES, "COMPLETED, FAILED or CANCELED"),
    "add_time": (frozenset({"QUEUED", "RUNNING", "PAUSED", "COMPLETED"}), "QUEUED, RUNNING, PAUSED or COMPLETED"),
}

_STOP_RUN = ("run_time_accum = run_time_accum + CASE WHEN running_since IS NULL THEN 0 "
             "ELSE max(0, :now - running_since) END, running_since = NULL, worker_pid = NULL")


def apply_operation(db: Database, task_id: int, op: str, *, seconds: int | None = None) -> int | None:
    """Apply a user's operation to a task.

    Returns:
        The pid of the worker to stop, if the task was running and must stop.
    Raises:
        NotFound: no such task.
        Invalid: the task's state does not allow ``op`` (the message says which states do).
    """
    allowed, described = OPERATIONS[op]
    now = time.time()
    with db.tx() as con:
        row = con.execute("SELECT state, worker_pid FROM tasks WHERE id=?", (task_id,)).fetchone()
        if row is None:
            raise NotFound("task", task_id)
        state = row["state"]
        if state not in allowed:
            verb = op.replace("_", " ")
            raise Invalid(f"cannot {verb} task {task_id}: it is {state}; {verb} applies to {described} tasks")
        params: dict[str, Any] = {"id": task_id, "now": now, "stamp": now_iso()}
        pid = row["worker_pid"] if state == "RUNNING" and op in ("pause", "cancel") else None
        if op == "pause":
            con.execute(f"UPDATE tasks SET state='PAUSED', {_STOP_RUN}, last_update=:stamp WHERE id=:id", params)
        elif op == "cancel":
            con.execute(f"UPDATE tasks SET state='CANCELED', {_STOP_RUN}, last_update=:stamp WHERE id=:id", params)
        elif op == "resume":
            con.execute("UPDATE tasks SET state='QUEUED', queued_at=:now, attempts=0, last_update=:stamp "
                        "WHERE id=:id", params)
        elif op == "rerun":
            con.execute("UPDATE tasks SET state='QUEUED', queued_at=:now, generation=generation+1, "
                        "run_time_accum=0, running_since=NULL, ensemble_id=NULL, best_score=NULL, models_count=0, "
                        "progress_count=0, attempts=0, error=NULL, last_update=:stamp WHERE id=:id", params)
        elif op == "add_time":
            params["seconds"] = float(seconds or 0)
            new_state = "QUEUED" if state == "COMPLETED" else state
            con.execute("UPDATE tasks SET timeout=timeout+:seconds, state=:state, queued_at=:now, attempts=0, "
                        "last_update=:stamp WHERE id=:id", {**params, "state": new_state})
    return pid


def stop_for_delete(db: Database, task_id: int) -> int | None:
    """Stop a task about to be deleted: returns its worker's pid, if it has one."""
    with db.tx() as con:
        row = con.execute("SELECT state, worker_pid FROM tasks WHERE id=?", (task_id,)).fetchone()
        if row is None:
            raise NotFound("task", task_id)
        con.execute(f"UPDATE tasks SET state='CANCELED', {_STOP_RUN} WHERE id=:id",
                    {"id": task_id, "now": time.time()})
        return row["worker_pid"]


_JOB_TABLES = {"task": ("tasks", "state"), "refit": ("ensembles", "state"), "predict": ("predictions", "stage")}


def claim_next(db: Database, kind: str) -> int | None:
    """Take the oldest QUEUED job of a kind and mark it RUNNING; returns its id, or None."""
    table, column = _JOB_TABLES[kind]
    # The scheduler asks twice a second for each kind: a plain read answers "nothing queued" without
    # taking SQLite's write lock from the workers.
    if db.query_one(f"SELECT 1 FROM {table} WHERE {column}='QUEUED' LIMIT 1") is None:
        return None
    extra = ", heartbeat=:now" if kind == "task" else ""  # the clock starts when the worker is ready
    with db.tx() as con:
        row = con.execute(f"SELECT id FROM {table} WHERE {column}='QUEUED' ORDER BY queued_at, id LIMIT 1"
                          ).fetchone()
        if row is None:
            return None
        con.execute(f"UPDATE {table} SET {column}='RUNNING', worker_pid=-1{extra}, last_update=:stamp WHERE id=:id",
                    {"id": row["id"], "now": time.time(), "stamp": now_iso()})
        return int(row["id"])


def set_worker(db: Database, kind: str, job_id: int, pid: int) -> bool:
    """Record which process runs a claimed job; False if the job was stopped since it was claimed."""
    table, column = _JOB_TABLES[kind]
    with db.tx() as con:
        cur = con.execute(f"UPDATE {table} SET worker_pid=? WHERE id=? AND {column}='RUNNING' AND worker_pid=-1",
                          (pid, job_id))
        return cur.rowcount == 1


def mark_started(db: Database, task_id: int, *, pid: int) -> bool:
    """The worker is ready to train: its run's clock starts now (start-up time is not the task's budget)."""
    now = time.time()
    with db.tx() as con:
        cur = con.execute("UPDATE tasks SET running_since=:now, heartbeat=:now WHERE id=:id AND state='RUNNING' "
                          "AND worker_pid IN (:pid, -1)", {"now": now, "id": task_id, "pid": pid})
        return cur.rowcount == 1


def finish_task(db: Database, task_id: int, *, pid: int, state: str, error: str | None = None) -> bool:
    """End a task's run as its worker (COMPLETED or FAILED); a no-op if the worker no longer owns it."""
    with db.tx() as con:
        cur = con.execute(
            f"UPDATE tasks SET state=:state, error=:error, {_STOP_RUN}, last_update=:stamp "
            "WHERE id=:id AND state='RUNNING' AND worker_pid=:pid",
            {"state": state, "error": error, "now": time.time(), "stamp": now_iso(), "id": task_id, "pid": pid})
        return cur.rowcount == 1


def finish_job(db: Database, kind: str, job_id: int, *, pid: int, values: dict[str, Any]) -> bool:
    """End a refit or prediction job as its worker, setting ``values`` (which include the final state)."""
    table, column = _JOB_TABLES[kind]
    sets = ", ".join(f"{k}=:{k}" for k in values)
    with db.tx() as con:
        cur = con.execute(
            f"UPDATE {table} SET {sets}, worker_pid=NULL, last_update=:stamp "
            f"WHERE id=:id AND {column}='RUNNING' AND worker_pid=:pid",
            {**values, "stamp": now_iso(), "id": job_id, "pid": pid})
        return cur.rowcount == 1


def overrunning_tasks(db: Database, *, grace: float) -> list[tuple[int, int]]:
    """``(task id, worker pid)`` of RUNNING tasks more than ``grace`` seconds past their time budget."""
    rows = db.query("SELECT id, worker_pid FROM tasks WHERE state='RUNNING' AND running_since IS NOT NULL "
                    "AND worker_pid > 0 AND run_time_accum + (:now - running_since) > timeout + :grace",
                    {"now": time.time(), "grace": grace})
    return [(r["id"], r["worker_pid"]) for r in rows]


def end_overrun(db: Database, task_id: int, *, pid: int, reason: str) -> None:
    """End a task whose worker was stopped for overrunning: COMPLETED if it has an ensemble, else FAILED."""
    with db.tx() as con:
        con.execute(
            f"UPDATE tasks SET state=CASE WHEN ensemble_id IS NULL THEN 'FAILED' ELSE 'COMPLETED' END, "
            f"error=CASE WHEN ensemble_id IS NULL THEN :reason ELSE NULL END, {_STOP_RUN}, last_update=:stamp "
            "WHERE id=:id AND state='RUNNING' AND worker_pid=:pid",
            {"reason": reason, "now": time.time(), "stamp": now_iso(), "id": task_id, "pid": pid})


def worker_lost(db: Database, kind: str, job_id: int, *, pid: int, reason: str, max_attempts: int) -> None:
    """A worker ended without finishing its job: queue the job again, or fail it after ``max_attempts``."""
    table, column = _JOB_TABLES[kind]
    with db.tx() as con:
        row = con.execute(f"SELECT * FROM {table} WHERE id=? AND {column}='RUNNING' AND worker_pid=?",
                          (job_id, pid)).fetchone()
        if row is None:
            return
        params = {"id": job_id, "now": time.time(), "stamp": now_iso(), "reason": reason}
        if kind == "task":
            attempts = row["attempts"] + 1
            params["attempts"] = attempts
            if attempts >= max_attempts:
                con.execute(f"UPDATE tasks SET state='FAILED', attempts=:attempts, error=:reason, {_STOP_RUN}, "
                            "last_update=:stamp WHERE id=:id", params)
            else:
                con.execute(f"UPDATE tasks SET state='QUEUED', attempts=:attempts, {_STOP_RUN}, queued_at=:now, "
                            "last_update=:stamp WHERE id=:id", params)
        else:
            con.execute(f"UPDATE {table} SET {column}='FAILED', error=:reason, worker_pid=NULL, last_update=:stamp "
                        "WHERE id=:id", params)


def recover(db: Database) -> list[int]:
    """At service start: jobs left RUNNING by a service that died go back to QUEUED.

    A task's lost run counts up to its last heartbeat (the last thing its worker recorded), not the time
    the service was down. Returns the ids of the tasks that were re-queued.
    """
    now = time.time()
    with db.tx() as con:
        ids = [r[0] for r in con.execute("SELECT id FROM tasks WHERE state='RUNNING'")]
        con.execute(
            "UPDATE tasks SET state='QUEUED', queued_at=:now, worker_pid=NULL, "
            "run_time_accum = run_time_accum + max(0, coalesce(heartbeat, running_since, :now) "
            "- coalesce(running_since, :now)), running_since=NULL WHERE state='RUNNING'", {"now": now})
        con.execute("UPDATE ensembles SET state='QUEUED', worker_pid=NULL WHERE state='RUNNING'")
        con.execute("UPDATE predictions SET stage='QUEUED', worker_pid=NULL WHERE stage='RUNNING'")
    return ids
