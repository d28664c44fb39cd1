"""List endpoints: search, filter (OR within a field, AND across fields), sort, pages, totals."""

from __future__ import annotations

import pytest
from support import unique


@pytest.fixture(scope="module")
def listed(wire, iris_frame):
    tag = unique("lst")
    source = wire.upload(iris_frame.to_csv(index=False), tag).json()["id"]
    dataset = wire.ok("POST", "datasets", json={"name": tag, "data_id": source, "target": "target",
                                                "problem_type": "classification"})["id"]
    ids = []
    for i in range(5):
        body = {"name": f"{tag}-{'abcde'[i]}", "dataset_id": dataset, "timeout": 1, "notes": f"note {i}"}
        task_id = wire.ok("POST", "tasks", json=body)["task_id"]
        ids.append(task_id)
        if i % 2:
            wire.ok("POST", f"tasks/{task_id}/pause")
    return tag, dataset, ids


def test_search_matches_any_column(wire, listed):
    tag, _, ids = listed
    hits = wire.ok("GET", "tasks", params={"search_all_columns": tag, "page_size": 50})
    assert hits["total"] == 5
    assert sorted(h["id"] for h in hits["hits"]) == sorted(ids)
    one = wire.ok("GET", "tasks", params={"search_all_columns": f"{tag}-c"})
    assert [h["name"] for h in one["hits"]] == [f"{tag}-c"]


def test_filter_or_within_and_across(wire, listed):
    tag, dataset, ids = listed
    paused = wire.ok("GET", "tasks", params={"filter": [f"dataset_id:{dataset}", "state:PAUSED"]})
    assert sorted(h["id"] for h in paused["hits"]) == [ids[1], ids[3]]
    either = wire.ok("GET", "tasks", params={"filter": [f"name:{tag}-a", f"name:{tag}-e"]})
    assert sorted(h["name"] for h in either["hits"]) == [f"{tag}-a", f"{tag}-e"]


def test_sort_and_pages(wire, listed):
    tag, _, _ = listed
    params = {"search_all_columns": tag, "sort": "name:desc", "page_size": 2}
    pages = [wire.ok("GET", "tasks", params={**params, "page": p}) for p in range(3)]
    names = [h["name"] for page in pages for h in page["hits"]]
    assert names == [f"{tag}-{c}" for c in "edcba"]
    assert all(page["total"] == 5 for page in pages)
    assert [len(page["hits"]) for page in pages] == [2, 2, 1]


def test_get_by_name_filter(wire, listed):
    tag, _, ids = listed
    hits = wire.ok("GET", "tasks", params={"filter": f"name:{tag}-b"})
    assert hits["total"] == 1 and hits["hits"][0]["id"] == ids[1]
