"""Dataset: a Datasource with roles assigned (target, problem type, ignored columns...), ready to train on.

The same classmethods and arguments as the official client's ``fireflyai.Dataset``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from firefly_widgets.enums import (
    CVStrategy,
    Estimator,
    FeatureType,
    InterpretabilityLevel,
    Pipeline,
    ProblemType,
    SplittingStrategy,
    TargetMetric,
    ValidationStrategy,
)
from firefly_widgets.sdk.resource import (
    GeneratedClassmethod,
    NamedResource,
    enum_value,
    id_getter,
    to_member,
    wait_for_final_state,
)
from firefly_widgets.sdk.response import FireflyResponse

__all__ = ["Dataset"]

#: The configuration options a task on a dataset may use, and the enumeration of each.
_OPTION_ENUMS: dict[str, type[Enum]] = {
    "estimators": Estimator,
    "target_metric": TargetMetric,
    "splitting_strategy": SplittingStrategy,
    "pipeline": Pipeline,
}


def _options_getter(option: str, summary: str) -> GeneratedClassmethod:
    """Make the ``get_available_<option>(cls, id, inter_level=None, api_key=None)`` classmethod."""
    enum_name = _OPTION_ENUMS[option].__name__

    def getter(cls: type[Dataset], id: int, inter_level: InterpretabilityLevel | None = None,
               api_key: str | None = None) -> list[Enum]:
        return cls._get_available_configuration_options(id, inter_level, api_key)[option]

    getter.__annotations__["return"] = f"list[{enum_name}]"  # e.g. list[Estimator], as a def would say
    getter.__doc__ = f"""{summary}

        Args:
            id: the dataset id.
            inter_level: restrict to this interpretability level.
            api_key: a token for this call only.

        Returns:
            list[{enum_name}]: enum members.

        Raises:
            NotFoundError: no dataset has this id.
        """
    return GeneratedClassmethod(getter)


class Dataset(NamedResource):
    """Datasets: create one from a datasource, query them, and ask what a task on them may use.

    Example:
        >>> from firefly_widgets.sdk import Dataset
        >>> from firefly_widgets.enums import ProblemType
        >>> ds = Dataset.create(5, "iris", target="species",
        ...                     problem_type=ProblemType.CLASSIFICATION, wait=True)   # doctest: +SKIP
        >>> ds["state"]                                                               # doctest: +SKIP
        'AVAILABLE'
        >>> Estimator.RANDOM_FOREST in Dataset.get_available_estimators(ds["id"])    # doctest: +SKIP
        True
    """

    _CLASS_PREFIX = "datasets"
    _KIND = "Dataset"

    @classmethod
    def create(
        cls,
        datasource_id: int,
        dataset_name: str,
        target: str,
        problem_type: ProblemType,
        header: bool = True,
        na_values: list[str] | None = None,
        retype_columns: Mapping[str, FeatureType] | None = None,
        rename_columns: list[str] | None = None,
        datetime_format: str | None = None,
        time_axis: str | None = None,
        block_id: list[str] | None = None,
        sample_id: list[str] | None = None,
        subdataset_id: list[str] | None = None,
        sample_weight: list[str] | None = None,
        not_used: list[str] | None = None,
        hidden: list[str] | bool = False,
        wait: bool = False,
        skip_if_exists: bool = False,
        api_key: str | None = None,
    ) -> FireflyResponse:
        """Create a dataset from a datasource: name the target, the problem type and column roles.

        Args:
            datasource_id: the datasource (uploaded CSV).
            dataset_name: the dataset name (unique).
            target: the target column.
            problem_type: e.g. ``ProblemType.CLASSIFICATION``.
            header: whether the file has a header row.
            na_values: extra strings to read as missing.
            retype_columns: ``{column: FeatureType}`` overrides.
            rename_columns: new column names.
            datetime_format: the format of datetime columns.
            time_axis: timeseries: the time column.
            block_id: columns whose equal values must stay on one side of a split.
            sample_id: row identifier columns.
            subdataset_id: columns naming a sub-dataset.
            sample_weight: the sample weight column.
            not_used: columns to ignore.
            hidden: columns to hide.
            wait: return only when the dataset is ready.
            skip_if_exists: return the existing dataset when one has this name, instead of failing.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: ``{"id": dataset_id}``; with ``wait=True`` the dataset object.

        Raises:
            InvalidRequestError: a dataset with this name exists, an unknown datasource, a missing
                target column, a target unfit for the problem type (the message says which).

        Example:
            >>> Dataset.create(5, "iris", "species", ProblemType.CLASSIFICATION)["id"]  # doctest: +SKIP
            3
        """
        existing = cls._refuse_duplicate(dataset_name, skip_if_exists, api_key)
        if existing is not None:
            return existing
        body = {
            "name": dataset_name,
            "data_id": datasource_id,
            "header": header,
            "problem_type": enum_value(ProblemType, problem_type, "problem_type"),
            "hidden": hidden,
            "na_values": na_values,
            "retype_columns": {column: enum_value(FeatureType, kind, f"retype_columns[{column!r}]")
                               for column, kind in retype_columns.items()} if retype_columns is not None else None,
            "datetime_format": datetime_format,
            "target": target,
            "time_axis": time_axis,
            "block_id": block_id,
            "sample_id": sample_id,
            "subdataset_id": subdataset_id,
            "sample_weight": sample_weight,
            "not_used": not_used,
            "rename_columns": rename_columns,
        }
        response = cls._request("POST", cls._CLASS_PREFIX, json=body, api_key=api_key)
        if wait:
            return wait_for_final_state(cls.get, response["id"], api_key=api_key)
        return response

    @classmethod
    def train(
        cls,
        task_name: str,
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
        """Create and start a training task on a dataset: :meth:`Task.create` with ``task_name``.

        Args:
            task_name: the task name; every other argument is :meth:`Task.create`'s.

        Returns:
            FireflyResponse: as :meth:`Task.create`.

        Raises:
            InvalidRequestError: as :meth:`Task.create`.
        """
        from firefly_widgets.sdk.task import Task

        return Task.create(
            name=task_name, dataset_id=dataset_id, estimators=estimators, target_metric=target_metric,
            splitting_strategy=splitting_strategy, notes=notes, ensemble_size=ensemble_size,
            max_models_num=max_models_num, single_model_timeout=single_model_timeout, pipeline=pipeline,
            prediction_latency=prediction_latency, interpretability_level=interpretability_level,
            timeout=timeout, cost_matrix_weights=cost_matrix_weights, train_size=train_size,
            test_size=test_size, validation_size=validation_size, fold_size=fold_size, n_folds=n_folds,
            horizon=horizon, validation_strategy=validation_strategy, cv_strategy=cv_strategy,
            forecast_horizon=forecast_horizon, model_life_time=model_life_time, refit_on_all=refit_on_all,
            wait=wait, skip_if_exists=skip_if_exists, leaky_features=leaky_features, api_key=api_key,
        )

    # -- configuration options -----------------------------------------------------------------------
    get_available_estimators = _options_getter("estimators", "The estimators a task on this dataset may use.")
    get_available_pipeline = _options_getter("pipeline", "The pipeline steps a task on this dataset may use.")
    get_available_splitting_strategy = _options_getter("splitting_strategy",
                                                       "The splitting strategies a task on this dataset may use.")
    get_available_target_metric = _options_getter("target_metric",
                                                  "The target metrics a task on this dataset may optimize.")

    @classmethod
    def _get_available_configuration_options(cls, id: int, inter_level: InterpretabilityLevel | None = None,
                                             api_key: str | None = None) -> FireflyResponse:
        level = to_member(InterpretabilityLevel, inter_level, "inter_level") if inter_level is not None else None
        response = cls._request("GET", "tasks/configuration/options",
                                params={"dataset_id": id, "interpretable": level.value if level is not None else None},
                                api_key=api_key)
        return FireflyResponse(
            data={option: [enum_cls(v) for v in response[option] or []] for option, enum_cls in _OPTION_ENUMS.items()},
            headers=response.headers,
            status_code=response.status_code,
        )

    get_metadata = id_getter("{prefix}/{id}/meta", "The dataset's metadata (row and feature counts, classes, target "
                             "statistics, ...).", "the metadata")
