"""Drive a real JupyterLab 4 in headless Chromium: the parts every browser test shares.

Follows the recipe in ``browser-testing.md``: JupyterLab runs in its own process session with isolated
Jupyter directories and a copied settings folder holding ``overrides.json``; Chromium is Debian's,
launched through Playwright. Nothing is read from or written to the user's own Jupyter setup or to
``sys.prefix``.

The classes here know nothing about firefly_widgets; the fixtures in ``conftest.py`` combine them
with the service.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import nbformat
import requests

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: JupyterLab settings that keep toasts, autosave and virtual scrolling out of the way of a test.
LAB_OVERRIDES: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none", "autoStartDefaultKernel": True},
    "@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Light"},
}

THEME_PLUGIN = "@jupyterlab/apputils-extension:themes"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], Any], *, timeout: float, interval: float = 0.1, what: str = "") -> Any:
    """Poll ``condition`` until it returns a truthy value and return that value.

    ``OSError`` and ``ValueError`` from ``condition`` (connection refused, a half-written JSON file)
    count as "not yet"; any other exception ends the wait at once.

    Raises:
        TimeoutError: when ``timeout`` seconds pass first; the message names ``what`` and the last value.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = condition()
        except (OSError, ValueError) as err:  # transient (refused, half-written file): a falsy answer
            last = err
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what or condition}; "
                               f"last: {last!r}")
        time.sleep(interval)


def stop_process_group(proc: subprocess.Popen, *, grace: float = 5.0) -> None:
    """SIGTERM a process started with ``start_new_session=True``, then SIGKILL its whole group."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # kernels and other children of the session
    except (ProcessLookupError, PermissionError):
        pass
    if proc.poll() is None:
        proc.wait(grace)


def write_notebook(path: Path, cells: list[str]) -> Path:
    """Write a notebook of code cells with a python3 kernelspec (no "Select Kernel" dialog)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


class JupyterLabServer:
    """One JupyterLab process on a free port with its own Jupyter dirs under ``base``.

    Args:
        base: an empty temporary folder; ``base/notebooks`` becomes the server's root dir.
        env: extra environment for the server and therefore for its kernels.
        overrides: settings overrides merged over :data:`LAB_OVERRIDES`.
    """

    def __init__(self, base: Path, *, env: Mapping[str, str] | None = None,
                 overrides: Mapping[str, dict[str, Any]] | None = None) -> None:
        self.base = base
        self.root = base / "notebooks"
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = base / "jupyterlab.log"
        self._extra_env = dict(env or {})
        self._overrides = {**LAB_OVERRIDES, **(overrides or {})}
        self._proc: subprocess.Popen | None = None
        self._log = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self, *, timeout: float = 60.0) -> JupyterLabServer:
        """Start the server and wait until ``/api/status`` and ``/lab`` both answer 200."""
        dirs = {name: self.base / name for name in ("config", "data", "runtime", "user-settings",
                                                    "workspaces", "app-settings", "checkpoints")}
        for folder in [self.root, *dirs.values()]:
            folder.mkdir(parents=True, exist_ok=True)
        # A copied settings folder: sys.prefix's overrides (if any) plus ours; sys.prefix stays untouched.
        system_settings = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings"
        merged: dict[str, dict[str, Any]] = {}
        if (system_settings / "overrides.json").exists():
            merged = json.loads((system_settings / "overrides.json").read_text())
        for plugin, values in self._overrides.items():
            merged.setdefault(plugin, {}).update(values)
        (dirs["app-settings"] / "overrides.json").write_text(json.dumps(merged, indent=1))

        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(dirs["config"]),
            "JUPYTER_DATA_DIR": str(dirs["data"]),
            "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
            "JUPYTERLAB_SETTINGS_DIR": str(dirs["user-settings"]),
            "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
            "IPYTHONDIR": str(self.base / "ipython"),
            "MPLCONFIGDIR": str(self.base / "matplotlib"),
            "PYTHONUNBUFFERED": "1",
            **self._extra_env,
        }
        cmd = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
            f"--FileCheckpoints.checkpoint_dir={dirs['checkpoints']}", "--LabApp.news_url=None",
            "--LabApp.extension_manager=readonly", f"--LabApp.app_settings_dir={dirs['app-settings']}",
        ]
        self._log = self.log_path.open("wb")
        self._proc = subprocess.Popen(cmd, env=env, cwd=self.root, stdout=self._log,
                                      stderr=subprocess.STDOUT, start_new_session=True)

        def ready() -> bool:
            if self._proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self._proc.returncode}:\n{self.log_tail()}")
            return all(
                requests.get(f"{self.url}{path}", params={"token": self.token}, timeout=5).status_code == 200
                for path in ("/api/status", "/lab")
            )

        try:
            wait_until(ready, timeout=timeout, interval=0.2, what="JupyterLab to answer")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server and every kernel it started."""
        if self._proc is not None:
            for session in self.sessions():
                self.delete_session(session["id"])
            stop_process_group(self._proc)
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log (kernel tracebacks land here too)."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # -- REST helpers ------------------------------------------------------------------------------
    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Call the server's REST API with the token."""
        headers = {"Authorization": f"token {self.token}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.url}{path}", headers=headers, timeout=10, **kwargs)

    def sessions(self) -> list[dict[str, Any]]:
        """The server's kernel sessions (empty once the server is gone)."""
        try:
            response = self.api("GET", "/api/sessions")
        except requests.RequestException:
            return []
        return response.json() if response.ok else []

    def delete_session(self, session_id: str) -> None:
        """Shut a session's kernel down (closing the browser leaves it running)."""
        try:
            self.api("DELETE", f"/api/sessions/{session_id}")
        except requests.RequestException:
            pass

    def delete_sessions_of(self, notebook: Path) -> None:
        """Shut down the kernels of one notebook (before and after a test)."""
        rel = notebook.relative_to(self.root).as_posix()
        for session in self.sessions():
            if session.get("path") == rel:
                self.delete_session(session["id"])

    def set_theme(self, theme: str) -> None:
        """Store the user's theme setting (``JupyterLab Dark`` / ``JupyterLab Light``); reload pages after."""
        body = json.dumps({"raw": json.dumps({"theme": theme})})
        response = self.api("PUT", f"/lab/api/settings/{THEME_PLUGIN}", data=body,
                            headers={"Content-Type": "application/json"})
        response.raise_for_status()

    def notebook_url(self, notebook: Path) -> str:
        """The page that opens ``notebook`` in JupyterLab, ignoring any saved layout."""
        rel = notebook.relative_to(self.root).as_posix()
        return f"{self.url}/lab/tree/{rel}?reset&token={self.token}"


# JavaScript installed in the page: records every change of a watched element's text or attribute.
_OBSERVER_JS = """
([name, selector, attribute]) => {
  window.__ffObservations = window.__ffObservations || {};
  window.__ffObservers = window.__ffObservers || {};
  if (window.__ffObservers[name]) window.__ffObservers[name].disconnect();  // observing anew
  const log = window.__ffObservations[name] = [];
  const read = () => {
    const nodes = document.querySelectorAll(selector);
    if (attribute === '@count') return String(nodes.length);
    const node = nodes[nodes.length - 1];
    if (!node) return null;
    return attribute ? node.getAttribute(attribute) : node.textContent.trim();
  };
  let last = read();
  log.push({t: performance.now(), value: last});
  const observer = new MutationObserver(() => {
    const value = read();
    if (value !== last) { last = value; log.push({t: performance.now(), value}); }
  });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
  window.__ffObservers[name] = observer;
}
"""


class NotebookPage:
    """A Playwright page showing one notebook in a :class:`JupyterLabServer`.

    Args:
        page: a Playwright ``Page``.
        lab: the server.
        screenshots: the folder screenshots are saved to.
    """

    #: Pages not closed yet: a failing test screenshots each of them.
    live: list[NotebookPage] = []

    def __init__(self, page: Any, lab: JupyterLabServer, screenshots: Path) -> None:
        self.page = page
        self.lab = lab
        self.screenshots = screenshots
        self.notebook: Path | None = None
        NotebookPage.live.append(self)

    @classmethod
    def new(cls, browser: Any, lab: JupyterLabServer, screenshots: Path) -> NotebookPage:
        """A page in a fresh browser context (own storage), 1400x1000."""
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(30_000)
        return cls(context.new_page(), lab, screenshots)

    def open(self, notebook: Path, *, timeout: float = 60.0) -> NotebookPage:
        """Open ``notebook`` and wait until its kernel is started and idle."""
        self.lab.delete_sessions_of(notebook)
        self.notebook = notebook
        self.page.goto(self.lab.notebook_url(notebook))
        self.wait_for_kernel(timeout=timeout)
        return self

    def wait_for_kernel(self, *, timeout: float = 60.0) -> None:
        """Wait for a real kernel name in the toolbar AND an idle execution indicator."""
        self.page.wait_for_function(
            """() => {
                const name = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) '
                                                    + '[data-jp-item-name="kernelName"]');
                const text = name ? name.textContent.trim() : '';
                const idle = document.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]');
                return text !== '' && !/no kernel/i.test(text) && idle !== null;
            }""",
            timeout=timeout * 1000,
        )

    def run_all(self) -> None:
        """Run every cell through the Run menu (there is no default shortcut)."""
        self.page.get_by_role("menuitem", name="Run", exact=True).click()
        self.page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()

    def wait_idle(self, *, timeout: float = 120.0) -> None:
        """Wait until Run All is over: the kernel is idle, no cell shows ``[*]``, and every code cell
        has run or a cell failed (Run All stops at the first error)."""
        self.page.wait_for_function(
            """() => {
                const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
                const busy = prompts.some(p => p.textContent.includes('*'));
                const idle = document.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]');
                const done = prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
                const failed = [...document.querySelectorAll(
                    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
                    .some(o => o.textContent.includes('Traceback'));
                return !busy && idle !== null && (done || failed);
            }""",
            timeout=timeout * 1000,
        )

    def run_notebook(self, notebook: Path, *, ready: str, timeout: float = 60.0) -> NotebookPage:
        """Open ``notebook``, run all its cells, wait for the ``ready`` selector and for the kernel to be idle,
        and check that every cell ran without an error output."""
        self.open(notebook, timeout=timeout)
        self.run_all()
        self.page.wait_for_selector(ready, timeout=timeout * 1000)
        self.wait_idle()
        assert self.error_outputs() == []
        assert self.unrun_cells() == 0
        return self

    def unrun_cells(self) -> int:
        """How many code cells have no execution count."""
        return self.page.evaluate(
            """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                   .filter(p => !/\\[\\d+\\]/.test(p.textContent)).length""")

    def error_outputs(self) -> list[str]:
        """Texts of tracebacks in the page (JupyterLab renders errors as stderr outputs)."""
        texts = self.page.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()
        return [text for text in texts if "Traceback" in text]

    def observe(self, name: str, selector: str, attribute: str | None = None) -> None:
        """Record every change of the last ``selector`` element's text (or ``attribute``) under ``name``.

        ``attribute="@count"`` records the number of matching elements instead.
        """
        self.page.evaluate(_OBSERVER_JS, [name, selector, attribute])

    def observations(self, name: str) -> list[dict[str, Any]]:
        """The ``[{"t": ms, "value": ...}, ...]`` recorded by :meth:`observe`."""
        return self.page.evaluate("(name) => (window.__ffObservations || {})[name] || []", name)

    def screenshot(self, name: str, *, locator: Any = None) -> Path:
        """Save a PNG under the screenshots folder (of ``locator`` only, if given) and return its path."""
        self.screenshots.mkdir(parents=True, exist_ok=True)
        path = self.screenshots / f"{name}.png"
        if locator is not None:
            locator.scroll_into_view_if_needed()
            locator.screenshot(path=str(path))
        else:
            self.page.screenshot(path=str(path), full_page=False)
        return path

    def close(self) -> None:
        """Shut down the notebook's kernel and close the page's browser context."""
        if self in NotebookPage.live:
            NotebookPage.live.remove(self)
        if self.notebook is not None:
            self.lab.delete_sessions_of(self.notebook)
        self.page.context.close()
