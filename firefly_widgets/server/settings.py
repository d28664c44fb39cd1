"""Settings of the local service, read from the command line and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from firefly_widgets.home import default_home

__all__ = ["ServiceSettings", "write_private"]


def write_private(path: Path, text: str) -> None:
    """Write a file only its user can read or write (0600), atomically."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as err:
        raise ValueError(f"{name} must be a whole number, got {value!r}") from err


@dataclass(frozen=True)
class ServiceSettings:
    """How the service runs.

    Attributes:
        home: the folder holding ``firefly.db``, ``token``, ``server.json``, uploads and models.
        host: the address to bind; 127.0.0.1 unless told otherwise.
        port: the port to bind; 0 picks a free one.
        max_tasks: training workers that may run at once (``FIREFLY_MAX_TASKS``, default 2).
        worker_cpus: cores one training worker may use (``FIREFLY_WORKER_CPUS``, default all cores but one).
        max_upload_bytes: the largest accepted upload (``FIREFLY_MAX_UPLOAD_MB``, default 512 MB).
        worker_attempts: how often a task whose worker died is restarted before it is FAILED.
        overrun_grace: seconds a task may run past its time budget before its worker is stopped (the engine
            ends within seconds of the budget; this guards against a hung worker).
    """

    home: Path
    host: str = "127.0.0.1"
    port: int = 0
    max_tasks: int = 2
    worker_cpus: int = 1
    max_upload_bytes: int = 512 * 1024 * 1024
    worker_attempts: int = 3
    overrun_grace: float = 120.0

    @classmethod
    def from_env(cls, home: Path | None = None, host: str = "127.0.0.1", port: int = 0) -> ServiceSettings:
        cpus = os.cpu_count() or 1
        return cls(
            home=Path(home) if home is not None else default_home(),
            host=host,
            port=port,
            max_tasks=max(1, _int_env("FIREFLY_MAX_TASKS", 2)),
            worker_cpus=max(1, _int_env("FIREFLY_WORKER_CPUS", max(1, cpus - 1))),
            max_upload_bytes=max(1, _int_env("FIREFLY_MAX_UPLOAD_MB", 512)) * 1024 * 1024,
        )

    @property
    def db_path(self) -> Path:
        return self.home / "firefly.db"

    @property
    def token_path(self) -> Path:
        return self.home / "token"

    @property
    def server_json(self) -> Path:
        return self.home / "server.json"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    def task_dir(self, task_id: int) -> Path:
        return self.home / "tasks" / str(task_id)

    def run_dir(self, task_id: int, generation: int) -> Path:
        """The engine's work folder for one run (``generation``) of a task: its models and study."""
        return self.task_dir(task_id) / f"run{generation}"

    @property
    def predictions_dir(self) -> Path:
        return self.home / "predictions"
