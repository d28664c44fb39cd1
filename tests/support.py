"""Test support: a real service process on a free port with a temporary home, and waiting with deadlines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests

T = TypeVar("T")

__all__ = ["ServiceProcess", "Wire", "unique", "wait_for"]

_counter = iter(range(1_000_000))


def unique(prefix: str) -> str:
    """A name no other test of this run uses."""
    return f"{prefix}-{os.getpid()}-{next(_counter)}"


def wait_for(condition: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.05,
             message: str = "condition") -> T:
    """Poll ``condition`` until it returns something truthy; fail with ``message`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {message} (last value: {last!r})")


@dataclass
class ServiceProcess:
    """``python -m firefly_widgets serve`` on a free port, with its own home folder."""

    home: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    url: str = ""
    token: str = ""

    def start(self, timeout: float = 60.0) -> ServiceProcess:
        self.home.mkdir(parents=True, exist_ok=True)
        server_json = self.home / "server.json"
        server_json.unlink(missing_ok=True)
        env = {**os.environ, "FIREFLY_MAX_TASKS": "2", "FIREFLY_WORKER_CPUS": "1", **self.env}
        env.pop("FIREFLY_API_URL", None)
        log = open(self.home / "service-test.log", "ab")  # noqa: SIM115 - kept open for the process's life
        self.process = subprocess.Popen(
            [sys.executable, "-m", "firefly_widgets", "serve", "--home", str(self.home), "--port", "0"],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)

        def ready() -> dict | None:
            if self.process.poll() is not None:
                raise AssertionError(f"service exited with {self.process.returncode}: "
                                     f"{(self.home / 'service-test.log').read_text()[-3000:]}")
            try:
                info = json.loads(server_json.read_text())
            except (OSError, ValueError):
                return None
            return info if info.get("pid") == self.process.pid else None

        info = wait_for(ready, timeout=timeout, message="the service's server.json")
        self.url, self.token = info["url"], info["token"]
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def kill(self) -> None:
        """SIGKILL the service (not its workers: they must notice by themselves)."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()


class Wire:
    """Raw HTTP to the service, for tests of the protocol itself (status, then fields, then the message)."""

    def __init__(self, url: str, token: str):
        self.url = url
        self.token = token
        self.session = requests.Session()

    def call(self, method: str, path: str, *, token: str | None = None, **kwargs) -> requests.Response:
        params = dict(kwargs.pop("params", None) or {})
        params.setdefault("jwt", self.token if token is None else token)
        return self.session.request(method, f"{self.url}/{path}", params=params, timeout=30, **kwargs)

    def ok(self, method: str, path: str, **kwargs) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def progress(self, task_id: int, since: int = 0) -> list[dict]:
        """A task's progress entries (the service answers ``{"result": [...]}``)."""
        body = self.ok("GET", f"tasks/{task_id}/progress", params={"since": since})
        assert set(body) == {"result"}, body
        return body["result"]

    def upload(self, csv_text: str | bytes, name: str, **form) -> requests.Response:
        data = csv_text.encode() if isinstance(csv_text, str) else csv_text
        return self.call("POST", "datasources/upload", files={"file": (f"{name}.csv", data, "text/csv")},
                         data={"name": name, **form})
