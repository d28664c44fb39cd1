"""Run the service: bind, announce it in ``server.json``, serve until stopped."""

from __future__ import annotations

import json
import logging
import os
import socket

import uvicorn

from firefly_widgets._version import __version__

from .app import create_app
from .settings import ServiceSettings, write_private

__all__ = ["serve"]


def serve(settings: ServiceSettings) -> None:
    """Serve until SIGINT/SIGTERM. ``settings.port`` 0 picks a free port; ``server.json`` says which."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.umask(0o077)  # the store, the uploads and the models are the user's alone
    app = create_app(settings)
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and without it every
    # response on a kept-alive connection waits ~40 ms for a delayed ACK (Nagle).
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(2048)
    port = sock.getsockname()[1]
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{'127.0.0.1' if settings.host in ('0.0.0.0', '') else host}:{port}"
    token = settings.token_path.read_text().strip()
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_keep_alive=30)
    server = uvicorn.Server(config)
    info = {"url": url, "token": token, "pid": os.getpid(), "version": __version__, "home": str(settings.home)}

    original_startup = server.startup

    async def startup(sockets=None):
        await original_startup(sockets=sockets)
        write_private(settings.server_json, json.dumps(info))
        logging.getLogger("firefly_widgets.server").info("serving on %s (home %s)", url, settings.home)

    server.startup = startup
    try:
        server.run(sockets=[sock])
    finally:
        try:
            current = json.loads(settings.server_json.read_text())
            if current.get("pid") == os.getpid():
                settings.server_json.unlink()
        except (OSError, ValueError):
            pass
