"""The README's example runs as written, against a service of its own."""

from __future__ import annotations

import re
from pathlib import Path

from support import ServiceProcess, Wire, wait_for

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs(tmp_path, monkeypatch):
    block = re.search(r"## Use\n\n```python\n(.*?)```", README.read_text(), re.S)
    assert block, "README.md has no python example under '## Use'"
    proc = ServiceProcess(home=tmp_path / "home").start()
    try:
        monkeypatch.setenv("FIREFLY_API_URL", proc.url)
        monkeypatch.setenv("FIREFLY_TOKEN", proc.token)
        from firefly_widgets import sdk

        sdk.disconnect()
        namespace: dict = {}
        exec(compile(block.group(1), "README.md", "exec"), namespace)
        task_id = namespace["task"]["id"]
        wire = Wire(proc.url, proc.token)
        assert wire.ok("GET", f"tasks/{task_id}")["name"] == "iris-1"
        widget = namespace["TaskWidget"]
        assert "TaskWidget" in widget.__name__
        wait_for(lambda: wire.ok("GET", f"tasks/{task_id}")["state"] in {"RUNNING", "COMPLETED"}, timeout=60,
                 message="the README's task to run")
        wire.call("POST", f"tasks/{task_id}/cancel")  # frees the worker; a finished task just says 400
    finally:
        from firefly_widgets.widgets import get_poller

        get_poller().stop()
        sdk.disconnect()
        proc.stop()
