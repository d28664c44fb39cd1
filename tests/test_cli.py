"""The ``firefly-widgets`` command: serve, status, stop, and its argument errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import requests
from support import wait_for


def _cli(*args: str, home) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "firefly_widgets", *args, "--home", str(home)],
                          capture_output=True, text=True, timeout=60)


def test_serve_status_stop(tmp_path):
    home = tmp_path / "home"
    status = _cli("status", home=home)
    assert status.returncode == 1
    assert json.loads(status.stdout)["running"] is False

    server = subprocess.Popen([sys.executable, "-m", "firefly_widgets", "serve", "--home", str(home), "--port", "0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: (home / "server.json").exists(), timeout=60, message="server.json")
        status = _cli("status", home=home)
        assert status.returncode == 0, status.stdout + status.stderr
        info = json.loads(status.stdout)
        assert info["running"] and info["healthy"] and info["pid"] == server.pid
        assert "token" not in info
        assert info["url"].startswith("http://127.0.0.1:")
        assert requests.get(f"{info['url']}/health", timeout=10).status_code == 200
        assert os.stat(home).st_mode & 0o777 == 0o700, "the home holds the token and the data: the user's alone"

        stopped = _cli("stop", home=home)
        assert stopped.returncode == 0
        assert "stopped" in stopped.stdout
        assert server.wait(timeout=30) is not None
        assert not (home / "server.json").exists(), "a cleanly stopped service removes its server.json"
        assert json.loads(_cli("status", home=home).stdout)["running"] is False
        assert "no service was running" in _cli("stop", home=home).stdout
    finally:
        if server.poll() is None:
            server.kill()


def test_bad_port_is_a_clear_error(tmp_path):
    result = _cli("serve", "--port", "70000", home=tmp_path)
    assert result.returncode == 2
    assert "--port must be between 0 and 65535" in result.stderr
    assert "Traceback" not in result.stderr


def test_lab_opens_jupyterlab_on_the_quickstart(tmp_path):
    import signal
    import socket
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, **{k: str(tmp_path / k.lower()) for k in (
        "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR",
        "JUPYTERLAB_WORKSPACES_DIR")}}
    lab = subprocess.Popen([sys.executable, "-m", "firefly_widgets", "lab", "--no-browser", f"--port={port}",
                            "--ServerApp.port_retries=0", "--IdentityProvider.token=t0ken"],
                           cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           start_new_session=True)
    try:
        def answers() -> bool:
            assert lab.poll() is None, lab.stdout.read()
            try:
                return requests.get(f"http://127.0.0.1:{port}/api/status?token=t0ken", timeout=2).ok
            except requests.ConnectionError:
                return False

        wait_for(answers, timeout=60, message="JupyterLab to answer")
        # given a notebook, JupyterLab serves the notebook's folder and opens it
        contents = requests.get(f"http://127.0.0.1:{port}/api/contents/quickstart.ipynb?token=t0ken",
                                timeout=10)
        assert contents.status_code == 200
        assert contents.json()["type"] == "notebook"
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)
