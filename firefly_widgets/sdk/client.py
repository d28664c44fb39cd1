"""The HTTP client: one pooled ``requests.Session`` per service, safe to share between threads.

Everything that crosses the wire goes through :meth:`Client.request` (or :meth:`Client.download`),
so this module is the one place where bodies are turned into :class:`FireflyResponse` objects and
where ``requests`` errors and HTTP error statuses become :class:`FireflyError` subclasses.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from firefly_widgets.sdk.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    FireflyError,
    InvalidRequestError,
    NotFoundError,
    PermissionError,
)
from firefly_widgets.sdk.response import FireflyResponse

__all__ = ["Client", "translate_body"]

#: Methods whose calls may be repeated safely after a read error or a reset connection.
IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE", "HEAD", "OPTIONS"})
_KNOWN_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"})

#: Finds the service again (e.g. restarts the embedded one) and returns its ``(url, token)``.
Resolver = Callable[[], "tuple[str, str | None]"]


def translate_body(payload: Any) -> dict[str, Any] | None:
    """Turn a decoded 2xx JSON body into the data of a :class:`FireflyResponse`.

    The rules are the wire protocol's (and the official client's):

    - an object without ``result``: the object itself;
    - ``{"result": {...}}``: the inner object;
    - ``{"result": true}`` (a bool): the whole object;
    - ``{"result": 42}`` (an int): ``{"id": 42}``;
    - a list, or ``{"result": [...]}`` (or any other value): ``{"result": value}``.

    Args:
        payload: the decoded JSON body.

    Returns:
        The response data, or ``None`` for an empty body (``{}``, ``null``); an empty list stays
        ``{"result": []}`` so that list-valued routes always have a ``result``.

    Example:
        >>> translate_body({"result": 7})
        {'id': 7}
    """
    if payload is None or payload == {}:
        return None
    wrapped = payload if isinstance(payload, dict) and "result" in payload else {"result": payload}
    result = wrapped["result"]
    if isinstance(result, dict):
        return result
    if isinstance(result, bool):
        return wrapped
    if isinstance(result, int):
        return {"id": result}
    return wrapped


def _error_message(body: Any, response: requests.Response, *, prefer: str) -> str:
    """Find the human message in an error body, whatever key the service put it under."""
    if isinstance(body, dict):
        keys = (prefer, "message", "error", "detail")
        for key in keys:
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if key == "detail" and isinstance(value, list) and value:
                # FastAPI's validation errors: [{"loc": [...], "msg": "..."}, ...]
                parts = []
                for item in value:
                    if isinstance(item, dict):
                        where = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                        parts.append(f"{where}: {item.get('msg', item)}" if where else str(item.get("msg")))
                    else:
                        parts.append(str(item))
                return "; ".join(parts)
    text = (response.text or "").strip()
    return text[:500] if text else f"HTTP {response.status_code} {response.reason or ''}".strip()


class Client:
    """A connection to one Firefly-compatible service.

    One ``requests.Session`` with a connection pool; connect and read timeouts; connection errors are
    retried with exponential backoff (any method when the request was never sent, only idempotent
    methods - GET, PUT, DELETE - after a read error). The client holds no per-request state, so one
    instance may be used from many threads at once.

    Args:
        url: the service's base URL, e.g. ``http://127.0.0.1:8787``.
        token: the API token, sent as the ``jwt`` query parameter.
        connect_timeout: seconds to wait for a TCP connection.
        read_timeout: seconds to wait for an answer.
        retries: how many times a failed connection is retried.
        backoff_factor: the first retry waits this many seconds, then twice as long each time.
        pool_size: connections kept open for reuse (also the number of threads served in parallel).
        resolver: optional callable returning a fresh ``(url, token)`` when the service cannot be
            reached (the embedded default uses it to restart a service that died); called at most once
            per request.

    Example:
        >>> client = Client("http://127.0.0.1:8787", token="...")   # doctest: +SKIP
        >>> client.request("GET", "tasks", params={"page_size": 5})["total"]   # doctest: +SKIP
        12
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        retries: int = 3,
        backoff_factor: float = 0.25,
        pool_size: int = 16,
        resolver: Resolver | None = None,
    ):
        if not url or not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise InvalidRequestError(
                f"url must be an http:// or https:// address such as 'http://127.0.0.1:8787', got {url!r}"
            )
        self._lock = threading.Lock()
        self._url = url.rstrip("/")
        self._token = token
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._resolver = resolver
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=0,
            other=0,
            redirect=2,
            allowed_methods=IDEMPOTENT_METHODS,
            backoff_factor=backoff_factor,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=retry)
        self._session = requests.Session()
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    # -- identity -----------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The service's base URL (without a trailing slash)."""
        return self._url

    @property
    def token(self) -> str | None:
        """The API token sent with every request."""
        return self._token

    def __repr__(self) -> str:
        return f"Client(url={self._url!r})"

    def close(self) -> None:
        """Close the pooled connections. The client must not be used afterwards."""
        self._session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- requests -----------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        api_key: str | None = None,
    ) -> FireflyResponse:
        """Send one request and return the translated answer.

        Args:
            method: ``GET``, ``POST``, ``PUT``, ``DELETE`` or ``PATCH``.
            path: the route relative to the base URL, e.g. ``"tasks/12/progress"``.
            params: query parameters; ``None`` values are left out, lists become repeated parameters.
            json: the JSON body.
            files: multipart files, as for ``requests`` (``{"file": (name, fileobj, "text/csv")}``).
            data: multipart form fields sent with ``files``.
            timeout: read timeout in seconds for this request (default: the client's).
            api_key: a token for this request only, instead of the client's.

        Returns:
            FireflyResponse: the answer, translated as :func:`translate_body` describes.

        Raises:
            InvalidRequestError: 400, 404, 409 or 422 (unknown id, invalid input, duplicate name).
            AuthenticationError: 401 (missing or wrong token).
            PermissionError: 403.
            APIError: 5xx or an unreadable answer.
            APIConnectionError: the service could not be reached.
        """
        response, request_id = self._send(
            method, path, params=params, json=json, files=files, data=data, timeout=timeout, api_key=api_key
        )
        body = self._decode(response, request_id)
        return FireflyResponse(data=translate_body(body), headers=response.headers,
                               status_code=response.status_code)

    def download(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        api_key: str | None = None,
    ) -> bytes:
        """GET a route that answers a file (e.g. ``predictions/{id}/download``) and return its bytes.

        Args:
            path: the route relative to the base URL.
            params: query parameters.
            timeout: read timeout in seconds.
            api_key: a token for this request only.

        Returns:
            bytes: the response body.

        Raises:
            FireflyError: as :meth:`request` does.
        """
        response, _ = self._send("GET", path, params=params, timeout=timeout, api_key=api_key)
        return response.content

    # -- internals ----------------------------------------------------------------------------------
    def _send(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, timeout: float | None = None,
              api_key: str | None = None, **body: Any) -> tuple[requests.Response, str]:
        """Send with retries and re-resolution; ``body`` is :meth:`request`'s ``json``, ``files`` and ``data``."""
        method = method.upper()
        if method not in _KNOWN_METHODS:
            raise InvalidRequestError(
                f"Unsupported HTTP method {method!r}; use one of {', '.join(sorted(_KNOWN_METHODS))}."
            )
        request_id = str(uuid.uuid4())
        query = {key: value for key, value in (params or {}).items() if value is not None}
        read_timeout = self.read_timeout if timeout is None else timeout
        resolved_again = False
        while True:
            with self._lock:
                base, token = self._url, self._token
            token = api_key if api_key is not None else token
            url = f"{base}/{path.lstrip('/')}"
            try:
                response = self._session.request(
                    method,
                    url,
                    params={"jwt": token, **query} if token is not None else query,
                    headers={"X-Request-ID": request_id},
                    timeout=(self.connect_timeout, read_timeout),
                    **body,
                )
            except requests.exceptions.RequestException as err:
                # Re-resolve when the service seems gone (refused, reset), not when it is merely slow.
                never_sent = _is_connect_failure(err)
                slow = isinstance(err, requests.exceptions.ReadTimeout)
                if self._resolver is not None and not resolved_again and not slow and (
                    never_sent or method in IDEMPOTENT_METHODS
                ):
                    resolved_again = True
                    if self._re_resolve(base):
                        continue
                raise self._connection_error(err, url=url, method=method, request_id=request_id,
                                             read_timeout=read_timeout) from err
            if response.status_code >= 400:
                raise self._error_from_response(response, request_id)
            return response, request_id

    def _re_resolve(self, failed_base: str) -> bool:
        """Ask the resolver for the service again; True when it gave a different address or token."""
        assert self._resolver is not None
        try:
            url, token = self._resolver()
        except FireflyError:
            return False
        with self._lock:
            changed = url.rstrip("/") != failed_base or token != self._token
            self._url, self._token = url.rstrip("/"), token
        return changed

    def _decode(self, response: requests.Response, request_id: str) -> Any:
        if not response.content or not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError as err:
            raise APIError(
                f"{response.request.method} {_strip_query(response.url)} answered HTTP {response.status_code} "
                f"with a body that is not JSON: {response.text[:200]!r}",
                headers=_with_request_id(response.headers, request_id),
                code=response.status_code,
            ) from err

    def _error_from_response(self, response: requests.Response, request_id: str) -> FireflyError:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        status = response.status_code
        headers = _with_request_id(response.headers, request_id)
        where = f"{response.request.method} {_strip_query(response.url)}"
        if status in (400, 404, 409, 422):
            message = _error_message(body, response, prefer="error")
            if status == 404 and message == "Not Found":
                message = f"{where}: not found (no such id, or the service does not offer this route)"
            error_class = NotFoundError if status == 404 else InvalidRequestError
            return error_class(message, json_body=body, headers=headers, code=status)
        if status == 401:
            detail = _error_message(body, response, prefer="message")
            return AuthenticationError(
                f"The service at {self._url} rejected the token ({detail}). Pass the right token to "
                "firefly_widgets.connect(url, token=...) or set FIREFLY_TOKEN; the local service keeps "
                "its token in <FIREFLY_HOME>/token.",
                json_body=body, headers=headers, code=status,
            )
        if status == 403:
            message = _error_message(body, response, prefer="message")
            return PermissionError(message, json_body=body, headers=headers, code=status)
        message = _error_message(body, response, prefer="message")
        return APIError(f"{where} failed with HTTP {status}: {message}", json_body=body, headers=headers,
                        code=status)

    def _connection_error(
        self, err: requests.exceptions.RequestException, *, url: str, method: str, request_id: str,
        read_timeout: float,
    ) -> APIConnectionError:
        where = _strip_query(url)
        headers = {"X-Request-ID": request_id}
        if isinstance(err, requests.exceptions.ReadTimeout):
            return APIConnectionError(
                f"{method} {where} got no answer within {read_timeout:g} s. The service may be overloaded; "
                "retry, or pass a larger timeout.",
                headers=headers,
            )
        return APIConnectionError(
            f"Cannot reach the Firefly service at {self._url} ({method} {where}: {_root_cause(err)}). "
            "Check that it is running (`firefly-widgets status`), or point the SDK at the right address "
            "with firefly_widgets.connect(url=..., token=...) or the FIREFLY_API_URL / FIREFLY_TOKEN "
            "environment variables; unset them to use the embedded local service.",
            headers=headers,
        )


def _is_connect_failure(err: BaseException) -> bool:
    """True when the request failed before any byte was sent (refused, DNS, connect timeout)."""
    import urllib3.exceptions as u3

    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, u3.NewConnectionError | u3.ConnectTimeoutError):
            return True
        if isinstance(current, u3.MaxRetryError) and current.reason is not None:
            current = current.reason
            continue
        nested = current.args[0] if current.args and isinstance(current.args[0], BaseException) else None
        current = nested or current.__cause__ or current.__context__
    return isinstance(err, requests.exceptions.ConnectTimeout)


def _root_cause(err: BaseException) -> str:
    """The innermost readable reason of a requests/urllib3 error, e.g. 'Connection refused'."""
    import urllib3.exceptions as u3

    current: BaseException = err
    for _ in range(8):
        if isinstance(current, u3.MaxRetryError) and current.reason is not None:
            current = current.reason
        elif current.args and isinstance(current.args[0], BaseException):
            current = current.args[0]
        else:
            break
    text = str(current)
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    return text.split(": ", 1)[-1] if isinstance(current, u3.NewConnectionError) else text


def _strip_query(url: str) -> str:
    """A URL without its query string, so tokens never appear in messages."""
    return url.split("?", 1)[0]


def _with_request_id(headers: Mapping[str, str], request_id: str) -> dict[str, str]:
    merged = dict(headers)
    if not any(key.lower() == "x-request-id" for key in merged):
        merged["X-Request-ID"] = request_id
    return merged
