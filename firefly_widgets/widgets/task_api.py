"""The calls the task widgets make to the service, in one place, over the SDK.

Polling reads (task, incremental progress, results) go through ``Client.request`` with a short read
timeout so that a hung service cannot hold the shared poller thread for a minute; everything else uses
the SDK's classmethods, as user code would. Every function raises the SDK's ``FireflyError``
subclasses; :func:`describe_error` turns any exception into one readable line.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from firefly_widgets import sdk
from firefly_widgets.enums import LOWER_IS_BETTER

__all__ = [
    "FINAL_STATES",
    "POLL_TIMEOUT",
    "available_options",
    "create_task",
    "dataset_classes",
    "delete_task",
    "describe_error",
    "edit_notes",
    "fetch_progress",
    "fetch_results",
    "fetch_task",
    "find_task_id",
    "is_connection_error",
    "list_datasets",
    "metric_direction",
    "run_action",
    "training_datasource",
]

#: States after which a task changes only when a user acts on it.
FINAL_STATES = frozenset({"COMPLETED", "FAILED", "CANCELED"})
#: Read timeout (seconds) of the poller's requests.
POLL_TIMEOUT = 10.0


def _client() -> Any:
    return sdk.get_client()


def _plain(value: Any) -> Any:
    """Enum members to their values, FireflyResponses to dicts, recursively."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, sdk.FireflyResponse):
        return _plain(value.to_dict())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def fetch_task(task_id: int) -> dict[str, Any]:
    """The task object (``GET tasks/{id}``)."""
    return dict(_client().request("GET", f"tasks/{task_id}", timeout=POLL_TIMEOUT).to_dict())


def fetch_progress(task_id: int, since: int = 0) -> list[dict[str, Any]]:
    """Progress entries with ``index >= since`` (``GET tasks/{id}/progress?since=N``)."""
    resp = _client().request("GET", f"tasks/{task_id}/progress", params={"since": since},
                             timeout=POLL_TIMEOUT)
    return list(resp.get("result") or [])


def fetch_results(task_id: int) -> dict[str, Any]:
    """The task's full results (``GET tasks/{id}/results``); ``{}`` when there are none yet."""
    return dict(_client().request("GET", f"tasks/{task_id}/results", timeout=POLL_TIMEOUT).to_dict())


def find_task_id(name: str) -> int:
    """The id of the task called ``name``.

    Raises:
        InvalidRequestError: no task has that name.
    """
    resp = sdk.Task.list(filter_={"name": [name]}, page_size=1)
    hits = resp.get("hits") or []
    if not hits:
        raise sdk.InvalidRequestError(f"no task is named {name!r}")
    return int(hits[0]["id"])


def list_datasets() -> list[dict[str, Any]]:
    """Every dataset (newest first as the service sorts them), as plain dicts."""
    resp = sdk.Dataset.list(page_size=500)
    return [dict(h) for h in (resp.get("hits") or [])]


def dataset_classes(dataset_id: int) -> list[str]:
    """The class labels of a classification-like dataset (``GET datasets/{id}/meta``), else ``[]``."""
    meta = _client().request("GET", f"datasets/{dataset_id}/meta", timeout=POLL_TIMEOUT)
    return [str(c) for c in (meta.get("classes") or [])]


def available_options(dataset_id: int, interpretability_level: int | None = None) -> dict[str, list[str]]:
    """Estimators, metrics, splitting strategies and pipeline steps valid for the dataset.

    Returns:
        ``{"estimators": [...], "target_metric": [...], "splitting_strategy": [...], "pipeline": [...]}``
        of enum values.
    """
    level = interpretability_level
    if level is not None:
        level = sdk.enums.InterpretabilityLevel(level)
    return {
        "estimators": _plain(list(sdk.Dataset.get_available_estimators(dataset_id, level))),
        "target_metric": _plain(list(sdk.Dataset.get_available_target_metric(dataset_id, level))),
        "splitting_strategy": _plain(list(sdk.Dataset.get_available_splitting_strategy(dataset_id, level))),
        "pipeline": _plain(list(sdk.Dataset.get_available_pipeline(dataset_id, level))),
    }


def create_task(config: dict[str, Any]) -> int:
    """Create and start a task with ``Task.create(**config)``; returns its id."""
    resp = sdk.Task.create(**config)
    task_id = resp.get("task_id", resp.get("id"))
    if task_id is None:
        raise sdk.APIError(f"the service created the task but answered no id: {resp!r}")
    return int(task_id)


def training_datasource(dataset_id: int) -> int:
    """The datasource a dataset was made from (the default data to refit a task's ensemble on).

    Raises:
        ValueError: the dataset does not say.
    """
    dataset = sdk.Dataset.get(dataset_id)
    for key in ("data_id", "datasource_id"):
        if dataset.get(key) is not None:
            return int(dataset[key])
    raise ValueError(f"dataset #{dataset_id} does not say which datasource it came from; "
                     "give refit a datasource id")


def edit_notes(task_id: int, notes: str) -> None:
    """Save the task's notes."""
    sdk.Task.edit_notes(task_id, notes)


def delete_task(task_id: int) -> None:
    """Delete the task."""
    sdk.Task.delete(task_id)


def run_action(task_id: int, action: str, *, seconds: int | None = None,
               datasource_id: int | None = None) -> Any:
    """Ask the service for one of the task actions.

    Args:
        task_id: the task.
        action: ``pause``, ``resume``, ``cancel``, ``rerun``, ``add_time``, ``refit`` or ``delete``.
        seconds: the extra time budget for ``add_time``.
        datasource_id: the data to refit on for ``refit``.

    Returns:
        The service's answer as a plain value.

    Raises:
        ValueError: an unknown action or a missing argument.
        FireflyError: the service refused or could not be reached.
    """
    task = sdk.Task
    if action == "pause":
        return _plain(task.pause_task(task_id))
    if action == "resume":
        return _plain(task.resume_task(task_id))
    if action == "cancel":
        return _plain(task.cancel_task(task_id))
    if action == "rerun":
        return _plain(task.rerun_task(task_id))
    if action == "add_time":
        if not seconds or seconds <= 0:
            raise ValueError(f"add time: seconds must be a positive whole number, got {seconds!r}")
        return _plain(task.add_additional_time_to_completed_task(task_id, int(seconds)))
    if action == "refit":
        if datasource_id is None:
            raise ValueError("refit: choose the datasource to refit on")
        return _plain(task.refit(task_id, int(datasource_id)))
    if action == "delete":
        return _plain(task.delete(task_id))
    raise ValueError(f"unknown action {action!r}")


def metric_direction(metric: str | None) -> str:
    """``"minimize"`` for error metrics, ``"maximize"`` otherwise."""
    return "minimize" if metric in LOWER_IS_BETTER else "maximize"


def is_connection_error(err: BaseException) -> bool:
    """True when ``err`` means the service could not be reached (worth a retry), not a refusal."""
    return isinstance(err, (sdk.APIConnectionError, ConnectionError, TimeoutError))


def describe_error(err: BaseException) -> str:
    """One readable line for any error: the service's own message when there is one."""
    text = err.message if isinstance(err, sdk.FireflyError) else (str(err) or type(err).__name__)
    if is_connection_error(err):
        return f"The Firefly service cannot be reached: {text}"
    return text
