"""Bad input: a 4xx JSON error naming the problem, nothing created, and the service still healthy."""

from __future__ import annotations

import pytest
from support import unique


def _counts(wire) -> dict[str, int]:
    return {c: wire.ok("GET", c, params={"page_size": 1})["total"]
            for c in ("tasks", "datasets", "datasources", "ensembles", "predictions")}


def _assert_error(response, status: int, *needles: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == body["message"]
    for needle in needles:
        assert needle in body["message"], body["message"]


@pytest.fixture(scope="module")
def iris_id(wire, iris_frame):
    name = unique("bad-input-iris")
    source = wire.upload(iris_frame.to_csv(index=False), name).json()["id"]
    return wire.ok("POST", "datasets", json={"name": name, "data_id": source, "target": "target",
                                             "problem_type": "classification"})["id"]


BAD_TASKS = [
    ({"timeout": 0}, "timeout"),
    ({"timeout": -5}, "timeout"),
    ({"timeout": "soon"}, "timeout"),
    ({"target_metric": "happiness"}, "target_metric"),
    ({"estimators": ["random_forest", "crystal_ball"]}, "estimators"),
    ({"estimators": "random_forest"}, "estimators"),
    ({"splitting_strategy": "random"}, "splitting_strategy"),
    ({"train_size": 0.8, "validation_size": 0.3}, "sum to at most 1"),
    ({"train_size": 1.5}, "train_size"),
    ({"ensemble_size": 0}, "ensemble_size"),
    ({"max_models_num": -1}, "max_models_num"),
    ({"interpretability_level": 7}, "interpretability_level"),
    ({"n_folds": 1}, "n_folds"),
    ({"pipeline": ["magic"]}, "pipeline"),
    ({"colour": "blue"}, "colour"),
    ({"target_metric": "rmse"}, "target_metric"),
    ({"cost_matrix_weights": [[0, 1], [1, 0]], "target_metric": "cost_metric"}, "cost_matrix_weights"),
]


@pytest.mark.parametrize(("extra", "needle"), BAD_TASKS, ids=[str(b[0]) for b in BAD_TASKS])
def test_bad_task_configuration(wire, iris_id, extra, needle):
    before = _counts(wire)
    response = wire.call("POST", "tasks", json={"name": unique("bad"), "dataset_id": iris_id, **extra})
    _assert_error(response, 400, needle)
    assert _counts(wire) == before
    assert wire.session.get(f"{wire.url}/health", timeout=10).status_code == 200


def test_task_on_unknown_dataset(wire):
    _assert_error(wire.call("POST", "tasks", json={"name": unique("t"), "dataset_id": 999999}), 404,
                  "dataset 999999")


def test_task_without_name(wire, iris_id):
    _assert_error(wire.call("POST", "tasks", json={"dataset_id": iris_id}), 400, "name")


def test_duplicate_task_name_is_a_conflict(wire, iris_id):
    name = unique("dup")
    wire.ok("POST", "tasks", json={"name": name, "dataset_id": iris_id, "timeout": 1})
    _assert_error(wire.call("POST", "tasks", json={"name": name, "dataset_id": iris_id}), 409, name)


@pytest.mark.parametrize("path", ["tasks/999999", "datasets/999999", "datasources/999999", "ensembles/999999",
                                  "predictions/999999", "tasks/999999/progress", "tasks/999999/results"])
def test_unknown_ids_are_404(wire, path):
    _assert_error(wire.call("GET", path), 404, "999999")


@pytest.mark.parametrize("path", ["tasks/abc", "tasks/1.5/progress"])
def test_malformed_ids_are_400(wire, path):
    _assert_error(wire.call("GET", path), 400, "task_id")


UPLOADS = [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "file"),
    (b"just one line with no rows\n", "file"),
]


@pytest.mark.parametrize(("content", "needle"), UPLOADS, ids=["empty", "binary", "header-only"])
def test_bad_uploads_create_nothing(wire, service, content, needle):
    before = _counts(wire)
    files_before = set((service.home / "data").glob("*")) if (service.home / "data").exists() else set()
    _assert_error(wire.upload(content, unique("bad-upload")), 400, needle)
    assert _counts(wire) == before
    assert set((service.home / "data").glob("*")) == files_before


def test_upload_without_file_field(wire):
    _assert_error(wire.call("POST", "datasources/upload", data={"name": "x"}), 400, "file")


def test_dataset_with_missing_target(wire, iris_frame):
    source = wire.upload(iris_frame.to_csv(index=False), unique("no-target")).json()["id"]
    before = _counts(wire)
    response = wire.call("POST", "datasets", json={"name": unique("d"), "data_id": source, "target": "species",
                                                   "problem_type": "classification"})
    _assert_error(response, 400, "target", "species")
    assert _counts(wire) == before


def test_dataset_with_unknown_problem_type(wire, iris_frame):
    source = wire.upload(iris_frame.to_csv(index=False), unique("pt")).json()["id"]
    response = wire.call("POST", "datasets", json={"name": unique("d"), "data_id": source, "target": "target",
                                                   "problem_type": "astrology"})
    _assert_error(response, 400, "problem_type", "classification")


@pytest.mark.parametrize(("params", "needle"), [
    ({"sort": "colour:asc"}, "colour"),
    ({"sort": "name:sideways"}, "asc or desc"),
    ({"filter": "nonsense"}, "field:value"),
    ({"page": -1}, "page"),
    ({"page_size": 0}, "page_size"),
    ({"page_size": "many"}, "page_size"),
])
def test_bad_list_parameters(wire, params, needle):
    _assert_error(wire.call("GET", "tasks", params=params), 400, needle)


@pytest.mark.parametrize(("body", "needle"), [({"notes": 5}, "notes"), ({}, "notes"),
                                             ({"notes": "x", "extra": 1}, "extra")])
def test_bad_notes(wire, iris_id, body, needle):
    task = wire.ok("POST", "tasks", json={"name": unique("n"), "dataset_id": iris_id, "timeout": 1})["task_id"]
    _assert_error(wire.call("PUT", f"tasks/{task}/notes", json=body), 400, needle)


def test_malformed_json_body(wire):
    response = wire.call("POST", "tasks", data=b"{not json", headers={"Content-Type": "application/json"})
    _assert_error(response, 400)


def test_add_time_must_be_positive(wire, iris_id):
    task = wire.ok("POST", "tasks", json={"name": unique("t"), "dataset_id": iris_id, "timeout": 1})["task_id"]
    _assert_error(wire.call("POST", f"tasks/{task}/add_additional_time/-5"), 400, "positive")


def test_oversized_upload_is_413(tmp_path, iris_frame):
    from support import ServiceProcess, Wire

    proc = ServiceProcess(home=tmp_path / "small", env={"FIREFLY_MAX_UPLOAD_MB": "1"}).start()
    try:
        small = Wire(proc.url, proc.token)
        big = ("a,b\n" + "1,2\n" * 400_000).encode()
        _assert_error(small.upload(big, "big"), 413, "limit")
        assert small.ok("GET", "datasources")["total"] == 0
        assert not list((tmp_path / "small" / "data").glob("*"))
        assert small.upload(iris_frame.to_csv(index=False), "small").status_code == 200
    finally:
        proc.stop()


def test_unknown_task_operation(wire, iris_id):
    task = wire.ok("POST", "tasks", json={"name": unique("op"), "dataset_id": iris_id, "timeout": 1})["task_id"]
    _assert_error(wire.call("POST", f"tasks/{task}/explode"), 400, "operation", "pause")
