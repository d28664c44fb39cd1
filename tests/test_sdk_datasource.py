"""SDK Datasource: upload a file or a DataFrame, find it, read its analysis, delete it."""

from __future__ import annotations

import pytest
from support import unique

from firefly_widgets.sdk import APIError, Datasource, InvalidRequestError, NotFoundError


@pytest.fixture
def iris_csv(tmp_path, iris_frame):
    path = tmp_path / f"{unique('iris')}.csv"
    iris_frame.to_csv(path, index=False)
    return path


def test_create_from_file_is_named_after_the_file(client, iris_csv, iris_frame):
    created = Datasource.create(iris_csv)
    assert set(created.to_dict()) == {"id"}
    source = Datasource.get(created["id"])
    assert source["name"] == iris_csv.name
    assert source["row_count"] == len(iris_frame)
    assert source["state"] == "AVAILABLE"
    assert Datasource.get_by_name(iris_csv.name)["id"] == created["id"]


def test_create_with_wait_returns_the_analysed_datasource(client, iris_csv):
    source = Datasource.create(str(iris_csv), na_values=["?"], wait=True)
    assert source["state"] == "AVAILABLE"
    assert source["name"] == iris_csv.name and source["id"]


def test_duplicate_name_is_refused_unless_skipped(client, iris_csv):
    first = Datasource.create(iris_csv)
    with pytest.raises(InvalidRequestError, match="already exists"):
        Datasource.create(iris_csv)
    again = Datasource.create(iris_csv, skip_if_exists=True)
    assert again["id"] == first["id"] and again["name"] == iris_csv.name


def test_missing_file_is_refused_before_any_request(client, tmp_path):
    with pytest.raises(InvalidRequestError, match="is not a file"):
        Datasource.create(tmp_path / "nope.csv")


def test_create_from_dataframe_appends_csv_and_keeps_rows(client, iris_frame):
    name = unique("frame")
    created = Datasource.create_from_dataframe(iris_frame, name, wait=True)
    assert created["name"] == f"{name}.csv"
    assert created["row_count"] == len(iris_frame)
    assert Datasource.create_from_dataframe(iris_frame, f"{name}.csv", skip_if_exists=True)["id"] == created["id"]
    with pytest.raises(InvalidRequestError):
        Datasource.create_from_dataframe({"not": "a frame"}, unique("bad"))


def test_service_refusal_of_bad_data_is_readable(client, tmp_path):
    empty = tmp_path / f"{unique('empty')}.csv"
    empty.write_text("")
    with pytest.raises(InvalidRequestError) as info:
        Datasource.create(empty)
    assert info.value.code == 400 and info.value.message


def test_types_and_warnings_describe_every_column(client, iris_frame):
    source_id = Datasource.create_from_dataframe(iris_frame, unique("types"))["id"]
    base = Datasource.get_base_types(source_id).to_dict()
    features = Datasource.get_feature_types(source_id).to_dict()
    warnings = Datasource.get_type_warnings(source_id).to_dict()
    assert set(base) == set(features) == set(iris_frame.columns)
    assert base["sepal length (cm)"] == "float" and base["target"] == "str"
    assert features["sepal length (cm)"] == "numerical" and features["target"] == "categorical"
    assert set(warnings) <= set(iris_frame.columns)
    assert all(isinstance(v, list) for v in warnings.values())
    assert Datasource.get_metadata(source_id)["row_count"] == len(iris_frame)


def test_list_search_filter_sort_and_pages(client, iris_frame):
    tag = unique("listing")
    ids = [Datasource.create_from_dataframe(iris_frame.head(20), f"{tag}-{i}")["id"] for i in range(3)]
    found = Datasource.list(search_term=tag)
    assert found["total"] == 3 and {h["id"] for h in found["hits"]} == set(ids)
    one = Datasource.list(filter_={"name": [f"{tag}-1.csv"]})
    assert [h["id"] for h in one["hits"]] == [ids[1]]
    either = Datasource.list(filter_={"name": [f"{tag}-0.csv", f"{tag}-2.csv"]})
    assert either["total"] == 2
    newest_first = Datasource.list(search_term=tag, sort={"id": "desc"})
    assert [h["id"] for h in newest_first["hits"]] == sorted(ids, reverse=True)
    page = Datasource.list(search_term=tag, sort={"id": "asc"}, page=1, page_size=2)
    assert page["total"] == 3 and [h["id"] for h in page["hits"]] == [ids[2]]


def test_delete_then_get_is_not_found(client, iris_frame):
    source_id = Datasource.create_from_dataframe(iris_frame.head(10), unique("gone"))["id"]
    assert Datasource.delete(source_id)["result"] is True
    with pytest.raises(NotFoundError) as info:
        Datasource.get(source_id)
    assert info.value.code == 404 and str(source_id) in info.value.message
    with pytest.raises(APIError, match="does not exist"):  # the official client raises APIError here
        Datasource.get_by_name(unique("never-uploaded"))
