"""The firefly side of the browser tests: start the service, make datasets and tasks, read states.

Everything goes through the SDK's :class:`~firefly_widgets.sdk.client.Client` over real HTTP, so what
a test asserts about the service is what the service says, not what the page shows.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labdriver import stop_process_group, wait_until

REPO = Path(__file__).resolve().parents[2]
FINAL_STATES = frozenset({"COMPLETED", "FAILED", "CANCELED"})


def repo_pythonpath() -> str:
    """PYTHONPATH with the repository first, so kernels import this checkout even if not installed."""
    return os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))


@dataclass
class ServiceInfo:
    """Where the service listens: what tests and the JupyterLab kernels connect to."""

    url: str
    token: str
    home: Path


def start_service(home: Path) -> tuple[ServiceInfo, subprocess.Popen]:
    """Run ``python -m firefly_widgets serve --port 0`` on ``home`` and read its ``server.json``.

    Returns:
        The address and token, and the process (stop it with :func:`labdriver.stop_process_group`).

    Raises:
        RuntimeError: the service exited while starting (the message quotes its log).
        TimeoutError: no ``server.json`` within a minute.
    """
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "service.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "firefly_widgets", "serve", "--home", str(home), "--host", "127.0.0.1",
             "--port", "0"],
            env={**os.environ, "PYTHONPATH": repo_pythonpath()}, cwd=home, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
    server_json = home / "server.json"

    def listening() -> dict[str, Any] | None:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the service exited with {proc.returncode}:\n{tail}")
        return json.loads(server_json.read_text()) if server_json.exists() else None

    try:
        info = wait_until(listening, timeout=60, what=f"{server_json}")
    except BaseException:
        stop_process_group(proc)
        raise
    return ServiceInfo(url=info["url"], token=info["token"], home=home), proc


def task_state(api: Any, task_id: int) -> str:
    """The task's state as the service reports it."""
    return api.request("GET", f"tasks/{task_id}")["state"]


def wait_task_state(api: Any, task_id: int, states: set[str] | frozenset[str] | str, *,
                    timeout: float = 30.0) -> str:
    """Poll the service until the task is in one of ``states``; return that state."""
    wanted = {states} if isinstance(states, str) else set(states)
    return wait_until(lambda: (s := task_state(api, task_id)) in wanted and s, timeout=timeout, interval=0.2,
                      what=f"task {task_id} to reach {sorted(wanted)}")


def upload_frame(api: Any, frame: Any, name: str, *, problem_type: str, target: str = "target") -> int:
    """Upload a DataFrame as CSV, make a dataset of it and wait until it is AVAILABLE; return its id."""
    buffer = io.BytesIO(frame.to_csv(index=False).encode())
    datasource = api.request("POST", "datasources/upload", data={"name": f"{name}.csv"},
                             files={"file": (f"{name}.csv", buffer, "text/csv")})
    dataset = api.request("POST", "datasets", json={"name": name, "data_id": datasource["id"], "header": True,
                                                    "target": target, "problem_type": problem_type})
    wait_until(lambda: api.request("GET", f"datasets/{dataset['id']}")["state"] == "AVAILABLE", timeout=60,
               what=f"dataset {name} to become AVAILABLE")
    return int(dataset["id"])


def upload_iris(api: Any, name: str) -> int:
    """The iris flowers (classification; a search reaches a perfect score within seconds)."""
    from sklearn.datasets import load_iris

    return upload_frame(api, load_iris(as_frame=True).frame, name, problem_type="classification")


def upload_diabetes(api: Any, name: str) -> int:
    """The diabetes data (regression, r2): the search keeps finding slightly better ensembles for
    tens of seconds, so a live chart keeps gaining points."""
    from sklearn.datasets import load_diabetes

    return upload_frame(api, load_diabetes(as_frame=True).frame, name, problem_type="regression")


def create_task(api: Any, dataset_id: int, name: str, *, timeout: int = 60, **config: Any) -> int:
    """Create a task (the service queues and starts it) and return its id."""
    answer = api.request("POST", "tasks", json={"name": name, "dataset_id": dataset_id, "timeout": timeout,
                                                **config})
    return int(answer["task_id"] if "task_id" in answer else answer["id"])


def cancel_if_live(api: Any, task_id: int) -> None:
    """Cancel a task unless it already finished (teardown: leave no training behind)."""
    try:
        if task_state(api, task_id) not in FINAL_STATES:
            api.request("POST", f"tasks/{task_id}/cancel")
    except Exception:  # teardown must not mask the test's own result; a deleted task is fine
        pass
