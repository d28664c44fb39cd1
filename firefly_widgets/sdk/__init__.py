"""The Firefly SDK: the official ``fireflyai`` client's API, on one pooled, thread-safe HTTP client.

Code written for the official client runs after swapping the import::

    from firefly_widgets.sdk import Datasource, Dataset, Task, enums

    source = Datasource.create("iris.csv", skip_if_exists=True)
    dataset = Dataset.create(source["id"], "iris", target="species",
                             problem_type=enums.ProblemType.CLASSIFICATION, wait=True)
    task = Task.create("iris-task", dataset["id"], timeout=60, wait=True)

The service is chosen by :func:`connect` (explicit ``url``/``token``), else the ``FIREFLY_API_URL`` /
``FIREFLY_TOKEN`` environment variables, else the embedded local service (started on first use).
"""

from __future__ import annotations

from firefly_widgets.sdk import enums
from firefly_widgets.sdk.client import Client
from firefly_widgets.sdk.config import connect, disconnect, get_client
from firefly_widgets.sdk.dataset import Dataset
from firefly_widgets.sdk.datasource import Datasource
from firefly_widgets.sdk.ensemble import Ensemble
from firefly_widgets.sdk.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    FireflyError,
    InvalidRequestError,
    NotFoundError,
    PermissionError,
    ServiceStartError,
    WaitTimeoutError,
)
from firefly_widgets.sdk.prediction import Prediction
from firefly_widgets.sdk.response import FireflyResponse
from firefly_widgets.sdk.task import Task

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
    "WaitTimeoutError",
    "connect",
    "disconnect",
    "enums",
    "get_client",
]
