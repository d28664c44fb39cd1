"""Request bodies, as pydantic models: the type and range checks. Semantic checks live in the engine."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from firefly_widgets.enums import (
    CVStrategy,
    Estimator,
    FeatureType,
    Pipeline,
    ProblemType,
    SplittingStrategy,
    TargetMetric,
    ValidationStrategy,
)

__all__ = ["DatasetCreate", "DatasourceCreate", "EnsembleRefit", "NotesUpdate", "PredictionCreate", "TaskCreate"]

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Ratio = Annotated[float, Field(ge=0, le=1)]
Columns = list[Annotated[str, StringConstraints(min_length=1)]]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class TaskCreate(_Body):
    """The task configuration object of ``POST tasks``."""

    name: Name
    dataset_id: int
    estimators: list[Estimator] | None = Field(default=None, min_length=1)
    target_metric: TargetMetric | None = None
    splitting_strategy: SplittingStrategy | None = None
    notes: Annotated[str, Field(max_length=100_000)] | None = None
    ensemble_size: Annotated[int, Field(ge=1, le=100)] | None = None
    max_models_num: Annotated[int, Field(ge=1, le=100_000)] | None = None
    single_model_timeout: Annotated[float, Field(gt=0)] | None = None
    pipeline: list[Pipeline] | None = None
    prediction_latency: Annotated[float, Field(gt=0)] | None = None
    interpretability_level: Literal[0, 1, 2, 3] | None = None
    timeout: Annotated[float, Field(gt=0, le=30 * 24 * 3600)] = 7200
    cost_matrix_weights: list[list[float]] | None = None
    train_size: Ratio | None = None
    test_size: Ratio | None = None
    validation_size: Ratio | None = None
    cv_strategy: CVStrategy | None = None
    n_folds: Annotated[int, Field(ge=2, le=100)] | None = None
    fold_size: Annotated[int, Field(ge=1)] | None = None
    validation_strategy: ValidationStrategy | None = None
    forecast_horizon: Annotated[int, Field(ge=1)] | None = None
    model_life_time: Annotated[int, Field(ge=1)] | None = None
    horizon: Annotated[int, Field(ge=1)] | None = None
    leaky_features: Columns | None = None
    refit_on_all: bool | None = None

    @model_validator(mode="after")
    def _split_sizes(self) -> TaskCreate:
        sizes = {k: getattr(self, k) for k in ("train_size", "validation_size", "test_size")}
        given = {k: v for k, v in sizes.items() if v is not None}
        if sum(given.values()) > 1 + 1e-9:
            parts = " + ".join(f"{k}={v}" for k, v in given.items())
            raise ValueError(f"train_size, validation_size and test_size must sum to at most 1, got {parts}")
        if self.train_size == 0 or self.validation_size == 0:
            raise ValueError("train_size and validation_size must be above 0")
        return self


class DatasetCreate(_Body):
    """The body of ``POST datasets`` (the official client's keys)."""

    name: Name
    data_id: int
    target: Annotated[str, StringConstraints(min_length=1)]
    problem_type: ProblemType
    header: bool | None = True
    na_values: list[str] | None = None
    retype_columns: dict[str, FeatureType] | None = None
    rename_columns: list[str] | None = None
    datetime_format: str | None = None
    time_axis: str | None = None
    block_id: Columns | None = None
    sample_id: Columns | None = None
    subdataset_id: Columns | None = None
    sample_weight: Columns | None = None
    not_used: Columns | None = None
    hidden: Columns | bool | None = None


class DatasourceCreate(_Body):
    """The body of ``POST datasources`` (the official client's, after its cloud upload)."""

    name: Name
    filename: str | None = None
    analyze: bool | None = True
    na_values: list[str] | None = None


class NotesUpdate(_Body):
    notes: Annotated[str, Field(max_length=100_000)]


class EnsembleRefit(_Body):
    datasource_id: int


class PredictionCreate(BaseModel):
    """The body of ``POST predictions``; the official client also sends keys that only its cloud uses."""

    model_config = ConfigDict(extra="ignore")

    ensemble_id: int
    datasource_id: int | None = None
    data_id: int | None = None
    header: list[str] | bool | None = None
    data_name: str | None = None
    file_path: str | None = None
    remove_header: bool | None = None
