"""The contract between the service and the training engine.

The service (``firefly_widgets.server``) owns records and processes; the engine owns data handling,
model training, ensembles and predictions. The engine never imports the service: it is handed a
:class:`TrainingSpec` saying what to train and a :class:`TrainingRecorder` to put results into.

Everything here is plain data (JSON-able dicts, str paths) so that a worker process can rebuild it
from the store.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ConfigError", "DataError", "EngineError", "ModelRecord", "TrainingRecorder", "TrainingSpec"]


class EngineError(Exception):
    """A problem that ends a training, refit or prediction job; its message is shown to the user."""


class ConfigError(EngineError, ValueError):
    """A task or dataset setting that cannot be honoured.

    Args:
        field: the name of the offending setting as the user wrote it (``"target"``, ``"estimators"``...).
        message: what is wrong and what would be valid, e.g.
            ``"estimators: 'arima' is not available for classification; choose from logreg, ..."``.
    """

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class DataError(EngineError, ValueError):
    """Uploaded data that cannot be used (not CSV, empty, no columns, duplicate column names...)."""


@dataclass(frozen=True)
class TrainingSpec:
    """What one run of a task's search must do.

    Attributes:
        task_id: the task's id (for seeds and file names only).
        data_path: the CSV file of the dataset's datasource.
        dataset: the dataset record: ``target``, ``problem_type``, ``na_values``, ``time_axis``,
            ``not_used``, ``meta`` (what :func:`firefly_widgets.engine.describe_dataset` returned) ...
        config: the task configuration after :func:`firefly_widgets.engine.validate_task_config`.
        work_dir: a folder private to this task, kept across runs (models, the study journal).
        time_budget: seconds of search left in this run (the task's timeout minus time already spent).
        n_jobs: how many cores training may use.
        seed: the base random seed.
    """

    task_id: int
    data_path: str
    dataset: dict[str, Any]
    config: dict[str, Any]
    work_dir: str
    time_budget: float
    n_jobs: int = 1
    seed: int = 0


@dataclass(frozen=True)
class ModelRecord:
    """A model that an earlier run of the same task finished (handed back so a search can resume)."""

    id: int
    estimator: str
    params: dict[str, Any]
    score: float | None
    artifact: str | None
    status: str
    extra: dict[str, Any] = field(default_factory=dict)


class TrainingRecorder(ABC):
    """Where the engine puts what it trains. Implemented by the service over its store.

    Contract:
        - Called from one thread of one process; implementations need not be thread safe.
        - Every method commits durably before it returns: once ``record_model`` has returned, the model
          survives a SIGKILL of the worker or of the service. The worker may be killed at any moment
          (that is how pause and cancel work), so the engine writes an artifact file completely
          (write to a temporary name, then rename) before recording it.
        - Methods raise nothing the engine should catch; a failure of the store ends the run.
    """

    @abstractmethod
    def finished_models(self) -> list[ModelRecord]:
        """Models recorded by earlier runs of this task since it was (re)started, oldest first."""

    @abstractmethod
    def record_model(self, *, estimator: str, params: dict[str, Any], score: float | None,
                     fit_seconds: float, artifact: str | None, status: str = "ok",
                     error: str | None = None, extra: dict[str, Any] | None = None) -> int:
        """Record one trained (``status="ok"``) or failed (``"failed"``, with ``error``) model.

        ``artifact`` is a path relative to ``TrainingSpec.work_dir``; ``score`` the validation score.
        ``extra`` is free JSON (e.g. the path of the validation predictions). Returns the model's id.
        """

    @abstractmethod
    def record_ensemble(self, *, model_ids: list[int], weights: list[float], score: float,
                        manifest: dict[str, Any]) -> int:
        """Record an ensemble and append its score to the task's progress at once.

        ``manifest`` is JSON that :func:`firefly_widgets.engine.predict_csv` and
        :func:`firefly_widgets.engine.refit_ensemble` accept (artifact paths relative to ``work_dir``).
        The service makes the best ensemble so far (by the metric's direction) the task's chosen one.
        Returns the ensemble's id.
        """

    @abstractmethod
    def record_results(self, results: dict[str, Any]) -> None:
        """Replace the task's results (the answer of ``GET tasks/{id}/results``)."""

    @abstractmethod
    def record_reports(self, ensemble_id: int, reports: dict[str, Any]) -> None:
        """Store the reports of one recorded ensemble (the answers of ``GET reports/ensembles/{id}/{name}``),
        replacing earlier ones."""

    @abstractmethod
    def elapsed(self) -> float:
        """Seconds this task has spent RUNNING in total, across pauses and restarts."""
