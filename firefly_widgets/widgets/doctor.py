"""``doctor()``: check that the widgets can work here, and say how to fix what cannot.

It detects the front end (JupyterLab, Notebook, Colab, VS Code, plain IPython, none), reads the
versions of the widget stack, checks the ipykernel version known to break widget updates from
threads (7.0.0), and asks the service for its health.

Example:
    >>> from firefly_widgets.widgets import doctor
    >>> report = doctor()          # doctest: +SKIP
    >>> report.ok                  # doctest: +SKIP
    True
"""

from __future__ import annotations

import html
import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

__all__ = ["Check", "DoctorReport", "detect_frontend", "doctor"]

#: Packages whose versions the report lists, with the oldest version the widgets support.
PACKAGES = {"ipywidgets": "8.1", "anywidget": "0.9", "bqplot": "0.12.40", "ipykernel": "6.25",
            "traitlets": "5.9", "jupyterlab": None, "notebook": None, "jupyterlab_widgets": None}


@dataclass(frozen=True)
class Check:
    """One finding.

    Attributes:
        name: what was checked.
        ok: True when nothing needs doing.
        detail: what was found.
        fix: what to do about it ('' when ok).
    """

    name: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass
class DoctorReport:
    """What ``doctor()`` found; shows itself as text in a terminal and as a table in a notebook."""

    frontend: str
    versions: dict[str, str | None]
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(c.ok for c in self.checks)

    @property
    def problems(self) -> list[Check]:
        """The checks that failed."""
        return [c for c in self.checks if not c.ok]

    def text(self) -> str:
        """The report as plain text."""
        lines = [f"firefly_widgets doctor: {'all good' if self.ok else f'{len(self.problems)} problem(s)'}",
                 f"  front end: {self.frontend}"]
        lines += [f"  {name}: {version or 'not installed'}" for name, version in self.versions.items()]
        for check in self.checks:
            lines.append(f"  [{'ok' if check.ok else '!!'}] {check.name}: {check.detail}")
            if check.fix:
                lines.append(f"       fix: {check.fix}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.text())

    def _repr_html_(self) -> str:
        def row(cells: list[str], tag: str = "td") -> str:
            return "<tr>" + "".join(f"<{tag} style='text-align:left'>{c}</{tag}>" for c in cells) + "</tr>"

        versions = "".join(row([html.escape(n), html.escape(v or "not installed")])
                           for n, v in self.versions.items())
        checks = "".join(row(["✅" if c.ok else "⚠️", html.escape(c.name), html.escape(c.detail),
                              html.escape(c.fix)]) for c in self.checks)
        title = "all good" if self.ok else f"{len(self.problems)} problem(s)"
        return (f"<div class='ff-doctor'><b>firefly_widgets doctor: {title}</b>"
                f"<p>Front end: <b>{html.escape(self.frontend)}</b></p>"
                f"<table>{row(['package', 'version'], 'th')}{versions}</table>"
                f"<table>{row(['', 'check', 'found', 'fix'], 'th')}{checks}</table></div>")


def detect_frontend(environ: dict[str, str] | None = None, modules: dict[str, Any] | None = None) -> str:
    """Guess where this Python runs.

    Args:
        environ: environment variables (default ``os.environ``).
        modules: loaded modules (default ``sys.modules``).

    Returns:
        ``"Colab"``, ``"VS Code"``, ``"JupyterLab"``, ``"Jupyter Notebook"``, ``"Jupyter (unknown front end)"``,
        ``"plain IPython"`` or ``"none"``.
    """
    env = os.environ if environ is None else environ
    mods = sys.modules if modules is None else modules
    if "google.colab" in mods or "COLAB_RELEASE_TAG" in env or "COLAB_GPU" in env:
        return "Colab"
    shell = _ipython_shell(mods)
    if shell is None:
        return "none"
    if type(shell).__name__ != "ZMQInteractiveShell":
        return "plain IPython"
    if any(k in env for k in ("VSCODE_PID", "VSCODE_CWD", "VSCODE_IPC_HOOK_CLI")) and "JPY_SESSION_NAME" not in env:
        return "VS Code"
    return _server_app(env) or "Jupyter (unknown front end)"


def _ipython_shell(mods: Any) -> Any:
    if "IPython" not in mods:
        return None
    try:
        return mods["IPython"].get_ipython()
    except Exception:
        return None


def _server_app(env: Any) -> str | None:
    """JupyterLab or Notebook: the command line of the server that started this kernel, else hints."""
    command = ""
    try:
        with open(f"/proc/{os.getppid()}/cmdline", "rb") as f:
            command = f.read().replace(b"\0", b" ").decode(errors="replace").lower()
    except OSError:
        pass
    if "jupyter-lab" in command or "jupyterlab" in command or " lab" in command:
        return "JupyterLab"
    if "jupyter-notebook" in command or " notebook" in command:
        return "Jupyter Notebook"
    if env.get("JUPYTERLAB_SETTINGS_DIR") or env.get("JUPYTERLAB_WORKSPACES_DIR"):
        return "JupyterLab"
    return None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _older(version: str, minimum: str) -> bool:
    def parts(v: str) -> tuple[int, ...]:
        out = []
        for piece in v.split("."):
            digits = "".join(ch for ch in piece if ch.isdigit())
            if not digits:
                break
            out.append(int(digits))
        return tuple(out)

    return parts(version) < parts(minimum)


def version_checks(versions: dict[str, str | None]) -> list[Check]:
    """Checks of the installed versions: present, recent enough, and not a known broken release."""
    checks = []
    for package, minimum in PACKAGES.items():
        if minimum is None:
            continue
        version = versions.get(package)
        if version is None:
            checks.append(Check(package, False, "not installed", f"pip install '{package}>={minimum}'"))
        elif _older(version, minimum):
            checks.append(Check(package, False, f"{version} is older than {minimum}",
                                f"pip install -U '{package}>={minimum}'"))
        elif package == "ipykernel" and version == "7.0.0":
            checks.append(Check(package, False, "7.0.0 drops output and widget updates made from threads, so "
                                "live views freeze", "pip install -U 'ipykernel>=7.0.1' and restart the kernel"))
        else:
            checks.append(Check(package, True, version))
    return checks


def frontend_checks(frontend: str, versions: dict[str, str | None] | None = None) -> list[Check]:
    """Advice that depends on the front end (and, for Jupyter, on its widget extension)."""
    if frontend == "none":
        return [Check("front end", False, "not running in a notebook: widgets show as text",
                      "open a notebook (jupyter lab) to see the live views")]
    if frontend == "plain IPython":
        return [Check("front end", False, "a terminal IPython cannot draw widgets: they show as text",
                      "run inside JupyterLab, Notebook, VS Code or Colab")]
    if frontend == "Colab":
        return [Check("front end", True, "Colab: third-party widgets need enabling; live updates use pull mode",
                      "run `from google.colab import output; output.enable_custom_widget_manager()` once")]
    checks = [Check("front end", True, frontend)]
    if frontend in {"JupyterLab", "Jupyter Notebook"} and versions is not None \
            and versions.get("jupyterlab_widgets") is None:
        checks.append(Check("widget extension", False, "jupyterlab_widgets is not installed in this environment, "
                            "so widgets may show as text (fine if the server runs from another environment "
                            "that has it)", "pip install jupyterlab_widgets in the server's environment and "
                            "restart JupyterLab"))
    return checks


def service_check() -> Check:
    """Whether the SDK's service answers ``GET health``."""
    try:
        from firefly_widgets import sdk

        client = sdk.get_client()
        answer = client.request("GET", "health", timeout=5)
    except Exception as err:
        detail = getattr(err, "message", None) or str(err) or type(err).__name__
        return Check("service", False, f"not reachable: {detail}",
                     "start it with `python -m firefly_widgets serve`, or call firefly_widgets.connect(url, token)")
    return Check("service", True, f"{client.url} answers (version {answer.get('version', '?')})")


def doctor(*, check_service: bool = True) -> DoctorReport:
    """Check the notebook set-up for the widgets and say how to fix each problem.

    Args:
        check_service: also ask the service for its health (may start the embedded service).

    Returns:
        DoctorReport: ``.ok``, ``.problems``, ``.text()``; it displays as a table in a notebook.
    """
    frontend = detect_frontend()
    versions = {name: _version(name) for name in PACKAGES}
    checks = frontend_checks(frontend, versions) + version_checks(versions)
    if check_service:
        checks.append(service_check())
    return DoctorReport(frontend=frontend, versions=versions, checks=checks)
