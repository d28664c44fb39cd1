"""The ``firefly-widgets`` command: ``serve``, ``status``, ``stop``, and ``lab`` (JupyterLab on a notebook)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

__all__ = ["main"]


def _home(value: str | None) -> Path:
    from firefly_widgets.home import default_home

    return Path(value).expanduser() if value else default_home()


def _notebook(name: str) -> Path:
    """The notebook to open: a path, or ``quickstart`` / ``browse`` from a source checkout or the package.

    A notebook that ships inside the installed package is copied to the current folder first (once), so
    the user's edits and outputs never land in site-packages.
    """
    if name not in ("quickstart", "browse"):
        path = Path(name).expanduser()
        if not path.exists():
            raise SystemExit(f"firefly-widgets lab: no notebook at {path}")
        return path
    package = Path(__file__).resolve().parent
    checkout = package.parent / "notebooks" / f"{name}.ipynb"
    if checkout.exists():
        return checkout
    local = Path.cwd() / f"firefly-{name}.ipynb"
    if not local.exists():
        shutil.copyfile(package / "_notebooks" / f"{name}.ipynb", local)
    return local


def lab_command(notebook: str, extra: list[str]) -> list[str]:
    """The ``jupyter lab`` command line that ``firefly-widgets lab`` runs."""
    cmd = [sys.executable, "-m", "jupyter", "lab", str(_notebook(notebook))]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        cmd.append("--allow-root")  # Jupyter refuses root without it (containers, CI machines)
    return cmd + extra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="firefly-widgets", description="The local Firefly-compatible service.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the local service in the foreground")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=0, help="port to bind (default 0: a free port)")
    serve.add_argument("--home", help="data folder (default $FIREFLY_HOME or the user's data dir)")
    lab = sub.add_parser("lab", help="open JupyterLab on the quickstart notebook (other jupyter options pass through)")
    lab.add_argument("--notebook", default="quickstart", help="quickstart (default), browse, or a path")
    for name, text in (("status", "say whether the local service runs, and where"),
                       ("stop", "stop the local service")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--home", help="data folder (default $FIREFLY_HOME or the user's data dir)")
    args, extra = parser.parse_known_args(argv)
    if args.command == "lab":
        cmd = lab_command(args.notebook, extra)
        os.execv(cmd[0], cmd)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    home = _home(args.home)

    if args.command == "serve":
        from firefly_widgets.server import ServiceSettings
        from firefly_widgets.server import serve as run

        if not 0 <= args.port <= 65535:
            parser.error(f"--port must be between 0 and 65535, got {args.port}")
        run(ServiceSettings.from_env(home=home, host=args.host, port=args.port))
        return 0

    from firefly_widgets.sdk import embedded

    if args.command == "status":
        status = embedded.service_status(home)
        print(json.dumps(status, indent=2))
        return 0 if status.get("running") else 1
    stopped = embedded.stop_service(home)
    print("stopped" if stopped else f"no service was running for {home}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
