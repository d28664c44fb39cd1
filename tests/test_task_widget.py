"""TaskWidget's live view against the real service: wire state, progress, buttons, pull, errors."""

from __future__ import annotations

import comm
import pytest
from support import unique, wait_for

from firefly_widgets import sdk
from firefly_widgets.widgets import TaskWidget, get_poller
from firefly_widgets.widgets.task_widget import PROGRESS_COLUMNS

#: A task that finishes in a few seconds even on a busy machine: the model count ends it, not the budget.
QUICK = {"timeout": 30, "max_models_num": 2, "estimators": ["logreg"]}
VIEW_TRAITS = {"header", "budget", "actions", "confirming", "notes", "notes_status", "connection", "message",
               "pull", "version"}


class RecordingComm(comm.DummyComm):
    """A comm that keeps every message the kernel would send to the front end."""

    def __init__(self, *args, **kwargs):
        self.sent: list[dict] = []
        super().__init__(*args, **kwargs)

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        self.sent.append({"msg_type": msg_type, "data": data, "buffers": buffers or []})


@pytest.fixture
def recording(monkeypatch):
    """New widgets get RecordingComms."""
    monkeypatch.setattr(comm, "create_comm", RecordingComm)


@pytest.fixture
def widgets():
    """Collects widgets; closes them after the test and cancels their unfinished tasks (2 cores)."""
    made: list[TaskWidget] = []
    yield made
    for widget in made:
        widget.close()
        if widget.task_id is not None and widget.state not in {"COMPLETED", "FAILED", "CANCELED"}:
            try:
                sdk.Task.cancel_task(widget.task_id)
            except sdk.FireflyError:
                pass


def front_end_sends(widget, content: dict) -> None:
    """Deliver a custom message to the view as the comm layer does for a front-end message."""
    widget.view.comm.handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


def buttons(widget) -> dict[str, dict]:
    return {b["name"]: b for b in widget.view.actions}


@pytest.fixture
def iris_dataset(make_dataset, iris_frame):
    return make_dataset(iris_frame)


def test_live_view_reaches_completed_with_progress(service, iris_dataset, make_task, widgets):
    task_id = make_task(iris_dataset, **QUICK)
    widget = TaskWidget(task_id)
    widgets.append(widget)
    assert widget.wait(timeout=90) == "COMPLETED"
    assert widget.task["id"] == task_id and widget.state == "COMPLETED"
    assert len(widget.progress) >= 1, widget.task
    assert [e["index"] for e in widget.progress] == list(range(len(widget.progress)))
    frame = widget.progress_frame()
    assert list(frame.columns[:len(PROGRESS_COLUMNS)]) == PROGRESS_COLUMNS
    assert len(frame) == len(widget.progress) and frame["best_so_far"].notna().all()
    # The wire state the front end gets.
    state = widget.view.get_state()
    assert set(state) >= VIEW_TRAITS
    assert state["header"]["state"] == "COMPLETED" and state["header"]["id"] == task_id
    assert state["header"]["metric"] == widget.task["target_metric"]
    assert state["connection"]["ok"] is True and state["connection"]["updated_at"] > 0
    assert state["budget"]["budget"] == QUICK["timeout"] and state["budget"]["eta"] is None
    assert {n for n, b in buttons(widget).items() if b["enabled"]} == {"rerun", "add_time", "refit", "delete"}
    # The results section: leaderboard, confusion matrix (iris is classification), importance chart.
    results = widget.results_tables.get_state()["results"]
    assert results["leaderboard"]["rows"], results
    assert results["confusion"]["labels"] == ["setosa", "versicolor", "virginica"]
    assert widget.importance.figure in widget.children and len(widget.importance.bars.x) > 0
    # The chart shows every ensemble.
    assert len(widget.chart.scatter.x) == len([e for e in widget.progress if e["score"] is not None])
    # The text representations.
    text = widget._repr_mimebundle_()["text/plain"]
    assert f"task_id={task_id}" in text and "state=COMPLETED" in text and "best" in text
    assert "COMPLETED" in widget._repr_html_()


def test_final_task_stops_polling_and_close_stops_the_poller(service, iris_dataset, make_task):
    task_id = make_task(iris_dataset, **QUICK)
    widget = TaskWidget(task_id)
    try:
        widget.wait(timeout=90)
        sub = widget._sub
        wait_for(lambda: sub.interval is None or widget._results_retries, timeout=10,
                 message="no polling of a final task")
    finally:
        widget.close()
    assert sub.cancelled
    wait_for(lambda: not get_poller().is_alive(), timeout=10, message="the poller thread to end")


def test_two_widgets_on_one_task_share_one_fetch(service, iris_dataset, make_task, widgets):
    task_id = make_task(iris_dataset, **QUICK)
    first, second = TaskWidget(task_id), TaskWidget(task_id)
    widgets.extend([first, second])
    first.wait(timeout=90)
    second.wait(timeout=90)
    key = ("firefly_widgets.TaskWidget", task_id)
    assert first._sub.key == second._sub.key == key
    assert len([s for s in get_poller().subscriptions() if s.key == key]) == 2
    assert second.progress == first.progress


def test_pause_is_pending_until_the_service_confirms_then_cancel_needs_confirming(
        service, iris_dataset, make_task, widgets, recording):
    task_id = make_task(iris_dataset, timeout=60)
    widget = TaskWidget(task_id)
    widgets.append(widget)
    wait_for(lambda: widget.state == "RUNNING", timeout=60, message="the task to run")
    wait_for(lambda: buttons(widget)["pause"]["enabled"], timeout=10, message="pause enabled")
    front_end_sends(widget, {"type": "action", "name": "pause"})
    wait_for(lambda: widget.state == "PAUSED", timeout=30, message="PAUSED in the widget")
    assert sdk.Task.get(task_id)["state"] == "PAUSED"
    wait_for(lambda: buttons(widget)["resume"]["enabled"], timeout=10, message="resume enabled")
    assert not buttons(widget)["pause"]["enabled"] and not buttons(widget)["pause"]["pending"]

    # A destructive action asks first; nothing reaches the service until it is confirmed.
    front_end_sends(widget, {"type": "action", "name": "cancel"})
    wait_for(lambda: widget.view.confirming == "cancel", timeout=10, message="the confirm row")
    front_end_sends(widget, {"type": "dismiss"})
    wait_for(lambda: widget.view.confirming == "", timeout=10, message="the confirm row to close")
    assert sdk.Task.get(task_id)["state"] == "PAUSED"
    front_end_sends(widget, {"type": "action", "name": "cancel"})
    wait_for(lambda: widget.view.confirming == "cancel", timeout=10, message="the confirm row again")
    front_end_sends(widget, {"type": "confirm"})
    wait_for(lambda: widget.state == "CANCELED", timeout=30, message="CANCELED in the widget")
    assert sdk.Task.get(task_id)["state"] == "CANCELED"


def test_an_action_the_state_does_not_allow_is_refused_with_a_message(service, iris_dataset, make_task, widgets):
    task_id = make_task(iris_dataset, **QUICK)
    widget = TaskWidget(task_id)
    widgets.append(widget)
    widget.wait(timeout=90)
    widget._on_message({"type": "action", "name": "pause"})
    wait_for(lambda: widget.view.message.get("text"), timeout=10, message="a message")
    assert f"Pause is not available while the task is {widget.state}" in widget.view.message["text"]
    assert sdk.Task.get(task_id)["state"] == widget.state


def test_notes_are_saved_to_the_service(service, iris_dataset, make_task, widgets):
    task_id = make_task(iris_dataset, **QUICK)
    widget = TaskWidget(task_id)
    widgets.append(widget)
    widget._on_message({"type": "save_notes", "notes": "looks good"})
    wait_for(lambda: widget.view.notes_status == "saved", timeout=20, message="notes saved")
    assert sdk.Task.get(task_id)["notes"] == "looks good"


def test_pull_is_answered_with_the_latest_state(service, iris_dataset, make_task, widgets, recording):
    task_id = make_task(iris_dataset, **QUICK)
    widget = TaskWidget(task_id, pull="on")
    widgets.append(widget)
    widget.wait(timeout=90)
    view_comm = widget.view.comm
    view_comm.sent.clear()
    front_end_sends(widget, {"type": "pull", "version": -1})
    custom = [m["data"]["content"] for m in view_comm.sent if m["data"].get("method") == "custom"]
    assert custom == [{"type": "pulled", "version": widget._version}]
    updates = [m["data"]["state"] for m in view_comm.sent if m["data"].get("method") == "update"]
    assert updates and updates[0]["header"]["state"] == widget.state
    assert "_esm" not in updates[0], "a pull re-sends the data, not the code"
    assert widget.chart.scatter.comm.sent, "the chart's state is re-sent too"
    # Nothing changed since: the next pull answers with the version only.
    view_comm.sent.clear()
    front_end_sends(widget, {"type": "pull", "version": widget._version})
    assert [m["data"]["method"] for m in view_comm.sent] == ["custom"]
    assert widget.view.get_state()["pull"] == "on"


def test_unknown_task_shows_a_message_not_a_traceback(service, widgets):
    widget = TaskWidget(987654)
    widgets.append(widget)
    wait_for(lambda: widget.error, timeout=20, message="the error trait")
    assert "987654" in widget.error and "no longer exists" in widget.error
    assert not any(b["enabled"] for b in widget.view.actions)
    with pytest.raises(RuntimeError, match="deleted"):
        widget.wait(timeout=1)


def test_from_name(service, iris_dataset, make_task, widgets):
    task_id = make_task(iris_dataset, **QUICK)
    name = sdk.Task.get(task_id)["name"]
    widget = TaskWidget.from_name(name)
    widgets.append(widget)
    assert widget.task_id == task_id
    missing = TaskWidget.from_name(unique("no-such-task"))
    widgets.append(missing)
    assert missing.task_id is None and "no-such-task" in missing.error


def test_wait_times_out_with_a_clear_message(service, iris_dataset, make_task, widgets):
    task_id = make_task(iris_dataset, timeout=60)
    widget = TaskWidget(task_id)
    widgets.append(widget)
    with pytest.raises(TimeoutError, match=rf"task {task_id} .* is still \w+ after 0.5 s"):
        widget.wait(timeout=0.5)
    sdk.Task.cancel_task(task_id)
    assert widget.wait(timeout=30) == "CANCELED"


def test_unreachable_service_shows_reconnecting_and_recovers_on_retry(service, iris_dataset, make_task, widgets):
    task_id = make_task(iris_dataset, **QUICK)
    sdk.connect(url="http://127.0.0.1:9", token="nope")
    try:
        widget = TaskWidget(task_id)
        widgets.append(widget)
        wait_for(lambda: widget.view.connection.get("ok") is False, timeout=30, message="the reconnecting banner")
        assert "cannot be reached" in widget.error
        assert "cannot be reached" in widget.view.connection["message"]
    finally:
        sdk.connect(url=service.url, token=service.token)
    widget._on_message({"type": "retry"})
    wait_for(lambda: widget.view.connection.get("ok") is True, timeout=30, message="the connection to recover")
    assert widget.view.header["id"] == task_id
    assert widget.error == ""


def test_polling_is_fast_only_while_a_running_task_is_displayed(service, iris_dataset, make_task, widgets):
    task_id = make_task(iris_dataset, timeout=60)
    widget = TaskWidget(task_id)
    widgets.append(widget)
    wait_for(lambda: widget.state == "RUNNING", timeout=60, message="the task to run")
    wait_for(lambda: widget._sub.interval == 5.0, timeout=10, message="slow polling while not displayed")
    widget._view_count = 1  # what the front end reports once a view is shown
    assert widget._sub.interval == 1.0
    widget._on_message({"type": "visibility", "visible": False})
    assert widget._sub.interval == 5.0
    widget._on_message({"type": "visibility", "visible": True})
    assert widget._sub.interval == 1.0
    sdk.Task.cancel_task(task_id)
    wait_for(lambda: widget._sub.interval is None, timeout=30, message="no polling once CANCELED")


def test_one_fetch_sends_one_update_message_per_widget(service, iris_dataset, make_task, widgets, recording):
    task_id = make_task(iris_dataset, **QUICK)
    widget = TaskWidget(task_id)
    widgets.append(widget)
    widget.wait(timeout=90)
    snap = widget._snapshot
    widget.view.comm.sent.clear()
    changed = {**snap.task, "best_score": 0.123, "run_time": 99.0, "notes": "n", "models_count": 42}
    widget._on_snapshot(type(snap)(task=changed, progress=snap.progress, results=snap.results))
    updates = [m["data"]["state"] for m in widget.view.comm.sent if m["data"].get("method") == "update"]
    assert len(updates) == 1, updates
    assert {"header", "budget", "notes", "version"} <= set(updates[0])
    assert updates[0]["header"]["best_score"] == 0.123


def test_rerunning_a_cell_closes_the_widgets_its_earlier_run_made(service, iris_dataset, make_task, monkeypatch):
    from firefly_widgets.widgets import cell_runs

    task_id = make_task(iris_dataset, **QUICK)
    monkeypatch.setattr(cell_runs, "current_cell", lambda: ("cell-a", "run-1"))
    first, sibling = TaskWidget(task_id), TaskWidget(task_id)
    monkeypatch.setattr(cell_runs, "current_cell", lambda: ("cell-a", "run-2"))
    second = TaskWidget(task_id)
    try:
        assert first._closed and sibling._closed and first._sub is None
        assert not second._closed and second._sub is not None and not second._sub.cancelled
    finally:
        second.close()


def test_refit_rerun_and_delete_from_the_buttons(service, iris_dataset, make_task, widgets):
    task_id = make_task(iris_dataset, **QUICK)
    widget = TaskWidget(task_id)
    widgets.append(widget)
    assert widget.wait(timeout=90) == "COMPLETED"
    wait_for(lambda: buttons(widget)["refit"]["enabled"], timeout=10, message="refit enabled")

    # Refit on the training data (no datasource given): the service answers with a new ensemble.
    widget._on_message({"type": "action", "name": "refit"})
    wait_for(lambda: "Refit started" in widget.view.message.get("text", ""), timeout=30,
             message=f"the refit message (got {widget.view.message})")

    # Rerun asks first, then is pending until the service shows a new run.
    version = widget.task.get("version")
    widget._on_message({"type": "action", "name": "rerun"})
    wait_for(lambda: widget.view.confirming == "rerun", timeout=10, message="the rerun confirmation")
    widget._on_message({"type": "confirm"})
    wait_for(lambda: widget.state in {"QUEUED", "RUNNING"} or widget.task.get("version") != version,
             timeout=30, message="the rerun to start")
    assert widget.wait(timeout=90) in {"COMPLETED", "FAILED"}
    wait_for(lambda: not any(b["pending"] for b in widget.view.actions), timeout=10, message="nothing pending")

    # Delete asks first; afterwards the task is gone and nothing is enabled.
    widget._on_message({"type": "action", "name": "delete"})
    wait_for(lambda: widget.view.confirming == "delete", timeout=10, message="the delete confirmation")
    widget._on_message({"type": "confirm"})
    wait_for(lambda: "was deleted" in widget.view.message.get("text", ""), timeout=30, message="deleted")
    with pytest.raises(sdk.InvalidRequestError):
        sdk.Task.get(task_id)
    assert not any(b["enabled"] for b in widget.view.actions)
    assert widget._sub.interval is None


def test_add_time_runs_a_completed_task_again(service, iris_dataset, make_task, widgets):
    task_id = make_task(iris_dataset, **QUICK)
    widget = TaskWidget(task_id)
    widgets.append(widget)
    assert widget.wait(timeout=90) == "COMPLETED"
    before = dict(widget.task)
    widget._on_message({"type": "action", "name": "add_time", "seconds": 5})
    wait_for(lambda: buttons(widget)["add_time"]["pending"] or widget.task != before, timeout=10,
             message="add time pending")
    wait_for(lambda: not any(b["pending"] for b in widget.view.actions), timeout=60,
             message="the service to confirm the added time")
    assert widget.view.message.get("kind") != "error", widget.view.message
    assert widget.wait(timeout=90) in {"COMPLETED", "FAILED"}
    assert sdk.Task.get(task_id)["timeout"] >= before["timeout"]


def test_the_feed_fetches_progress_incrementally(service, make_dataset, diabetes_frame, make_task, monkeypatch):
    from firefly_widgets.widgets import task_api
    from firefly_widgets.widgets.task_feed import TaskFeed

    asked: list[int] = []
    real = task_api.fetch_progress

    def recording(task_id, since=0):
        asked.append(since)
        return real(task_id, since)

    monkeypatch.setattr(task_api, "fetch_progress", recording)
    task_id = make_task(make_dataset(diabetes_frame, problem_type="regression"), timeout=60)
    feed = TaskFeed(task_id)
    try:
        snaps = [feed()]
        wait_for(lambda: snaps.append(feed()) or len(snaps[-1].progress) >= 3, timeout=60,
                 message="three progress entries")
    finally:
        if sdk.Task.get(task_id)["state"] not in {"COMPLETED", "FAILED", "CANCELED"}:
            sdk.Task.cancel_task(task_id)
    entries = snaps[-1].progress
    assert [e["index"] for e in entries] == list(range(len(entries)))
    assert asked == sorted(asked) and asked[0] == 0 and asked[-1] > 0, asked
    # Each request asked from the first entry the feed did not have yet.
    counts = [len(s.progress) for s in snaps]
    assert set(asked) <= {0, *counts}
    # Nothing new: the next fetch asks for no progress at all when the count is unchanged.
    final = wait_for(lambda: (s := feed()).state in {"COMPLETED", "CANCELED"} and s, timeout=30,
                     message="a final state")
    before = len(asked)
    again = feed()
    assert len(asked) == before and again.progress == final.progress
