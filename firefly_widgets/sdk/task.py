"""Task: a training run that searches models for a Dataset and builds Ensembles from them.

The same classmethods and arguments as the official client's ``fireflyai.Task``. Enum arguments
accept the enum member or its value (``TargetMetric.AUC`` or ``"auc"``).
"""

from __future__ import annotations

import warnings
from typing import Any

from firefly_widgets.enums import (
    CVStrategy,
    Estimator,
    InterpretabilityLevel,
    Pipeline,
    ProblemType,
    SplittingStrategy,
    TargetMetric,
    ValidationStrategy,
)
from firefly_widgets.sdk.errors import APIError, InvalidRequestError, NotFoundError
from firefly_widgets.sdk.resource import (
    GeneratedClassmethod,
    NamedResource,
    enum_value,
    enum_values,
    id_getter,
    notes_editor,
    to_member,
    wait_for_final_state,
)
from firefly_widgets.sdk.response import FireflyResponse

__all__ = ["Task"]

#: Extra seconds ``create(wait=True)`` waits beyond the task's own ``timeout`` (queueing, final ensemble).
WAIT_MARGIN = 600


def _task_operation(op: str, summary: str, refused_when: str) -> GeneratedClassmethod:
    """Make the ``{op}_task(cls, task_id, api_key=None)`` classmethod that POSTs ``tasks/{task_id}/{op}``."""

    def operation(cls: type[Task], task_id: int, api_key: str | None = None) -> FireflyResponse:
        return cls._request("POST", f"{cls.class_url()}/{task_id}/{op}", api_key=api_key)

    operation.__doc__ = f"""{summary}

        Args:
            task_id: the task id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: the service's "submitted" answer.

        Raises:
            InvalidRequestError: {refused_when}.
        """
    return GeneratedClassmethod(operation)


class Task(NamedResource):
    """Training tasks: create, query and control them.

    Example:
        >>> from firefly_widgets.sdk import Task
        >>> task = Task.create("iris-task", dataset_id=3, timeout=60, wait=True)   # doctest: +SKIP
        >>> task["state"], task["ensemble_id"]                                      # doctest: +SKIP
        ('COMPLETED', 7)
        >>> Task.pause_task(12)                                                     # doctest: +SKIP
        {'result': True}
    """

    _CLASS_PREFIX = "tasks"
    _KIND = "Task"

    # -- queries -------------------------------------------------------------------------------------
    @classmethod
    def get_task_id(cls, task_name: str, api_key: str | None = None) -> int:
        """Return the id of the last task whose fields contain ``task_name`` (official client helper).

        Raises:
            NotFoundError: no task matches.
        """
        hits = cls.list(search_term=task_name, api_key=api_key)["hits"] or []
        if not hits:
            raise NotFoundError(f"No task matches {task_name!r}")
        return hits[-1]["id"]

    @classmethod
    def get_task_progress(cls, id: int, api_key: str | None = None, *, since: int | None = None) -> FireflyResponse:
        """The scores of the ensembles the task has produced so far, oldest first.

        Args:
            id: the task id.
            api_key: a token for this call only.
            since: only entries whose ``index`` is at least this (for incremental polling).

        Returns:
            FireflyResponse: ``result`` is the list of entries; each has ``index``, ``ensemble_id``,
            ``score``, ``run_time``, ``size``, ``estimators``, ``creation_date``.

        Raises:
            NotFoundError: no task has this id.

        Example:
            >>> [p["score"] for p in Task.get_task_progress(12)["result"]]     # doctest: +SKIP
            [0.91, 0.94]
        """
        return cls._request("GET", f"{cls._CLASS_PREFIX}/{id}/progress", params={"since": since},
                            api_key=api_key)

    get_task_result = id_getter("{prefix}/{id}/results", "The task's full results (leaderboard of models and "
                                "ensembles, test score, reports).", "the results object")

    # -- changes -------------------------------------------------------------------------------------
    edit_notes = notes_editor()

    @classmethod
    def create(
        cls,
        name: str,
        dataset_id: int,
        estimators: list[Estimator] | None = None,
        target_metric: TargetMetric | None = None,
        splitting_strategy: SplittingStrategy | None = None,
        notes: str | None = None,
        ensemble_size: int | None = None,
        max_models_num: int | None = None,
        single_model_timeout: int | None = None,
        pipeline: list[Pipeline] | None = None,
        prediction_latency: int | None = None,
        interpretability_level: InterpretabilityLevel | None = None,
        timeout: int = 7200,
        cost_matrix_weights: list[list[str]] | None = None,
        train_size: float | None = None,
        test_size: float | None = None,
        validation_size: float | None = None,
        fold_size: int | None = None,
        n_folds: int | None = None,
        horizon: int | None = None,
        validation_strategy: ValidationStrategy | None = None,
        cv_strategy: CVStrategy | None = None,
        forecast_horizon: int | None = None,
        model_life_time: int | None = None,
        refit_on_all: bool | None = None,
        wait: bool = False,
        skip_if_exists: bool = False,
        leaky_features: list[str] | None = None,
        api_key: str | None = None,
    ) -> FireflyResponse:
        """Create a training task and start it.

        Settings left as ``None`` get the official client's defaults: the target metric and splitting
        strategy of the dataset's problem type (classification and anomaly detection: ``recall_macro``
        and ``stratified``; their timeseries forms: ``recall_macro`` and ``time_order``; regression:
        ``r2`` and ``shuffled``; timeseries regression: ``mae`` and ``time_order``), ensemble size and
        model count of the interpretability level (PRECISE: 5 and 200, EXPLAINABLE: 1 and 20), and
        every estimator and pipeline step the service offers for the dataset.

        Args:
            name: the task name (unique).
            dataset_id: the dataset to train on.
            estimators: estimators the search may use.
            target_metric: the metric the search optimizes.
            splitting_strategy: how rows are split into train/validation/test.
            notes: free text.
            ensemble_size: most models in an ensemble.
            max_models_num: most models trained.
            single_model_timeout: most seconds for one model.
            pipeline: pipeline steps the search may use.
            prediction_latency: most seconds an ensemble may take per prediction.
            interpretability_level: how interpretable the ensemble must be.
            timeout: seconds of search (default: 2 hours).
            cost_matrix_weights: for classification, the weights of the confusion matrix cells
                (the ``cost_metric``).
            train_size: share of rows for training.
            test_size: share of rows held out for the test score.
            validation_size: share of rows for validation.
            fold_size: rows per fold for cross-validation.
            n_folds: folds for cross-validation.
            horizon: deprecated; use ``forecast_horizon`` and ``model_life_time`` (it is not sent).
            validation_strategy: holdout or cross-validation.
            cv_strategy: how cross-validated models are combined.
            forecast_horizon: timeseries: how far ahead to predict.
            model_life_time: timeseries: how long the model is used.
            refit_on_all: refit the final ensemble on all the data at the end.
            wait: return only when the task is finished (polling about once a second).
            skip_if_exists: return the existing task when one has this name, instead of failing.
            leaky_features: columns to drop because they leak the target.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: ``{"id": task_id}``; with ``wait=True`` the finished task object; with
            ``skip_if_exists`` and an existing task, that task.

        Raises:
            InvalidRequestError: a task with this name exists, an unknown dataset, or an invalid
                setting (the message names it).
            WaitTimeoutError: with ``wait=True``, the task was not finished after ``timeout`` plus
                ten minutes.

        Example:
            >>> from firefly_widgets.enums import TargetMetric
            >>> Task.create("churn", dataset_id=3, target_metric=TargetMetric.AUC, timeout=300)  # doctest: +SKIP
            {'id': 12}
        """
        if horizon is not None:
            warnings.warn("Task.create(horizon=...) is deprecated and ignored; use forecast_horizon and "
                          "model_life_time.", DeprecationWarning, stacklevel=2)
        existing = cls._refuse_duplicate(name, skip_if_exists, api_key)
        if existing is not None:
            return existing

        from firefly_widgets.sdk.dataset import Dataset

        dataset = Dataset.get(id=dataset_id, api_key=api_key)
        level = to_member(InterpretabilityLevel, interpretability_level, "interpretability_level") \
            if interpretability_level is not None else None
        config = cls._get_config_defaults(dataset_id=dataset_id, problem_type=dataset["problem_type"],
                                          inter_level=level, api_key=api_key)
        user_config = {
            "dataset_id": dataset_id,
            "name": name,
            "estimators": enum_values(Estimator, estimators, "estimators"),
            "target_metric": enum_value(TargetMetric, target_metric, "target_metric"),
            "splitting_strategy": enum_value(SplittingStrategy, splitting_strategy, "splitting_strategy"),
            "ensemble_size": ensemble_size,
            "max_models_num": max_models_num,
            "single_model_timeout": single_model_timeout,
            "pipeline": enum_values(Pipeline, pipeline, "pipeline"),
            "prediction_latency": prediction_latency,
            "interpretability_level": level.value if level is not None else None,
            "timeout": timeout,
            "cost_matrix_weights": cost_matrix_weights,
            "train_size": train_size,
            "test_size": test_size,
            "validation_size": validation_size,
            "cv_strategy": enum_value(CVStrategy, cv_strategy, "cv_strategy"),
            "n_folds": n_folds,
            "forecast_horizon": forecast_horizon,
            "model_life_time": model_life_time,
            "fold_size": fold_size,
            "validation_strategy": enum_value(ValidationStrategy, validation_strategy, "validation_strategy"),
            "notes": notes,
            "leaky_features": leaky_features,
            "refit_on_all": refit_on_all,
        }
        config.update({key: value for key, value in user_config.items() if value is not None})

        response = cls._request("POST", cls._CLASS_PREFIX, json=config, api_key=api_key)
        task_id = response["task_id"] if "task_id" in response else response["id"]
        if task_id is None:
            raise APIError(f"POST {cls._CLASS_PREFIX} answered without a task id: {response!r}")
        if wait:
            max_time = None if timeout is None else timeout + WAIT_MARGIN
            return wait_for_final_state(cls.get, task_id, max_time=max_time, api_key=api_key)
        return FireflyResponse(data={"id": task_id}, headers=response.headers, status_code=response.status_code)

    @classmethod
    def _get_config_defaults(
        cls,
        dataset_id: int,
        problem_type: ProblemType | str,
        inter_level: InterpretabilityLevel | None,
        api_key: str | None = None,
    ) -> dict[str, Any]:
        """The official client's defaults for a dataset's problem type and interpretability level."""
        problem = to_member(ProblemType, problem_type, "problem_type")
        config: dict[str, Any] = {}
        if problem in (ProblemType.CLASSIFICATION, ProblemType.ANOMALY_DETECTION):
            config["target_metric"] = TargetMetric.RECALL_MACRO.value
            config["splitting_strategy"] = SplittingStrategy.STRATIFIED.value
        elif problem in (ProblemType.TIMESERIES_CLASSIFICATION, ProblemType.TIMESERIES_ANOMALY_DETECTION):
            config["target_metric"] = TargetMetric.RECALL_MACRO.value
            config["splitting_strategy"] = SplittingStrategy.TIME_ORDER.value
        elif problem == ProblemType.TIMESERIES_REGRESSION:
            config["target_metric"] = TargetMetric.MAE.value
            config["splitting_strategy"] = SplittingStrategy.TIME_ORDER.value
        elif problem == ProblemType.REGRESSION:
            config["target_metric"] = TargetMetric.R2.value
            config["splitting_strategy"] = SplittingStrategy.SHUFFLED.value

        if inter_level == InterpretabilityLevel.PRECISE:
            config["ensemble_size"] = 5
            config["max_models_num"] = 200
        elif inter_level == InterpretabilityLevel.EXPLAINABLE:
            config["ensemble_size"] = 1
            config["max_models_num"] = 20

        from firefly_widgets.sdk.dataset import Dataset

        options = Dataset._get_available_configuration_options(id=dataset_id, inter_level=inter_level,
                                                               api_key=api_key)
        config["estimators"] = [e.value for e in options["estimators"]]
        config["pipeline"] = [p.value for p in options["pipeline"]]
        return config

    @classmethod
    def refit(cls, id: int, datasource_id: int, wait: bool = False, api_key: str | None = None) -> FireflyResponse:
        """Refit the task's chosen ensemble on another datasource, making a new ensemble (stage REFIT).

        Args:
            id: the task id.
            datasource_id: the data to train the ensemble's models on, from scratch.
            wait: return only when the new ensemble is ready.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: ``{"id": new_ensemble_id}``; with ``wait=True`` the new ensemble object.

        Raises:
            InvalidRequestError: the task has no ensemble yet, or an unknown datasource.

        Example:
            >>> Task.refit(12, datasource_id=5, wait=True)["stage"]          # doctest: +SKIP
            'REFIT'
        """
        ensemble_id = cls.get(id=id, api_key=api_key).get("ensemble_id")
        if not ensemble_id:
            raise InvalidRequestError(f"Task {id} has no ensemble yet; refit needs a task that has produced one.")
        response = cls._request("POST", f"ensembles/{ensemble_id}/refit", json={"datasource_id": datasource_id},
                                api_key=api_key)
        new_id = response.get("ensemble_id", response.get("id"))
        if wait:
            from firefly_widgets.sdk.ensemble import Ensemble

            return wait_for_final_state(Ensemble.get, new_id, max_time=None, api_key=api_key)
        return FireflyResponse(data={"id": new_id}, headers=response.headers, status_code=response.status_code)

    # -- control -------------------------------------------------------------------------------------
    @classmethod
    def add_additional_time_to_completed_task(cls, id: int, new_time_budget: int,
                                              api_key: str | None = None) -> FireflyResponse:
        """Continue a completed task's search for ``new_time_budget`` more seconds.

        Args:
            id: the task id.
            new_time_budget: extra seconds of search.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: the service's "submitted" answer.

        Raises:
            InvalidRequestError: the task is not completed, or the budget is not positive.
        """
        return cls._request("POST", f"{cls._CLASS_PREFIX}/{id}/add_additional_time/{new_time_budget}",
                            api_key=api_key)

    rerun_task = _task_operation("rerun", "Start a finished (completed, failed or canceled) task again from scratch.",
                                 "the task is still running or queued")
    pause_task = _task_operation("pause", "Pause a running task; :meth:`resume_task` continues the same search.",
                                 "the task is not running or queued")
    resume_task = _task_operation("resume", "Resume a paused task.", "the task is not paused")
    cancel_task = _task_operation("cancel", "Stop a task for good, keeping what it has trained.",
                                  "the task is already finished")
