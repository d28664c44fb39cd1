"""TaskBrowser against the real service: the rows, the queries, the wire and the actions.

Front-end messages go in through the widget's comm handler (``_handle_msg``, as a kernel delivers
them) and the messages out are read from the comm (what the browser would receive).
"""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import pytest
from support import wait_for

from firefly_widgets.widgets.poller import get_poller
from firefly_widgets.widgets.table_state import (
    COLUMNS,
    TableQuery,
    allowed_actions,
    best_so_far,
    diff_pages,
    make_row,
    sparkline,
)

FINAL = {"COMPLETED", "FAILED", "CANCELED"}


# ---- helpers --------------------------------------------------------------------------------------

class CommLog:
    """Records what the table's comm sends: custom messages and trait updates, with their JSON size."""

    def __init__(self, widget: Any) -> None:
        self.sent: list[dict[str, Any]] = []
        self._send = widget.comm.send

        def send(data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
            self.sent.append(data)
            self._send(data=data, metadata=metadata, buffers=buffers)

        widget.comm.send = send

    def custom(self, kind: str | None = None) -> list[dict[str, Any]]:
        msgs = [d["content"] for d in self.sent if d.get("method") == "custom"]
        return [m for m in msgs if kind is None or m["type"] == kind]

    def clear(self) -> None:
        self.sent.clear()


def wire_size(message: dict[str, Any]) -> int:
    """Bytes of a custom message as the comm frames it (``{"method": "custom", "content": ...}``)."""
    return len(json.dumps({"method": "custom", "content": message}, separators=(",", ":")).encode())


def deliver(browser: Any, message: dict[str, Any]) -> None:
    """Hand ``message`` to the table as the kernel hands a front end's comm message to a widget."""
    browser.table._handle_msg({"content": {"data": {"method": "custom", "content": message}}, "buffers": []})


def names(browser: Any) -> list[str]:
    return [r["name"] for r in browser.rows]


def wait_names(browser: Any, expected: list[str], timeout: float = 20.0) -> None:
    wait_for(lambda: names(browser) == expected, timeout=timeout, message=f"rows {expected}")


def state_of(client: Any, task_id: int) -> str:
    from firefly_widgets import sdk

    return sdk.Task.get(task_id)["state"]


@pytest.fixture
def make_browser(client: Any) -> Iterator[Any]:
    from firefly_widgets.widgets.browser import TaskBrowser

    made: list[Any] = []

    def make(**kwargs: Any) -> Any:
        kwargs.setdefault("fast_interval", 0.3)
        kwargs.setdefault("idle_interval", 0.3)
        browser = TaskBrowser(**kwargs)
        made.append(browser)
        return browser

    yield make
    for browser in made:
        browser.close()


@pytest.fixture(scope="module")
def tagged(service: Any, wire: Any, iris_frame: Any, diabetes_frame: Any) -> dict[str, Any]:
    """Three canceled classification tasks sharing a tag (made gamma, alpha, beta) and a regression one."""
    from support import unique

    tag = f"tb{uuid.uuid4().hex[:6]}"
    ids: dict[str, int] = {}
    datasets = {}
    for problem, frame in (("classification", iris_frame), ("regression", diabetes_frame)):
        name = unique("data")
        upload = wire.upload(frame.to_csv(index=False), name)
        assert upload.status_code == 200, upload.text
        datasets[problem] = wire.ok("POST", "datasets", json={
            "name": name, "data_id": upload.json()["id"], "target": "target", "problem_type": problem})["id"]
    for suffix, problem in (("gamma", "classification"), ("alpha", "classification"), ("beta", "classification"),
                            ("delta", "regression")):
        name = f"{tag}-{suffix}"
        ids[name] = wire.ok("POST", "tasks", json={"name": name, "dataset_id": datasets[problem],
                                                   "timeout": 60})["task_id"]
        wire.ok("POST", f"tasks/{ids[name]}/cancel")
    wait_for(lambda: all(wire.ok("GET", f"tasks/{i}")["state"] in FINAL for i in ids.values()),
             timeout=30, message="the tagged tasks to stop")
    return {"tag": tag, "ids": ids, "datasets": datasets}


# ---- the table's model, without a service -----------------------------------------------------------

class TestTableState:
    def test_list_params_speak_the_wire_protocol(self) -> None:
        query = TableQuery(search="iris", states=("RUNNING", "PAUSED"), problem_types=("regression",),
                           sort_column="best_score", sort_direction="asc", page=2, page_size=10)
        assert query.list_params() == {
            "search_all_columns": "iris", "page": 2, "page_size": 10, "sort": ["best_score:asc"],
            "filter": ["state:RUNNING", "state:PAUSED", "problem_type:regression"],
        }
        kwargs = query.list_kwargs()
        assert kwargs["sort"] == OrderedDict([("best_score", "asc")])
        assert kwargs["filter_"] == {"state": ["RUNNING", "PAUSED"], "problem_type": ["regression"]}

    @pytest.mark.parametrize(("changes", "field"), [
        ({"sort_column": "spark"}, "sort column"),
        ({"sort_direction": "up"}, "sort direction"),
        ({"states": ("DONE",)}, "state filter"),
        ({"problem_types": ("clustering",)}, "problem type"),
        ({"page": -1}, "page"),
        ({"page_size": 0}, "page_size"),
    ])
    def test_bad_queries_name_the_field(self, changes: dict[str, Any], field: str) -> None:
        with pytest.raises(ValueError, match=field):
            TableQuery().with_changes(**changes)

    @pytest.mark.parametrize(("state", "actions"), [
        ("QUEUED", ["pause", "cancel"]), ("RUNNING", ["pause", "cancel"]), ("PAUSED", ["resume", "cancel"]),
        ("COMPLETED", ["delete"]), ("FAILED", ["delete"]), ("CANCELED", ["delete"]),
    ])
    def test_actions_follow_the_state(self, state: str, actions: list[str]) -> None:
        assert allowed_actions(state) == actions

    def test_best_so_far_follows_the_metric_direction(self) -> None:
        assert best_so_far([0.5, 0.4, None, 0.7], "accuracy") == [0.5, 0.5, 0.5, 0.7]
        assert best_so_far([3.0, 4.0, 2.0], "rmse") == [3.0, 3.0, 2.0]
        assert best_so_far([None, float("nan")], "r2") == []

    def test_sparkline_is_short_and_keeps_the_ends(self) -> None:
        curve = [i / 1000 for i in range(1000)]
        spark = sparkline(curve)
        assert len(spark) == 24
        assert spark[0] == 0.0 and spark[-1] == 0.999

    def test_diff_sends_only_what_changed(self) -> None:
        old = {i: {"id": i, "state": "RUNNING"} for i in (1, 2, 3)}
        new = {**old, 2: {"id": 2, "state": "PAUSED"}}
        diff = diff_pages(old, [1, 2, 3], new, [1, 2, 3])
        assert diff.changed == [{"id": 2, "state": "PAUSED"}] and diff.removed == [] and diff.order is None
        rich_old = {"id": 5, "name": "n", "state": "RUNNING", "best_score": 0.5, "pending": "pause"}
        rich_new = {"id": 5, "name": "n", "state": "PAUSED", "best_score": 0.5}
        assert diff_pages({5: rich_old}, [5], {5: rich_new}, [5]).changed == [
            {"id": 5, "state": "PAUSED", "pending": None}]  # only what changed; a dropped field is None
        assert not diff_pages(old, [1, 2, 3], old, [1, 2, 3])
        moved = diff_pages(old, [1, 2, 3], {1: old[1], 3: old[3], 4: {"id": 4}}, [4, 3, 1])
        assert moved.changed == [{"id": 4}] and moved.removed == [2] and moved.order == [4, 3, 1]

    def test_one_changed_row_of_a_full_page_is_well_under_1_kb(self) -> None:
        def task(i: int, state: str) -> dict[str, Any]:
            return {"id": 1000 + i, "name": f"credit-risk-lightgbm-experiment-{i:03d}", "state": state,
                    "problem_type": "classification_timeseries", "dataset_name": "credit_risk_2026_q4_full",
                    "target_metric": "recall_macro", "best_score": 0.912345678, "models_count": 123,
                    "run_time": 3599.123456, "creation_date": "2026-12-04T15:00:00.123456+00:00",
                    "notes": "x" * 500, "config": {"estimators": ["a"] * 30}}
        spark = sparkline(best_so_far([0.5 + k / 1000 for k in range(300)], "recall_macro"))
        old = {i: make_row(task(i, "RUNNING"), spark) for i in range(50)}
        new = {**old, 7: make_row(task(7, "PAUSED"), spark)}
        diff = diff_pages(old, list(range(50)), new, list(range(50)))
        size = wire_size(diff.message(2))
        assert [r["id"] for r in diff.changed] == [1007]
        assert size < 200, f"one changed row costs {size} bytes"
        assert wire_size({"type": "page", "v": 1, "rows": list(new.values())}) > 20 * size

    def test_columns_are_task_fields(self) -> None:
        row = make_row({"id": 1, "name": "n", "state": "RUNNING"})
        assert {c["key"] for c in COLUMNS} <= set(row)


def test_table_wire_state_is_plain_json_with_the_module() -> None:
    from pathlib import Path

    from firefly_widgets.widgets.task_table import TaskTable

    table = TaskTable(sort={"column": "name", "direction": "asc"}, page_size=50)
    state = table.get_state()
    assert state["_esm"] == (Path(__file__).parent.parent / "js" / "task_table.js").read_text()
    assert state["sort"] == {"column": "name", "direction": "asc"} and state["page_size"] == 50
    assert [c["key"] for c in state["columns"]] == [c["key"] for c in COLUMNS]
    assert (state["selected"], state["opened"], state["pull_interval"]) == ([], None, 0.0)
    json.dumps({k: v for k, v in state.items() if k != "layout"})  # everything but the layout ref is JSON
    assert repr(table) == "TaskTable(page=0, total=0)"
    table.close()


# ---- against the service ----------------------------------------------------------------------------

def test_rows_match_task_list(make_browser: Any, tagged: dict[str, Any]) -> None:
    from firefly_widgets import sdk

    browser = make_browser(search=tagged["tag"])
    expected = sdk.Task.list(search_term=tagged["tag"], sort=OrderedDict([("creation_date", "desc")]),
                             page=0, page_size=20)
    wait_names(browser, [h["name"] for h in expected["hits"]])
    assert [r["id"] for r in browser.rows] == [h["id"] for h in expected["hits"]]
    assert browser.table.total == expected["total"] == 4
    for row, hit in zip(browser.rows, expected["hits"], strict=True):
        assert (row["state"], row["problem_type"], row["dataset_name"]) == (
            hit["state"], hit["problem_type"], hit["dataset_name"])
        assert row["actions"] == ["delete"]
    assert not browser.table.loading


def test_search_narrows_the_rows(make_browser: Any, tagged: dict[str, Any]) -> None:
    tag = tagged["tag"]
    browser = make_browser(search=tag)
    wait_names(browser, [f"{tag}-delta", f"{tag}-beta", f"{tag}-alpha", f"{tag}-gamma"])
    log = CommLog(browser.table)
    deliver(browser, {"type": "search", "term": f"  {tag}-alpha "})
    assert browser.table.search == f"{tag}-alpha"
    wait_names(browser, [f"{tag}-alpha"])
    assert browser.table.total == 1
    pages = log.custom("page")
    assert pages and [r["name"] for r in pages[-1]["rows"]] == [f"{tag}-alpha"]


def test_sort_reorders_the_rows(make_browser: Any, tagged: dict[str, Any]) -> None:
    tag = tagged["tag"]
    browser = make_browser(search=tag, states=("CANCELED",), problem_types=("classification",))
    wait_names(browser, [f"{tag}-beta", f"{tag}-alpha", f"{tag}-gamma"])
    deliver(browser, {"type": "sort", "column": "name"})  # a new column: ascending
    wait_names(browser, [f"{tag}-alpha", f"{tag}-beta", f"{tag}-gamma"])
    assert browser.table.sort == {"column": "name", "direction": "asc"}
    deliver(browser, {"type": "sort", "column": "name", "direction": "desc"})
    wait_names(browser, [f"{tag}-gamma", f"{tag}-beta", f"{tag}-alpha"])
    deliver(browser, {"type": "sort", "column": "id", "direction": "asc"})
    wait_names(browser, [f"{tag}-gamma", f"{tag}-alpha", f"{tag}-beta"])


def test_filters(make_browser: Any, tagged: dict[str, Any]) -> None:
    tag = tagged["tag"]
    browser = make_browser(search=tag)
    wait_for(lambda: len(browser.rows) == 4, message="four rows")
    deliver(browser, {"type": "filter", "problem_type": ["regression"]})
    wait_names(browser, [f"{tag}-delta"])
    assert browser.table.filters == {"state": [], "problem_type": ["regression"]}
    deliver(browser, {"type": "filter", "problem_type": [], "state": ["COMPLETED"]})
    wait_for(lambda: browser.rows == [] and browser.table.total == 0 and not browser.table.loading,
             message="no completed tagged task")
    deliver(browser, {"type": "filter", "state": ["CANCELED", "COMPLETED"]})
    wait_for(lambda: len(browser.rows) == 4, message="the canceled tasks back")


def test_paging(make_browser: Any, tagged: dict[str, Any]) -> None:
    tag = tagged["tag"]
    browser = make_browser(search=tag, sort=("name", "asc"), page_size=3)
    wait_names(browser, [f"{tag}-alpha", f"{tag}-beta", f"{tag}-delta"])
    assert browser.table.total == 4
    deliver(browser, {"type": "page", "page": 1})
    wait_names(browser, [f"{tag}-gamma"])
    assert browser.table.page == 1
    deliver(browser, {"type": "page", "page_size": 2})  # a new size starts again at page 0
    wait_names(browser, [f"{tag}-alpha", f"{tag}-beta"])
    assert (browser.table.page, browser.table.page_size) == (0, 2)
    deliver(browser, {"type": "page", "page": 7})  # past the end: the last page
    wait_for(lambda: browser.table.page == 1 and names(browser) == [f"{tag}-delta", f"{tag}-gamma"],
             message="the last page")


def test_a_state_change_sends_only_that_row(make_browser: Any, make_dataset: Any, iris_frame: Any,
                                            wire: Any, client: Any) -> None:
    from support import unique

    tag = unique("patch")
    dataset = make_dataset(iris_frame)
    still = wire.ok("POST", "tasks", json={"name": f"{tag}-still", "dataset_id": dataset, "timeout": 60})["task_id"]
    wire.ok("POST", f"tasks/{still}/cancel")
    live = wire.ok("POST", "tasks", json={"name": f"{tag}-live", "dataset_id": dataset, "timeout": 60})["task_id"]
    browser = make_browser(search=tag)
    wait_for(lambda: {r["id"]: r["state"] for r in browser.rows}.get(still) == "CANCELED"
             and len(browser.rows) == 2, message="both rows")
    assert browser._sub.interval == browser.fast_interval  # a live task on screen: the fast pace
    log = CommLog(browser.table)
    wire.ok("POST", f"tasks/{live}/pause")  # straight to the service, not through the table

    def paused_patch() -> dict[str, Any] | None:
        return next((m for m in log.custom("patch") for r in m["rows"] if r["state"] == "PAUSED"), None)

    patch = wait_for(paused_patch, timeout=20, message="a patch with the paused row")
    assert [r["id"] for r in patch["rows"]] == [live]
    assert "name" not in patch["rows"][0]  # unchanged fields stay at home
    assert patch["removed"] == [] and "order" not in patch
    assert patch["rows"][0]["actions"] == ["resume", "cancel"]
    assert wire_size(patch) < 1024, f"the patch of one row costs {wire_size(patch)} bytes"
    assert all(still not in [r["id"] for r in m["rows"]] for m in log.custom("patch"))
    assert log.custom("page") == []  # no full page without a query change
    wait_for(lambda: browser._sub.interval == browser.idle_interval, message="the idle pace once nothing runs")
    wire.ok("POST", f"tasks/{live}/cancel")


def test_a_running_task_shows_its_score_and_sparkline(make_browser: Any, make_dataset: Any, iris_frame: Any,
                                                      wire: Any) -> None:
    from support import unique

    name = unique("spark")
    task_id = wire.ok("POST", "tasks", json={"name": name, "dataset_id": make_dataset(iris_frame), "timeout": 10,
                                             "max_models_num": 4})["task_id"]
    browser = make_browser(search=name)
    row = wait_for(lambda: next((r for r in browser.rows if r["spark"]), None), timeout=60,
                   message="a row with a sparkline")
    assert row["best_score"] is not None
    wait_for(lambda: browser.rows[0]["state"] in FINAL, timeout=60, message="the task to finish")
    task = wire.ok("GET", f"tasks/{task_id}")
    progress = wire.progress(task_id)
    wait_for(lambda: len(browser.rows[0]["spark"]) == min(24, len(progress)), message="the whole sparkline")
    seen = browser._progress[task_id]
    assert seen.scores == [p["score"] for p in progress]  # fetched incrementally, nothing twice
    assert browser.rows[0]["spark"] == sparkline(best_so_far(seen.scores, task["target_metric"]))
    assert browser.rows[0]["best_score"] == pytest.approx(task["best_score"], rel=1e-3)


def test_pull_answers_in_the_handler(make_browser: Any, tagged: dict[str, Any]) -> None:
    browser = make_browser(search=tagged["tag"])
    wait_for(lambda: len(browser.rows) == 4, message="four rows")
    log = CommLog(browser.table)
    deliver(browser, {"type": "pull"})
    pages = log.custom("page")  # no wait: the answer was sent before the handler returned
    assert len(pages) == 1 and [r["id"] for r in pages[0]["rows"]] == [r["id"] for r in browser.rows]
    assert pages[0]["v"] > 0


def test_open_creates_a_task_widget(make_browser: Any, tagged: dict[str, Any]) -> None:
    from firefly_widgets.widgets.task_widget import TaskWidget

    tag = tagged["tag"]
    task_id = tagged["ids"][f"{tag}-alpha"]
    browser = make_browser(search=tag)
    wait_for(lambda: len(browser.rows) == 4, message="four rows")
    deliver(browser, {"type": "open", "id": task_id})
    widget = wait_for(lambda: browser.opened, timeout=20, message="the opened TaskWidget")
    assert isinstance(widget, TaskWidget)
    assert widget.task_id == task_id
    assert browser.detail.children == (widget,)
    assert browser.table.opened == task_id
    deliver(browser, {"type": "open", "id": task_id})  # the same row again closes it
    wait_for(lambda: browser.opened is None and browser.detail.children == (), message="closed")
    assert browser.table.opened is None


def test_actions_reach_the_service(make_browser: Any, make_dataset: Any, iris_frame: Any, wire: Any,
                                   client: Any) -> None:
    from support import unique

    from firefly_widgets import sdk

    name = unique("act")
    dataset = make_dataset(iris_frame)
    task_id = wire.ok("POST", "tasks", json={"name": name, "dataset_id": dataset, "timeout": 60})["task_id"]
    browser = make_browser(search=name)
    wait_for(lambda: browser.rows and browser.rows[0]["state"] in {"QUEUED", "RUNNING"}, message="a live row")
    log = CommLog(browser.table)

    deliver(browser, {"type": "action", "id": task_id, "action": "pause"})
    pending = log.custom("patch")[0]["rows"][0]  # at once, before the service answered
    assert (pending["pending"], pending["actions"]) == ("pause", [])
    wait_for(lambda: state_of(client, task_id) == "PAUSED", message="PAUSED in the service")
    wait_for(lambda: browser.rows[0]["state"] == "PAUSED" and "pending" not in browser.rows[0],
             message="the paused row")

    deliver(browser, {"type": "action", "id": task_id, "action": "pause"})  # not allowed while PAUSED
    assert browser.table.status_kind == "error" and "cannot pause" in browser.table.status

    deliver(browser, {"type": "action", "id": task_id, "action": "cancel"})
    wait_for(lambda: state_of(client, task_id) == "CANCELED", message="CANCELED in the service")
    wait_for(lambda: browser.rows[0]["actions"] == ["delete"], message="the canceled row")

    deliver(browser, {"type": "action", "id": task_id, "action": "delete"})  # not confirmed
    assert "needs confirmation" in browser.table.status
    assert state_of(client, task_id) == "CANCELED"
    deliver(browser, {"type": "action", "id": task_id, "action": "delete", "confirmed": True})
    wait_for(lambda: browser.rows == [], message="the deleted row gone")
    with pytest.raises(sdk.InvalidRequestError):
        sdk.Task.get(task_id)
    assert any(task_id in m["removed"] for m in log.custom("patch"))


def test_compare_draws_one_line_per_task(make_browser: Any, make_dataset: Any, iris_frame: Any,
                                         wire: Any) -> None:
    from support import unique

    tag = unique("cmp")
    dataset = make_dataset(iris_frame)
    ids = [wire.ok("POST", "tasks", json={"name": f"{tag}-{i}", "dataset_id": dataset, "timeout": 10,
                                          "max_models_num": 4})["task_id"] for i in range(2)]
    wait_for(lambda: all(wire.ok("GET", f"tasks/{i}")["state"] in FINAL for i in ids), timeout=120,
             message="the tasks to finish")
    browser = make_browser(search=tag)
    wait_for(lambda: len(browser.rows) == 2, message="two rows")
    deliver(browser, {"type": "select", "ids": ids})
    assert browser.table.selected == ids
    deliver(browser, {"type": "compare"})
    figure = wait_for(lambda: browser.compare_chart, timeout=20, message="the compare chart")
    assert "ff-compare-chart" in figure._dom_classes
    assert len(figure.marks) == 2
    for task_id, mark in zip(ids, figure.marks, strict=True):
        scores = wire.progress(task_id)
        assert len(mark.y) == len([p for p in scores if p.get("score") is not None])
        assert list(mark.y) == sorted(mark.y)  # best so far never gets worse (accuracy-like metric)
    assert sum(len(mark.y) for mark in figure.marks) > 0, "the finished tasks recorded no scores"
    assert figure in browser.compare_area.children
    assert browser.table.status == "Compared 2 task(s) below the table."
    lines = list(figure.marks)
    browser.close_compare()  # the chart goes, with every widget it was made of
    assert browser.compare_chart is None and browser.compare_area.children == ()
    assert all(mark.comm is None for mark in lines) and figure.comm is None


def test_service_errors_become_a_message(make_browser: Any, service: Any, tagged: dict[str, Any]) -> None:
    from firefly_widgets import sdk

    sdk.connect(url="http://127.0.0.1:9", token="x", retries=0)  # nothing listens there
    try:
        browser = make_browser(search=tagged["tag"])
        wait_for(lambda: browser.table.status_kind == "error", message="an error message in the table")
        assert "reach" in browser.table.status and "Traceback" not in browser.table.status
        assert "Cannot list the tasks" in repr(browser._repr_mimebundle_()["text/plain"])
    finally:
        sdk.connect(url=service.url, token=service.token)
    browser.refresh()
    wait_for(lambda: len(browser.rows) == 4 and browser.table.status == "", timeout=40,
             message="recovery once the service answers")


@pytest.mark.parametrize("message", [
    {"type": "fly"}, {"type": "sort", "column": "spark"}, {"type": "page", "page": "two"},
    {"type": "select", "ids": "all"}, {"type": "action", "id": 10**9, "action": "pause"},
    {"type": "action", "id": 1, "action": "explode"}, ["not", "an", "object"],
])
def test_bad_messages_never_raise(make_browser: Any, tagged: dict[str, Any], message: Any) -> None:
    browser = make_browser(search=tagged["tag"])
    deliver(browser, message)
    assert browser.table.status_kind == "error" and browser.table.status


def test_text_and_html_repr(make_browser: Any, tagged: dict[str, Any]) -> None:
    tag = tagged["tag"]
    browser = make_browser(search=tag)
    bundle = browser._repr_mimebundle_()
    text, page = bundle["text/plain"], bundle["text/html"]
    assert text.splitlines()[0].split() == ["ID", "Name", "State", "Problem", "Metric", "Best", "Models", "Run",
                                            "time"]
    assert f"{tag}-alpha" in text and "CANCELED" in text
    assert "<table" in page and f"{tag}-beta" in page
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == browser.model_id
    assert repr(browser) == "TaskBrowser(4 of 4 tasks on page 1)"


def test_close_stops_polling(make_browser: Any, tagged: dict[str, Any]) -> None:
    browser = make_browser(search=tagged["tag"])
    wait_for(lambda: len(browser.rows) == 4, message="four rows")
    sub = browser._sub
    assert sub in get_poller().subscriptions()
    browser.close()
    assert sub.cancelled and sub not in get_poller().subscriptions()
    browser.close()  # idempotent
