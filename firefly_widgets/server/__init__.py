"""The local Firefly-compatible service: FastAPI over SQLite, training in worker processes.

Run it with ``firefly-widgets serve`` (or let the SDK start it). See ``create_app`` and ``serve``.
"""

from .app import create_app
from .runner import serve
from .settings import ServiceSettings

__all__ = ["ServiceSettings", "create_app", "serve"]
