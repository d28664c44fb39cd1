"""Durability: SIGKILL of the service or of a worker loses no finished model or progress, and no task stays
RUNNING forever."""

from __future__ import annotations

import os
import signal

import pytest
from support import ServiceProcess, Wire, unique, wait_for

FINAL = {"COMPLETED", "FAILED", "CANCELED"}


@pytest.fixture
def own_service(tmp_path):
    proc = ServiceProcess(home=tmp_path / "home").start()
    yield proc
    proc.stop()


def _dataset(wire, frame):
    name = unique("rec")
    source = wire.upload(frame.to_csv(index=False), name).json()["id"]
    return wire.ok("POST", "datasets", json={"name": name, "data_id": source, "target": "target",
                                             "problem_type": "classification"})["id"]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


def test_service_killed_mid_training_resumes_on_restart(own_service, iris_frame):
    wire = Wire(own_service.url, own_service.token)
    task_id = wire.ok("POST", "tasks", json={"name": unique("kill"), "dataset_id": _dataset(wire, iris_frame),
                                            "timeout": 8})["task_id"]
    before = wait_for(lambda: (t := wire.ok("GET", f"tasks/{task_id}"))["progress_count"] >= 2 and t, timeout=90,
                      message="two progress entries")
    progress_before = wire.progress(task_id)
    worker = wire.ok("GET", f"tasks/{task_id}")
    own_service.kill()
    # the worker dies with its service
    pid_rows = own_service.home / "firefly.db"
    assert pid_rows.exists()
    import sqlite3

    with sqlite3.connect(pid_rows) as con:
        (worker_pid,) = con.execute("SELECT worker_pid FROM tasks WHERE id=?", (task_id,)).fetchone()
    if worker_pid and worker_pid > 0:
        wait_for(lambda: not _pid_alive(worker_pid), timeout=15, message="the orphaned worker to exit")

    own_service.start()
    wire = Wire(own_service.url, own_service.token)
    after_restart = wire.ok("GET", f"tasks/{task_id}")
    assert after_restart["state"] in {"QUEUED", "RUNNING", "COMPLETED"}
    assert after_restart["models_count"] >= before["models_count"]
    kept = wire.progress(task_id)
    assert kept[: len(progress_before)] == progress_before, "progress entries were lost"
    done = wait_for(lambda: (t := wire.ok("GET", f"tasks/{task_id}"))["state"] in FINAL and t, timeout=120,
                    message="the resumed task to finish")
    assert done["state"] == "COMPLETED", done
    assert done["run_time"] <= 8 + 6, "the time the service was down must not count"
    assert len(wire.progress(task_id)) >= len(progress_before)
    assert worker["id"] == task_id


def test_worker_killed_is_restarted(own_service, iris_frame):
    wire = Wire(own_service.url, own_service.token)
    task_id = wire.ok("POST", "tasks", json={"name": unique("wkill"), "dataset_id": _dataset(wire, iris_frame),
                                            "timeout": 6})["task_id"]
    wait_for(lambda: wire.ok("GET", f"tasks/{task_id}")["progress_count"] >= 1, timeout=90,
             message="a first progress entry")
    import sqlite3

    with sqlite3.connect(own_service.home / "firefly.db") as con:
        (pid,) = con.execute("SELECT worker_pid FROM tasks WHERE id=?", (task_id,)).fetchone()
    assert pid and pid > 0
    progress = wire.progress(task_id)
    os.kill(pid, signal.SIGKILL)
    done = wait_for(lambda: (t := wire.ok("GET", f"tasks/{task_id}"))["state"] in FINAL and t, timeout=120,
                    message="the task to finish after its worker was killed")
    assert done["state"] == "COMPLETED", done
    assert wire.progress(task_id)[: len(progress)] == progress
    with sqlite3.connect(own_service.home / "firefly.db") as con:
        (new_pid,) = con.execute("SELECT worker_pid FROM tasks WHERE id=?", (task_id,)).fetchone()
    assert new_pid is None
