"""TaskWidget in a real JupyterLab: the chart grows while the task runs; pause, resume and cancel.

One running task and one notebook showing ``TaskWidget(task_id)`` serve the tests of this module, in
order (pause, then resume, then cancel); each test first brings the task to the state it starts from,
so a test run alone works too. What the page shows is checked in the DOM; what the service did is
checked through the SDK, never through the page.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from labdriver import NotebookPage, write_notebook
from service_tasks import FINAL_STATES, cancel_if_live, create_task, task_state, wait_task_state

pytestmark = pytest.mark.browser

WIDGET = ".ff-task-widget"
BADGE = ".ff-task-widget .ff-tv .ff-badge"
DOTS = ".ff-task-widget .ff-score-chart .dot"


@pytest.fixture(scope="module")
def live_task(api: Any, diabetes_dataset_id: int) -> Iterator[int]:
    """A task with a budget long enough to outlive the module; canceled at the end if still live."""
    task_id = create_task(api, diabetes_dataset_id, f"browser-live-{uuid.uuid4().hex[:6]}", timeout=120)
    yield task_id
    cancel_if_live(api, task_id)


@pytest.fixture(scope="module")
def task_page(module_page: NotebookPage, lab: Any, live_task: int) -> NotebookPage:
    """A notebook showing ``TaskWidget(live_task)``, its header rendered."""
    notebook = write_notebook(lab.root / "task_widget.ipynb", [
        "from firefly_widgets import TaskWidget\n"
        f"view = TaskWidget({live_task})\n"
        "view",
    ])
    return module_page.run_notebook(notebook, ready=BADGE)


def badge_text(page: NotebookPage) -> str:
    return page.page.locator(BADGE).inner_text().strip()


def wait_badge(page: NotebookPage, *states: str, timeout: float = 20.0) -> str:
    """Wait until the badge shows one of ``states``; return it."""
    page.page.wait_for_function(
        "([sel, states]) => { const b = document.querySelector(sel);"
        " return b !== null && states.includes(b.textContent.trim()); }",
        arg=[BADGE, list(states)], timeout=timeout * 1000)
    return badge_text(page)


def button(page: NotebookPage, action: str) -> Any:
    return page.page.locator(f"{WIDGET} .ff-tv button.ff-action-{action}")


def test_chart_gains_points_while_the_task_runs(task_page: NotebookPage, api: Any, live_task: int) -> None:
    page = task_page
    wait_task_state(api, live_task, "RUNNING", timeout=60)
    page.observe("dots", DOTS, "@count")
    page.page.wait_for_function(
        "() => { const log = (window.__ffObservations || {}).dots || [];"
        " const counts = log.map(o => Number(o.value));"
        " return counts.length >= 3 && counts[counts.length - 1] > counts[0]; }",
        timeout=60_000)
    counts = [int(o["value"]) for o in page.observations("dots")]
    times = [o["t"] for o in page.observations("dots")]

    assert counts == sorted(counts), f"the chart lost points: {counts}"
    assert counts[-1] >= counts[0] + 2
    assert times[-1] - times[1] > 200, "the points did not arrive over time but in one go"
    assert task_state(api, live_task) == "RUNNING"  # they arrived while the task was running
    # the best-so-far line is drawn too
    assert page.page.locator(f"{WIDGET} .ff-score-chart path.line").count() >= 1
    page.page.locator(f"{WIDGET} .ff-score-chart").scroll_into_view_if_needed()
    page.screenshot("task-widget-chart", locator=page.page.locator(WIDGET))


def test_pause_turns_the_badge_paused_and_the_service_agrees(task_page: NotebookPage, api: Any,
                                                              live_task: int) -> None:
    page = task_page
    wait_task_state(api, live_task, "RUNNING", timeout=60)
    wait_badge(page, "RUNNING")
    page.observe("badge", BADGE)

    button(page, "pause").click()
    wait_badge(page, "PAUSED")

    assert task_state(api, live_task) == "PAUSED"
    assert button(page, "resume").is_enabled()
    assert button(page, "pause").is_disabled()
    assert [o["value"] for o in page.observations("badge")][-1] == "PAUSED"
    page.screenshot("task-widget-paused", locator=page.page.locator(WIDGET))


def test_resume_runs_the_task_again(task_page: NotebookPage, api: Any, live_task: int) -> None:
    page = task_page
    if task_state(api, live_task) != "PAUSED":
        api.request("POST", f"tasks/{live_task}/pause")
    wait_badge(page, "PAUSED")

    button(page, "resume").click()
    wait_badge(page, "RUNNING", "QUEUED")

    assert task_state(api, live_task) in {"RUNNING", "QUEUED"}
    wait_badge(page, "RUNNING", timeout=30)
    assert button(page, "pause").is_enabled()
    page.screenshot("task-widget-resumed", locator=page.page.locator(WIDGET))


def test_cancel_asks_first_then_cancels(task_page: NotebookPage, api: Any, live_task: int) -> None:
    page = task_page
    assert task_state(api, live_task) not in FINAL_STATES, "the task finished before the cancel test"

    button(page, "cancel").click()
    confirm = page.page.locator(f"{WIDGET} .ff-tv .ff-confirm-yes")
    confirm.wait_for()
    assert task_state(api, live_task) not in FINAL_STATES, "cancel went through without confirmation"
    page.screenshot("task-widget-cancel-confirm", locator=page.page.locator(WIDGET))

    confirm.click()
    wait_badge(page, "CANCELED")

    assert task_state(api, live_task) == "CANCELED"
    assert button(page, "rerun").is_enabled()
    page.screenshot("task-widget-canceled", locator=page.page.locator(WIDGET))
