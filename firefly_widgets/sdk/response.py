"""FireflyResponse: what every SDK call returns, with the official client's behaviour."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["FireflyResponse"]


class FireflyResponse:
    """A service answer: a dictionary-like view of the data plus the HTTP status and headers.

    As in the official client, ``resp[key]`` returns ``None`` for a missing key instead of raising,
    ``key in resp`` tests presence, and ``to_dict()`` gives the underlying dictionary. A response is
    always truthy, even when empty.

    Args:
        data: the response data (see the wire protocol for how a body becomes this dictionary).
        headers: the HTTP response headers.
        status_code: the HTTP status code.

    Example:
        >>> resp = FireflyResponse(data={"id": 3, "name": "iris"}, status_code=200)
        >>> resp["id"], resp.get("state", "unknown"), "name" in resp
        (3, 'unknown', True)
    """

    __slots__ = ("_data", "headers", "status_code")

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        status_code: int | None = None,
    ):
        self._data: dict[str, Any] = data if data is not None else {}
        self.headers: Mapping[str, str] = headers if headers is not None else {}
        self.status_code = status_code

    def __getitem__(self, key: str) -> Any:
        return self._data.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FireflyResponse):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a dict

    def __repr__(self) -> str:
        return repr(self._data)

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value of ``key``, or ``default`` when it is absent."""
        return self._data.get(key, default)

    def keys(self):
        """The keys of the response data."""
        return self._data.keys()

    def items(self):
        """The (key, value) pairs of the response data."""
        return self._data.items()

    def to_dict(self) -> dict[str, Any]:
        """Return the response data as a dictionary (the object itself, not a copy)."""
        return self._data

    @property
    def request_id(self) -> str | None:
        """The ``X-Request-ID`` header of the response, if the service sent one."""
        return self.headers.get("X-Request-ID")
