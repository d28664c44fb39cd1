"""The quickstart notebook, run from the Run menu in a real JupyterLab, then its form used by hand."""

from __future__ import annotations

import shutil
import uuid
from typing import Any

import pytest
from labdriver import NotebookPage, wait_until
from service_tasks import REPO, cancel_if_live

pytestmark = pytest.mark.browser


def tasks_named(api: Any, prefix: str) -> list[dict[str, Any]]:
    return [t for t in api.request("GET", "tasks", params={"search_all_columns": prefix, "page_size": 100})["hits"]
            if str(t["name"]).startswith(prefix)]


def test_quickstart_runs_in_jupyterlab(notebook_page: NotebookPage, lab: Any, api: Any) -> None:
    page = notebook_page
    notebook = lab.root / "quickstart.ipynb"
    shutil.copy(REPO / "notebooks" / "quickstart.ipynb", notebook)
    predictions_before = api.request("GET", "predictions", params={"page_size": 1})["total"]

    page.open(notebook)
    page.run_all()
    page.page.wait_for_selector(".ff-task-widget .ff-task-form", timeout=60_000)  # the form
    page.page.locator(".ff-task-widget .ff-tv .ff-badge >> visible=true").first.wait_for(timeout=60_000)
    page.wait_idle(timeout=240)

    assert page.error_outputs() == []
    assert page.unrun_cells() == 0
    # The last cell printed the accuracy.
    assert "accuracy on the new flowers" in page.page.locator(".jp-Notebook").inner_text()
    # The service, not the page, says what happened: the task finished and a prediction was made.
    task = tasks_named(api, "iris-quickstart-")[0]
    assert task["state"] == "COMPLETED"
    assert api.request("GET", "predictions", params={"page_size": 1})["total"] == predictions_before + 1
    live = page.page.locator(".ff-task-widget", has=page.page.locator(".ff-score-chart")).first
    assert live.locator(".ff-tv .ff-badge").inner_text().strip() == "COMPLETED"
    live.evaluate("node => node.scrollIntoView({block: 'start'})")
    page.screenshot("quickstart-live-view")

    # Now use the form as a user would: name, dataset, a short budget, Create task.
    form = page.page.locator(".ff-task-form").first
    form.scroll_into_view_if_needed()
    name = f"form-{uuid.uuid4().hex[:6]}"
    form.locator(".ff-input-name input").fill(name)
    form.locator(".ff-input-name input").press("Enter")
    dataset_select = form.locator(".ff-input-dataset_id select")
    quickstart_dataset = next(o for o in dataset_select.locator("option").all_inner_texts()
                              if o.startswith("iris-2"))
    dataset_select.select_option(label=quickstart_dataset)
    form.locator(".ff-input-timeout input").fill("5")
    form.locator(".ff-input-timeout input").press("Enter")
    page.screenshot("quickstart-form-filled", locator=form)
    form.locator("button.ff-submit").click()

    created = wait_until(lambda: tasks_named(api, name), timeout=30, what=f"task {name} on the service")
    try:
        assert created[0]["timeout"] == 5
        # The form turned into that task's live view.
        page.page.wait_for_function(
            "(name) => [...document.querySelectorAll('.ff-task-widget .ff-tv .ff-name')]"
            ".some(n => n.textContent.includes(name))", arg=name, timeout=30_000)
        page.screenshot("quickstart-form-submitted",
                        locator=page.page.locator(".ff-task-widget", has_text=name).first)
    finally:
        cancel_if_live(api, created[0]["id"])
