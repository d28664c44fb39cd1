"""Shared fixtures: one real service for the session, on a free port with a temporary home.

The whole test run points the SDK at that service (``FIREFLY_API_URL`` / ``FIREFLY_TOKEN``) and sets
``FIREFLY_HOME`` to a temporary folder, so no test ever touches the user's own data or starts a service
in their home.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from support import ServiceProcess, Wire, unique

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="firefly-test-home-"))
os.environ["FIREFLY_HOME"] = str(_SESSION_HOME / "embedded")
os.environ.pop("FIREFLY_API_URL", None)
os.environ.pop("FIREFLY_TOKEN", None)


@pytest.fixture(scope="session")
def service():
    """The session's service (``.url``, ``.token``, ``.home``); the SDK's environment points at it."""
    proc = ServiceProcess(home=_SESSION_HOME / "service").start()
    os.environ["FIREFLY_API_URL"] = proc.url
    os.environ["FIREFLY_TOKEN"] = proc.token
    yield proc
    os.environ.pop("FIREFLY_API_URL", None)
    os.environ.pop("FIREFLY_TOKEN", None)
    proc.stop()


@pytest.fixture(scope="session")
def wire(service) -> Wire:
    return Wire(service.url, service.token)


@pytest.fixture
def client(service):
    """The SDK connected to the session's service."""
    from firefly_widgets import sdk

    return sdk.connect(url=service.url, token=service.token)


def _frame(loader, target: str = "target") -> pd.DataFrame:
    bunch = loader(as_frame=True)
    frame = bunch.frame.copy()
    return frame.rename(columns={bunch.frame.columns[-1]: target})


@pytest.fixture(scope="session")
def iris_frame() -> pd.DataFrame:
    frame = _frame(load_iris)
    frame["target"] = frame["target"].map({0: "setosa", 1: "versicolor", 2: "virginica"})
    return frame


@pytest.fixture(scope="session")
def cancer_frame() -> pd.DataFrame:
    return _frame(load_breast_cancer)


@pytest.fixture(scope="session")
def diabetes_frame() -> pd.DataFrame:
    return _frame(load_diabetes)


@pytest.fixture
def make_dataset(wire):
    """Upload a frame and create a dataset on it; returns the dataset's id."""

    def make(frame: pd.DataFrame, problem_type: str = "classification", target: str = "target") -> int:
        name = unique("data")
        response = wire.upload(frame.to_csv(index=False), name)
        assert response.status_code == 200, response.text
        body = {"name": name, "data_id": response.json()["id"], "target": target, "problem_type": problem_type}
        return wire.ok("POST", "datasets", json=body)["id"]

    return make


@pytest.fixture
def make_task(wire):
    """Create a task (a few seconds of budget by default); returns its id."""

    def make(dataset_id: int, **config) -> int:
        body = {"name": unique("task"), "dataset_id": dataset_id, "timeout": 4, **config}
        return wire.ok("POST", "tasks", json=body)["task_id"]

    return make

