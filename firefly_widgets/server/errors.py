"""The service's errors and their JSON form (``{"error": ..., "message": ...}``, both the message)."""

from __future__ import annotations

__all__ = ["Conflict", "Invalid", "NotFound", "ServiceError", "error_body"]


class ServiceError(Exception):
    """An error answered to the client with ``status`` and a message naming the problem."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Invalid(ServiceError):
    """Invalid input, or an operation that the current state does not allow."""

    status = 400


class NotFound(ServiceError):
    """An unknown id."""

    status = 404

    def __init__(self, kind: str, id: int | str):
        super().__init__(f"{kind} {id} does not exist")


class Conflict(ServiceError):
    """A name that must be unique is taken."""

    status = 409


def error_body(message: str) -> dict[str, str]:
    """The body of every 4xx answer: the official client reads ``error`` for 400/404, ``message`` for others."""
    return {"error": message, "message": message}
