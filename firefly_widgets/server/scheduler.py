"""The scheduler: a thread of the service that runs queued jobs in worker processes.

It starts a worker for the oldest QUEUED task while fewer than ``max_tasks`` train, and one for each
queued refit or prediction (at most ``max_tasks`` of those too, so a prediction never waits behind long
trainings). It reaps workers that exit: one that ended without finishing its job (killed, crashed, out of
memory) has its task queued again, up to ``worker_attempts`` times, then FAILED with the reason.
Pause, cancel and delete stop a worker through :meth:`Scheduler.kill`. A task still RUNNING
``overrun_grace`` seconds past its budget has its worker stopped and ends (COMPLETED if it has an ensemble),
so no task stays RUNNING forever, even if its worker hangs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass

from .db import Database
from .lifecycle import claim_next, end_overrun, overrunning_tasks, recover, set_worker, worker_lost
from .settings import ServiceSettings

__all__ = ["Scheduler"]

log = logging.getLogger("firefly_widgets.server")


@dataclass
class _Worker:
    kind: str
    job_id: int
    process: subprocess.Popen


class Scheduler:
    """Runs jobs in worker processes. Thread safe: ``wake`` and ``kill`` may be called from any thread."""

    def __init__(self, settings: ServiceSettings, db: Database):
        self.settings = settings
        self.db = db
        self._workers: dict[int, _Worker] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._kill_orphans()
        requeued = recover(self.db)
        if requeued:
            log.info("resuming tasks left running by the previous service: %s", requeued)
        self._thread = threading.Thread(target=self._run, name="firefly-scheduler", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for queued jobs now rather than at the next tick."""
        self._wake.set()

    def kill(self, pid: int | None) -> None:
        """Stop a worker at once (its process group, so its own helpers die too)."""
        if pid is None or pid <= 0:
            return
        with self._lock:
            known = pid in self._workers
        if known:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        self.wake()

    def shutdown(self) -> None:
        """Stop the thread and every worker; their jobs resume when the service starts again."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            workers = list(self._workers.values())
        for worker in workers:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(worker.process.pid, signal.SIGKILL)
            worker.process.wait()
        recover(self.db)

    def running(self) -> dict[str, int]:
        with self._lock:
            counts: dict[str, int] = {}
            for worker in self._workers.values():
                counts[worker.kind] = counts.get(worker.kind, 0) + 1
            return counts

    # ------------------------------------------------------------ the thread

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._stop_overruns()
                self._reap()
                self._launch()
            except Exception:  # the scheduler must outlive any one failure; the next tick retries
                log.exception("scheduler tick failed")
            self._wake.wait(0.5)
            self._wake.clear()

    def _stop_overruns(self) -> None:
        grace = self.settings.overrun_grace
        for task_id, pid in overrunning_tasks(self.db, grace=grace):
            with self._lock:
                known = pid in self._workers
            if not known:
                continue
            log.warning("task %s ran %.0f s past its budget: stopping its worker %s", task_id, grace, pid)
            end_overrun(self.db, task_id, pid=pid,
                        reason=f"the search ran more than {grace:.0f} s past its time budget without ending; "
                               "it was stopped (see the worker's log)")
            self.kill(pid)

    def _reap(self) -> None:
        with self._lock:
            done = [(pid, w) for pid, w in self._workers.items() if w.process.poll() is not None]
            for pid, _ in done:
                del self._workers[pid]
        for pid, worker in done:
            code = worker.process.returncode
            reason = (f"the training worker stopped unexpectedly (exit code {code}) "
                      f"{self.settings.worker_attempts} times; see {self._log_path(worker.kind, worker.job_id)}")
            worker_lost(self.db, worker.kind, worker.job_id, pid=pid, reason=reason,
                        max_attempts=self.settings.worker_attempts)

    def _launch(self) -> None:
        counts = self.running()
        for kind, limit in (("task", self.settings.max_tasks), ("refit", self.settings.max_tasks),
                            ("predict", self.settings.max_tasks)):
            running = counts.get(kind, 0)
            while running < limit and not self._stop.is_set():
                job_id = claim_next(self.db, kind)
                if job_id is None:
                    break
                self._spawn(kind, job_id)
                running += 1

    def _log_path(self, kind: str, job_id: int):
        return self.settings.home / "logs" / f"{kind}-{job_id}.log"

    def _spawn(self, kind: str, job_id: int) -> None:
        log_path = self._log_path(kind, job_id)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        cpus = self.settings.worker_cpus
        env = {**os.environ, "OMP_NUM_THREADS": str(cpus), "OPENBLAS_NUM_THREADS": str(cpus),
               "MKL_NUM_THREADS": str(cpus), "PYTHONUNBUFFERED": "1"}
        cmd = [sys.executable, "-m", "firefly_widgets.server.worker", "--home", str(self.settings.home),
               "--kind", kind, "--id", str(job_id), "--parent", str(os.getpid()), "--cpus", str(cpus)]
        with open(log_path, "ab") as out:
            process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True, env=env)
        with self._lock:
            self._workers[process.pid] = _Worker(kind, job_id, process)
        if not set_worker(self.db, kind, job_id, process.pid):
            # paused, canceled or deleted between the claim and the start: this worker has nothing to do
            self.kill(process.pid)

    def _kill_orphans(self) -> None:
        """Kill workers of a previous service that are still alive (their results are in the store)."""
        rows = self.db.query("SELECT worker_pid FROM tasks WHERE state='RUNNING' AND worker_pid > 0 UNION "
                             "SELECT worker_pid FROM ensembles WHERE state='RUNNING' AND worker_pid > 0 UNION "
                             "SELECT worker_pid FROM predictions WHERE stage='RUNNING' AND worker_pid > 0")
        for (pid,) in rows:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    cmdline = fh.read()
            except OSError:
                continue
            if b"firefly_widgets.server.worker" in cmdline and str(self.settings.home).encode() in cmdline:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
