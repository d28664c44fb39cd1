"""The ``firefly-widgets`` command: ``serve``, ``status``, ``stop``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["main"]


def _home(value: str | None) -> Path:
    from firefly_widgets.server.settings import default_home

    return Path(value).expanduser() if value else default_home()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="firefly-widgets", description="The local Firefly-compatible service.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the local service in the foreground")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=0, help="port to bind (default 0: a free port)")
    serve.add_argument("--home", help="data folder (default $FIREFLY_HOME or the user's data dir)")
    for name, text in (("status", "say whether the local service runs, and where"),
                       ("stop", "stop the local service")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--home", help="data folder (default $FIREFLY_HOME or the user's data dir)")
    args = parser.parse_args(argv)
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
