"""firefly_widgets: run and watch Firefly-style AutoML tasks from a notebook.

The SDK (``firefly_widgets.sdk``) speaks the Firefly REST protocol to a real Firefly account or to the
embedded local service; the notebook widgets (``TaskWidget``, ``TaskBrowser``, ``doctor``) are
imported only when first used, so importing this package stays light.

Example:
    >>> import firefly_widgets as fw
    >>> fw.connect()                                   # doctest: +SKIP  (the local service)
    >>> fw.Task.list(page_size=5)["total"]             # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

from firefly_widgets import enums
from firefly_widgets._version import __version__
from firefly_widgets.sdk import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    Client,
    Dataset,
    Datasource,
    Ensemble,
    FireflyError,
    FireflyResponse,
    InvalidRequestError,
    NotFoundError,
    PermissionError,
    Prediction,
    ServiceStartError,
    Task,
    WaitTimeoutError,
    connect,
    get_client,
)

__all__ = [
    "APIConnectionError",
    "APIError",
    "AuthenticationError",
    "Client",
    "Dataset",
    "Datasource",
    "Ensemble",
    "FireflyError",
    "FireflyResponse",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionError",
    "Prediction",
    "ServiceStartError",
    "Task",
    "TaskBrowser",
    "TaskWidget",
    "WaitTimeoutError",
    "__version__",
    "connect",
    "doctor",
    "enums",
    "get_client",
]

# Widgets pull in ipywidgets/anywidget/bqplot: imported on first access only.
_LAZY_WIDGETS = {"TaskWidget", "TaskBrowser", "doctor"}


def __getattr__(name: str) -> Any:
    if name in _LAZY_WIDGETS:
        widgets = importlib.import_module("firefly_widgets.widgets")
        try:
            value = getattr(widgets, name)
        except AttributeError:
            raise AttributeError(
                f"firefly_widgets.{name} is not available: firefly_widgets.widgets does not define it"
            ) from None
        globals()[name] = value
        return value
    raise AttributeError(f"module 'firefly_widgets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY_WIDGETS)
