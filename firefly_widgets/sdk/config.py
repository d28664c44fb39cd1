"""Which service the SDK talks to: ``connect()`` and the process-wide default client.

Resolution order, first match wins:

1. ``connect(url=..., token=...)`` arguments;
2. the ``FIREFLY_API_URL`` and ``FIREFLY_TOKEN`` environment variables;
3. the embedded default: the local service of ``FIREFLY_HOME``, started on first use.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from firefly_widgets.sdk import embedded
from firefly_widgets.sdk.client import Client

__all__ = ["connect", "disconnect", "get_client"]

URL_ENV = "FIREFLY_API_URL"
TOKEN_ENV = "FIREFLY_TOKEN"

_lock = threading.RLock()
_default: Client | None = None


def _token_for(url: str) -> str | None:
    """The token of the local service when ``url`` is its address (so ``connect(url)`` alone works)."""
    info = embedded.read_server_info()
    if info is not None and info.url == url.rstrip("/"):
        return info.token
    return None


def connect(url: str | None = None, token: str | None = None, **client_options: Any) -> Client:
    """Choose the service used by every SDK call of this process, and return its client.

    Args:
        url: the service's base URL. Default: ``FIREFLY_API_URL``, else the embedded local service
            (started if it is not running).
        token: the API token. Default: ``FIREFLY_TOKEN``, else the local service's own token when
            ``url`` is the local service.
        **client_options: passed to :class:`Client` (``connect_timeout``, ``read_timeout``,
            ``retries``, ``backoff_factor``, ``pool_size``).

    Returns:
        Client: the new default client.

    Raises:
        InvalidRequestError: ``url`` is not an http(s) address.
        ServiceStartError: the embedded service was needed and could not be started.

    Example:
        >>> import firefly_widgets
        >>> client = firefly_widgets.connect()            # doctest: +SKIP  (the local service)
        >>> client = firefly_widgets.connect("http://127.0.0.1:8787", token="...")  # doctest: +SKIP
    """
    global _default
    url = url or os.environ.get(URL_ENV) or None
    token = token or os.environ.get(TOKEN_ENV) or None
    if url:
        client = Client(url, token if token is not None else _token_for(url), **client_options)
    else:
        info = embedded.ensure_service()
        home = info.home
        explicit_token = token

        def resolve() -> tuple[str, str | None]:
            found = embedded.ensure_service(home)
            return found.url, explicit_token or found.token

        client = Client(info.url, explicit_token or info.token, resolver=resolve, **client_options)
    with _lock:
        _default = client
    return client


def get_client() -> Client:
    """Return the default client, connecting on first use (see :func:`connect` for the order).

    Returns:
        Client: the client every SDK classmethod uses.

    Raises:
        ServiceStartError: the embedded service was needed and could not be started.

    Example:
        >>> from firefly_widgets.sdk import get_client
        >>> get_client().url                               # doctest: +SKIP
        'http://127.0.0.1:40123'
    """
    with _lock:
        if _default is None:
            connect()
        assert _default is not None
        return _default


def disconnect() -> None:
    """Forget the default client (the next SDK call resolves the service again)."""
    global _default
    with _lock:
        client, _default = _default, None
    if client is not None:
        client.close()
