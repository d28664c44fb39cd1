"""The embedded default: with nothing configured, the SDK starts the local service once and finds it again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from firefly_widgets import sdk
from firefly_widgets.sdk import ServiceStartError, Task, embedded


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh FIREFLY_HOME with no FIREFLY_API_URL/FIREFLY_TOKEN; every service started in it is stopped."""
    path = tmp_path / "home"
    monkeypatch.setenv("FIREFLY_HOME", str(path))
    monkeypatch.delenv("FIREFLY_API_URL", raising=False)
    monkeypatch.delenv("FIREFLY_TOKEN", raising=False)
    monkeypatch.setenv("FIREFLY_MAX_TASKS", "1")
    monkeypatch.setenv("FIREFLY_WORKER_CPUS", "1")
    sdk.disconnect()
    yield path
    sdk.disconnect()
    embedded.stop_service(path)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_first_call_starts_the_service_and_later_calls_reuse_it(home):
    assert not (home / "server.json").exists()
    assert Task.list()["total"] == 0  # the first SDK call starts the service
    info = embedded.read_server_info(home)
    assert info is not None and info.url.startswith("http://127.0.0.1:")
    assert sdk.get_client().url == info.url and sdk.get_client().token == info.token
    assert (home / "service.log").exists()

    again = embedded.ensure_service()
    assert again.pid == info.pid  # reused, not restarted
    assert sdk.connect().url == info.url

    status = embedded.service_status(home)
    assert status["running"] and status["healthy"] and status["pid"] == info.pid
    assert "token" not in status

    assert embedded.stop_service(home) is True
    assert not (home / "server.json").exists()
    assert embedded.service_status(home)["running"] is False
    assert embedded.stop_service(home) is False


def test_two_kernels_starting_at_once_share_one_service(home):
    script = textwrap.dedent("""
        from firefly_widgets.sdk import embedded
        print(embedded.ensure_service().pid)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    kernels = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
               for _ in range(2)]
    pids = {int(kernel.communicate(timeout=90)[0].strip()) for kernel in kernels}
    assert len(pids) == 1
    assert embedded.read_server_info(home).pid in pids


def test_stale_server_json_is_replaced(home):
    home.mkdir(parents=True)
    stale = {"url": "http://127.0.0.1:9", "token": "old", "pid": _dead_pid(), "version": "0"}
    (home / "server.json").write_text(json.dumps(stale))
    info = embedded.ensure_service()
    assert info.pid != stale["pid"] and info.token != "old"
    assert embedded.is_healthy(info.url)
    assert json.loads((home / "server.json").read_text())["pid"] == info.pid


def test_a_live_but_silent_service_is_not_replaced(home):
    home.mkdir(parents=True)
    silent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "firefly_widgets"])
    try:
        record = {"url": "http://127.0.0.1:9", "token": "t", "pid": silent.pid, "version": "0"}
        (home / "server.json").write_text(json.dumps(record))
        with pytest.raises(ServiceStartError) as info:
            embedded.ensure_service(start_timeout=1)
        assert f"pid {silent.pid}" in str(info.value) and "firefly-widgets stop" in str(info.value)
        assert json.loads((home / "server.json").read_text()) == record  # no second service was started
        assert embedded.service_status(home)["running"] and not embedded.service_status(home)["healthy"]
        assert embedded.stop_service(home, timeout=5) is True
        assert silent.wait(timeout=10) is not None
        assert not (home / "server.json").exists()
    finally:
        silent.kill()
        silent.wait()


def test_client_finds_a_restarted_service(home):
    Task.list()
    first = embedded.read_server_info(home)
    embedded.stop_service(home)
    assert Task.list()["total"] == 0  # the default client re-resolves and restarts the service
    second = embedded.read_server_info(home)
    assert second.pid != first.pid
    assert sdk.get_client().url == second.url


def test_a_service_that_cannot_start_is_reported_with_its_log(home, monkeypatch):
    monkeypatch.setenv("FIREFLY_MAX_TASKS", "not-a-number")
    with pytest.raises(ServiceStartError) as info:
        embedded.ensure_service(start_timeout=60)
    message = str(info.value)
    assert "service.log" in message and "exited while starting" in message
    assert "FIREFLY_MAX_TASKS" in message  # the end of the log is quoted
    assert isinstance(info.value, ConnectionError)


def test_explicit_url_and_environment_win_over_the_embedded_default(service, home, monkeypatch):
    monkeypatch.setenv("FIREFLY_API_URL", service.url)
    monkeypatch.setenv("FIREFLY_TOKEN", service.token)
    assert sdk.connect().url == service.url
    assert sdk.connect(url="http://127.0.0.1:1", token="x").url == "http://127.0.0.1:1"
    assert not (home / "server.json").exists()  # nothing was started


def test_url_alone_finds_the_local_services_token(service, monkeypatch):
    monkeypatch.setenv("FIREFLY_HOME", str(service.home))
    monkeypatch.delenv("FIREFLY_TOKEN", raising=False)
    monkeypatch.delenv("FIREFLY_API_URL", raising=False)
    try:
        client = sdk.connect(url=service.url)
        assert client.token == service.token
        assert set(Task.list(page_size=1).to_dict()) == {"hits", "total"}
    finally:
        sdk.disconnect()
