"""SDK Dataset: create from a datasource, look up, configuration options as enum members, delete."""

from __future__ import annotations

import pytest
from support import unique

from firefly_widgets.enums import (
    Estimator,
    FeatureType,
    InterpretabilityLevel,
    Pipeline,
    ProblemType,
    SplittingStrategy,
    TargetMetric,
)
from firefly_widgets.sdk import Dataset, Datasource, InvalidRequestError, NotFoundError


@pytest.fixture
def iris_source(client, iris_frame) -> int:
    return Datasource.create_from_dataframe(iris_frame, unique("iris-src"))["id"]


def test_create_wait_and_find(client, iris_source, iris_frame):
    name = unique("iris-ds")
    dataset = Dataset.create(iris_source, name, target="target", problem_type=ProblemType.CLASSIFICATION,
                             not_used=[], retype_columns={"petal width (cm)": FeatureType.NUMERICAL}, wait=True)
    assert dataset["state"] == "AVAILABLE"
    assert dataset["name"] == name and dataset["target"] == "target"
    assert dataset["problem_type"] == "classification"
    assert dataset["data_id"] == iris_source
    assert Dataset.get(dataset["id"])["row_count"] == len(iris_frame)
    assert Dataset.get_by_name(name)["id"] == dataset["id"]
    assert Dataset.list(filter_={"name": [name]})["total"] == 1


def test_create_without_wait_returns_the_id(client, iris_source):
    created = Dataset.create(iris_source, unique("ds"), "target", "classification")  # values work as well
    assert set(created.to_dict()) >= {"id"}
    assert Dataset.get(created["id"])["problem_type"] == "classification"


def test_duplicate_name_and_skip_if_exists(client, iris_source):
    name = unique("dup-ds")
    first = Dataset.create(iris_source, name, "target", ProblemType.CLASSIFICATION)
    with pytest.raises(InvalidRequestError, match="already exists"):
        Dataset.create(iris_source, name, "target", ProblemType.CLASSIFICATION)
    assert Dataset.create(iris_source, name, "target", ProblemType.CLASSIFICATION,
                          skip_if_exists=True)["id"] == first["id"]


def test_missing_target_is_a_readable_error(client, iris_source):
    with pytest.raises(InvalidRequestError) as info:
        Dataset.create(iris_source, unique("bad"), target="no_such_column", problem_type=ProblemType.CLASSIFICATION)
    assert "no_such_column" in info.value.message


def test_bad_problem_type_is_refused_before_sending(client, iris_source):
    with pytest.raises(InvalidRequestError, match="problem_type: 'clustering' is not a valid ProblemType"):
        Dataset.create(iris_source, unique("bad"), "target", "clustering")


def test_available_options_are_enum_members(client, make_dataset, iris_frame, diabetes_frame):
    classification = make_dataset(iris_frame)
    estimators = Dataset.get_available_estimators(classification)
    metrics = Dataset.get_available_target_metric(classification)
    splits = Dataset.get_available_splitting_strategy(classification)
    pipeline = Dataset.get_available_pipeline(classification)
    assert estimators and all(isinstance(e, Estimator) for e in estimators)
    assert TargetMetric.RECALL_MACRO in metrics and TargetMetric.R2 not in metrics
    assert SplittingStrategy.STRATIFIED in splits
    assert all(isinstance(p, Pipeline) for p in pipeline)
    regression = make_dataset(diabetes_frame, problem_type="regression")
    assert TargetMetric.R2 in Dataset.get_available_target_metric(regression)
    explainable = Dataset.get_available_estimators(classification, inter_level=InterpretabilityLevel.EXPLAINABLE)
    assert explainable and set(explainable) <= set(estimators)


def test_metadata_and_delete(client, make_dataset, iris_frame):
    dataset_id = make_dataset(iris_frame)
    meta = Dataset.get_metadata(dataset_id)
    assert meta["n_rows"] == len(iris_frame)
    assert sorted(meta["classes"]) == ["setosa", "versicolor", "virginica"]
    assert Dataset.delete(dataset_id)["result"] is True
    with pytest.raises(NotFoundError):
        Dataset.get(dataset_id)
    with pytest.raises(NotFoundError):
        Dataset.get_available_estimators(dataset_id)
