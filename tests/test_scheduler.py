"""The scheduler's guard against a hung worker: past its budget and the grace, it is stopped and the task ends."""

from __future__ import annotations

import subprocess

import pytest

from firefly_widgets.server import store
from firefly_widgets.server.db import Database
from firefly_widgets.server.lifecycle import claim_next, mark_started, set_worker
from firefly_widgets.server.scheduler import Scheduler, _Worker
from firefly_widgets.server.settings import ServiceSettings


@pytest.mark.parametrize(("has_ensemble", "final"), [(False, "FAILED"), (True, "COMPLETED")])
def test_a_worker_hung_past_its_budget_is_stopped(tmp_path, has_ensemble, final):
    settings = ServiceSettings(home=tmp_path, overrun_grace=1.0)
    db = Database(settings.db_path)
    source = store.create_datasource(db, name="d", path=str(tmp_path / "d.csv"), na_values=None, analysis={})
    dataset = store.create_dataset(db, name="d", datasource_id=source["id"], problem_type="classification",
                                   target="y", options={}, meta={})
    task_id = store.create_task(db, config={"name": "hung", "timeout": 2}, dataset=dataset)["id"]
    assert claim_next(db, "task") == task_id
    hung = subprocess.Popen(["sleep", "600"], start_new_session=True)  # stands for a worker stuck in a fit
    try:
        scheduler = Scheduler(settings, db)
        scheduler._workers[hung.pid] = _Worker("task", task_id, hung)
        assert set_worker(db, "task", task_id, hung.pid)
        assert mark_started(db, task_id, pid=hung.pid)

        scheduler._stop_overruns()  # within budget + grace: left alone
        assert hung.poll() is None
        assert store.get_task(db, task_id)["state"] == "RUNNING"

        with db.tx() as con:  # as if it had started 10 s ago, with a 2 s budget
            con.execute("UPDATE tasks SET running_since = running_since - 10, ensemble_id = ? WHERE id = ?",
                        (1 if has_ensemble else None, task_id))
        scheduler._stop_overruns()
        assert hung.wait(timeout=10) == -9
        task = store.get_task(db, task_id)
        assert task["state"] == final
        assert (task["error"] is None) == has_ensemble
        if not has_ensemble:
            assert "past its time budget" in task["error"]
        assert 10 <= task["run_time"] < 15
    finally:
        if hung.poll() is None:
            hung.kill()
