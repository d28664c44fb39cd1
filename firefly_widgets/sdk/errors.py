"""The SDK's errors: one hierarchy rooted at :class:`FireflyError`, as in the official client.

Each subclass also inherits the standard library category it belongs to, so callers may catch either
the Firefly class or the familiar one::

    try:
        Task.get(12345)
    except ValueError as err:          # InvalidRequestError is a ValueError
        print(err)

Every error carries ``code`` (the HTTP status, or ``None`` when the service was never reached),
``json_body`` (the error body as the service sent it), ``headers`` and ``request_id`` (the
``X-Request-ID`` of the failed request, useful in the service's log).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

from requests.structures import CaseInsensitiveDict

__all__ = [
    "APIConnectionError",
    "APIError",
    "AuthenticationError",
    "FireflyError",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionError",
    "ServiceStartError",
    "WaitTimeoutError",
]


class FireflyError(Exception):
    """Base class of every error the SDK raises.

    Args:
        message: what went wrong, in words a user can act on.
        json_body: the error body the service answered, if any.
        headers: the response headers (or the request headers when there was no response).
        code: the HTTP status code, or ``None`` when no response was received.
    """

    MESSAGE = "The Firefly service reported an error."

    def __init__(
        self,
        message: str | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        code: int | None = None,
    ):
        super().__init__(message or self.MESSAGE)
        self._message = message
        self.json_body = json_body
        self.headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(headers or {})
        self.code = code
        self.request_id: str | None = self.headers.get("X-Request-ID")

    @property
    def message(self) -> str:
        """The human-readable message, without the request id."""
        return self._message or self.MESSAGE

    def __str__(self) -> str:
        if self.request_id is not None:
            return f"Request {self.request_id}: {self.message}"
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(message={self.message!r}, code={self.code!r})"


class InvalidRequestError(FireflyError, ValueError):
    """The request was refused as invalid: an unknown id (404), bad input or a forbidden operation (400),
    a duplicate name (409)."""


class APIError(FireflyError, RuntimeError):
    """The service failed (5xx) or answered something the SDK cannot read."""


class NotFoundError(InvalidRequestError, APIError):
    """The id (404) or name does not exist.

    An :class:`InvalidRequestError` (what the official client raises for an unknown id) and an
    :class:`APIError` (what it raises for an unknown name), so code written for either case works.
    """


class APIConnectionError(FireflyError, builtins.ConnectionError):
    """The service could not be reached (refused, reset or timed out)."""


class AuthenticationError(FireflyError, builtins.PermissionError):
    """The token is missing or was rejected (401)."""


class PermissionError(AuthenticationError):  # noqa: A001 - the official client's name, kept for compatibility
    """The token is valid but not allowed to do this (403)."""


class WaitTimeoutError(FireflyError, builtins.TimeoutError):
    """A ``wait=True`` call gave up before the resource reached a final state."""


class ServiceStartError(APIConnectionError):
    """The embedded local service could not be started or found; the message names its log file."""
