"""The embedded default: find the local service through ``server.json``, or start it.

With nothing configured, the SDK talks to a local service whose home folder is ``FIREFLY_HOME``
(default: the user's data directory, e.g. ``~/.local/share/firefly_widgets``). The service writes
``HOME/server.json`` = ``{"url", "token", "pid", "version"}`` once it listens, and removes it on a
clean exit. :func:`ensure_service` reuses a healthy service, replaces a dead ``server.json``, and
otherwise starts ``python -m firefly_widgets serve`` as a detached process (its output goes to
``HOME/service.log``). A file lock (``HOME/.start.lock``) makes sure that two kernels starting at the
same moment end up with one service.

The CLI uses :func:`service_status` and :func:`stop_service` from here.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import requests

from firefly_widgets.home import default_home
from firefly_widgets.sdk.errors import ServiceStartError

__all__ = [
    "ServiceInfo",
    "default_home",
    "ensure_service",
    "is_healthy",
    "read_server_info",
    "service_status",
    "stop_service",
]

SERVER_FILE = "server.json"
LOCK_FILE = ".start.lock"
LOG_FILE = "service.log"
#: Seconds :func:`ensure_service` waits for a newly started service to become healthy.
START_TIMEOUT = 30.0

# Started by a short-lived launcher, the service is not a child of the kernel: it outlives it, leaves no
# zombie behind, and the kernel holds no Popen object for it. The launcher prints the service's pid.
_LAUNCHER = (
    "import subprocess, sys\n"
    "with open(sys.argv[1], 'ab') as log:\n"
    "    p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,\n"
    "                         start_new_session=True, close_fds=True)\n"
    "print(p.pid, flush=True)\n"
)


@dataclass(frozen=True)
class ServiceInfo:
    """Where a running local service listens, as read from its ``server.json``.

    Attributes:
        url: base URL, e.g. ``http://127.0.0.1:43127``.
        token: the API token.
        pid: the service's process id.
        version: the service's version string.
        home: the service's home folder.
    """

    url: str
    token: str
    pid: int
    version: str | None
    home: Path

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-able dictionary (the token included)."""
        data = asdict(self)
        data["home"] = str(self.home)
        return data


def _home(home: str | os.PathLike[str] | None) -> Path:
    return Path(home).expanduser() if home is not None else default_home()


def read_server_info(home: str | os.PathLike[str] | None = None) -> ServiceInfo | None:
    """Read ``HOME/server.json``.

    Args:
        home: the service home (default: :func:`default_home`).

    Returns:
        ServiceInfo | None: the recorded service, or ``None`` when the file is absent or unreadable.
    """
    path = _home(home) / SERVER_FILE
    try:
        data = json.loads(path.read_text())
        return ServiceInfo(url=str(data["url"]).rstrip("/"), token=str(data["token"]), pid=int(data["pid"]),
                           version=data.get("version"), home=path.parent)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_healthy(url: str, timeout: float = 2.0) -> bool:
    """True when ``GET {url}/health`` answers 200 with ``{"status": "ok"}``.

    Args:
        url: the service's base URL.
        timeout: seconds to wait for the answer.
    """
    try:
        response = requests.get(f"{url.rstrip('/')}/health", timeout=timeout)
        return response.status_code == 200 and response.json().get("status") == "ok"
    except (requests.RequestException, ValueError, AttributeError):
        return False


def _pid_alive(pid: int) -> bool:
    """True when process ``pid`` exists and is not a zombie (our own dead children are reaped here)."""
    if pid <= 0:
        return False
    with contextlib.suppress(ChildProcessError, OSError):
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _looks_like_service(pid: int) -> bool:
    """Guard against signalling an unrelated process that reused a stale pid (Linux; True elsewhere)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True
    return b"firefly" in cmdline


def _live_service(home: Path) -> ServiceInfo | None:
    info = read_server_info(home)
    if info is not None and _pid_alive(info.pid) and is_healthy(info.url):
        return info
    return None


@contextlib.contextmanager
def _start_lock(home: Path, timeout: float) -> Iterator[None]:
    """Hold an exclusive lock on ``HOME/.start.lock`` (waiting up to ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    with open(home / LOCK_FILE, "a+") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ServiceStartError(
                        f"Another process has been starting the local service in {home} for more than "
                        f"{timeout:g} s (lock {home / LOCK_FILE}); see {home / LOG_FILE}."
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    tail = "\n".join(text.rstrip().splitlines()[-lines:])
    return f"\nLast lines of {path}:\n{tail}" if tail else ""


def _child_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["FIREFLY_HOME"] = str(home)
    # Make the package importable by the child even when it is used from a source checkout.
    package_parent = str(Path(__file__).resolve().parents[2])
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if package_parent not in paths:
        env["PYTHONPATH"] = os.pathsep.join([package_parent, *paths])
    return env


def _launch(home: Path) -> int:
    """Start the service detached (new session, output to ``HOME/service.log``); return its pid."""
    log_path = home / LOG_FILE
    command = [sys.executable, "-m", "firefly_widgets", "serve", "--home", str(home),
               "--host", "127.0.0.1", "--port", "0"]
    with open(log_path, "ab") as log:
        log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} started by pid {os.getpid()}: "
                  f"{' '.join(command)}\n".encode())
    try:
        launched = subprocess.run([sys.executable, "-c", _LAUNCHER, str(log_path), *command],
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                                  cwd=str(home), env=_child_env(home), check=True)
        return int(launched.stdout.strip())
    except (OSError, ValueError, subprocess.SubprocessError) as err:
        raise ServiceStartError(f"Could not launch the local Firefly service (home {home}): {err}") from err


def ensure_service(home: str | os.PathLike[str] | None = None, *,
                   start_timeout: float = START_TIMEOUT) -> ServiceInfo:
    """Return the running local service of ``home``, starting it first if needed.

    A healthy service recorded in ``server.json`` is reused. Otherwise, under the start lock, a
    stale ``server.json`` (its process is gone) is removed and
    ``python -m firefly_widgets serve --home HOME --port 0`` is started detached; this waits until it
    has written a fresh ``server.json`` and answers ``GET /health``. A recorded service whose process
    is alive but does not answer is never replaced by a second one.

    Args:
        home: the service home (default: :func:`default_home`).
        start_timeout: seconds to wait for a new service to become healthy.

    Returns:
        ServiceInfo: the service's address and token.

    Raises:
        ServiceStartError: the service exited or did not become healthy in time, or a live service
            does not answer; the message says what to do and quotes the end of ``HOME/service.log``.

    Example:
        >>> info = ensure_service("/tmp/ff-home")          # doctest: +SKIP
        >>> info.url
        'http://127.0.0.1:40123'
    """
    home_path = _home(home)
    info = _live_service(home_path)
    if info is not None:
        return info
    home_path.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_path = home_path / LOG_FILE
    with _start_lock(home_path, timeout=start_timeout + 5):
        info = _live_service(home_path)  # another process may have started it while we waited
        if info is not None:
            return info
        stale = read_server_info(home_path)
        if stale is not None and _pid_alive(stale.pid) and _looks_like_service(stale.pid):
            # Alive but not answering: it may be busy or shutting down. Never start a second service
            # beside a live one; wait a little, then say how to stop it.
            deadline = time.monotonic() + min(start_timeout, 10.0)
            while time.monotonic() < deadline and _pid_alive(stale.pid):
                if is_healthy(stale.url):
                    return stale
                time.sleep(0.2)
            if _pid_alive(stale.pid):
                raise ServiceStartError(
                    f"The local Firefly service (pid {stale.pid}, home {home_path}) is running but does not "
                    f"answer at {stale.url}/health. Stop it with `firefly-widgets stop --home {home_path}` "
                    f"(or kill {stale.pid}) and retry. See {log_path}.{_log_tail(log_path)}"
                )
        with contextlib.suppress(FileNotFoundError):
            (home_path / SERVER_FILE).unlink()
        pid = _launch(home_path)
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            alive = _pid_alive(pid)
            info = read_server_info(home_path)
            if info is not None and is_healthy(info.url, timeout=1.0):
                return info
            if not alive:
                raise ServiceStartError(
                    f"The local Firefly service (home {home_path}) exited while starting. "
                    f"See {log_path}.{_log_tail(log_path)}"
                )
            time.sleep(0.1)
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGTERM)
        raise ServiceStartError(
            f"The local Firefly service (home {home_path}) did not become healthy within {start_timeout:g} s; "
            f"it was stopped. See {log_path}.{_log_tail(log_path)}"
        )


def service_status(home: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Describe the local service of ``home`` without starting it.

    Args:
        home: the service home (default: :func:`default_home`).

    Returns:
        dict: ``home``, ``log``, ``running`` (a recorded process is alive), ``healthy`` (it answers
        ``/health``), and when recorded ``url``, ``pid``, ``version``. The token is never included.

    Example:
        >>> service_status("/tmp/ff-home")["running"]      # doctest: +SKIP
        False
    """
    home_path = _home(home)
    status: dict[str, Any] = {"home": str(home_path), "log": str(home_path / LOG_FILE),
                              "running": False, "healthy": False, "url": None, "pid": None, "version": None}
    info = read_server_info(home_path)
    if info is None:
        return status
    running = _pid_alive(info.pid)
    status.update(url=info.url, pid=info.pid, version=info.version, running=running,
                  healthy=running and is_healthy(info.url))
    return status


def stop_service(home: str | os.PathLike[str] | None = None, *, timeout: float = 10.0) -> bool:
    """Stop the local service of ``home``: SIGTERM, wait up to ``timeout`` seconds, then SIGKILL.

    A ``server.json`` left behind (dead process, or killed) is removed.

    Args:
        home: the service home (default: :func:`default_home`).
        timeout: seconds to wait for a clean exit before killing the process group.

    Returns:
        bool: True when a running service was stopped, False when none was running.

    Example:
        >>> stop_service("/tmp/ff-home")                   # doctest: +SKIP
        True
    """
    home_path = _home(home)
    info = read_server_info(home_path)
    if info is None:
        return False
    stopped = False
    if _pid_alive(info.pid) and _looks_like_service(info.pid):
        stopped = True
        with contextlib.suppress(ProcessLookupError):
            os.kill(info.pid, signal.SIGTERM)
        if not _wait_dead(info.pid, timeout):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if os.getpgid(info.pid) == info.pid:
                    os.killpg(info.pid, signal.SIGKILL)
                else:
                    os.kill(info.pid, signal.SIGKILL)
            _wait_dead(info.pid, 5.0)
    current = read_server_info(home_path)
    if current is not None and current.pid == info.pid:
        with contextlib.suppress(FileNotFoundError):
            (home_path / SERVER_FILE).unlink()
    return stopped


def _wait_dead(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return True
        time.sleep(0.05)
    return not _pid_alive(pid)
