"""TaskBrowser in a real JupyterLab: search narrows the rows, sort reorders them, a click opens the task."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from labdriver import NotebookPage, write_notebook
from service_tasks import FINAL_STATES, create_task, wait_task_state

pytestmark = pytest.mark.browser

ROWS = ".ff-task-browser tr.ff-row"
NAME_CELLS = ".ff-task-browser tr.ff-row td.ff-cell-name"


@pytest.fixture(scope="module")
def tagged_tasks(api: Any, iris_dataset_id: int) -> Iterator[dict[str, Any]]:
    """Three canceled tasks sharing a unique tag (created gamma, alpha, beta) and one decoy without it."""
    tag = f"tb{uuid.uuid4().hex[:6]}"
    ids = {}
    for name in (f"{tag}-gamma", f"{tag}-alpha", f"{tag}-beta", f"decoy-{uuid.uuid4().hex[:6]}"):
        ids[name] = create_task(api, iris_dataset_id, name, timeout=30)
        api.request("POST", f"tasks/{ids[name]}/cancel")  # rows only: no training needed
    for task_id in ids.values():
        wait_task_state(api, task_id, FINAL_STATES)
    yield {"tag": tag, "ids": ids}


@pytest.fixture(scope="module")
def browser_page(module_page: NotebookPage, lab: Any, tagged_tasks: dict[str, Any]) -> NotebookPage:
    """A notebook showing ``TaskBrowser(page_size=50)`` with its first page rendered."""
    notebook = write_notebook(lab.root / "task_browser.ipynb", [
        "from firefly_widgets.widgets.browser import TaskBrowser\n"
        "browser = TaskBrowser(page_size=50, idle_interval=2.0)\n"
        "browser",
    ])
    return module_page.run_notebook(notebook, ready=ROWS)


def names_shown(page: NotebookPage) -> list[str]:
    return [text.strip() for text in page.page.locator(NAME_CELLS).all_inner_texts()]


def wait_names(page: NotebookPage, expected: list[str], *, timeout: float = 15.0) -> None:
    """Wait until the table shows exactly ``expected`` names, in that order."""
    page.page.wait_for_function(
        """([selector, expected]) => {
            const names = [...document.querySelectorAll(selector)].map(td => td.textContent.trim());
            return JSON.stringify(names) === JSON.stringify(expected);
        }""",
        arg=[NAME_CELLS, expected],
        timeout=timeout * 1000,
    )


def search(page: NotebookPage, term: str) -> None:
    box = page.page.locator(".ff-task-browser input.ff-search")
    box.fill(term)
    box.press("Enter")


def test_search_narrows_the_rows(browser_page: NotebookPage, tagged_tasks: dict[str, Any]) -> None:
    page, tag = browser_page, tagged_tasks["tag"]
    before = names_shown(page)
    assert set(tagged_tasks["ids"]) <= set(before), "the unfiltered page misses tasks made for this test"

    search(page, tag)
    wait_names(page, [f"{tag}-beta", f"{tag}-alpha", f"{tag}-gamma"])  # newest first by default
    assert len(names_shown(page)) < len(before)
    page.screenshot("browser-search", locator=page.page.locator(".ff-task-browser"))

    search(page, f"{tag}-alpha")
    wait_names(page, [f"{tag}-alpha"])
    assert "1 of 1" in page.page.locator(".ff-task-browser .ff-page-info").inner_text()


def test_sort_reorders_the_rows(browser_page: NotebookPage, tagged_tasks: dict[str, Any]) -> None:
    page, tag = browser_page, tagged_tasks["tag"]
    search(page, tag)
    wait_names(page, [f"{tag}-beta", f"{tag}-alpha", f"{tag}-gamma"])
    header = page.page.locator(".ff-task-browser th.ff-head-name")

    page.page.locator(".ff-task-browser button.ff-sort-name").click()
    wait_names(page, [f"{tag}-alpha", f"{tag}-beta", f"{tag}-gamma"])
    assert header.get_attribute("aria-sort") == "ascending"

    page.page.locator(".ff-task-browser button.ff-sort-name").click()
    wait_names(page, [f"{tag}-gamma", f"{tag}-beta", f"{tag}-alpha"])
    assert header.get_attribute("aria-sort") == "descending"
    page.screenshot("browser-sorted", locator=page.page.locator(".ff-task-browser"))


def test_click_opens_the_task(browser_page: NotebookPage, tagged_tasks: dict[str, Any]) -> None:
    page, tag = browser_page, tagged_tasks["tag"]
    name = f"{tag}-alpha"
    search(page, name)
    wait_names(page, [name])

    page.page.locator(NAME_CELLS, has_text=name).click()
    detail = page.page.locator(".ff-task-browser .ff-task-detail .ff-task-widget")
    detail.wait_for(timeout=20_000)
    page.page.wait_for_function(
        "([sel, name]) => { const d = document.querySelector(sel); return d && d.textContent.includes(name); }",
        arg=[".ff-task-browser .ff-task-detail .ff-task-widget", name], timeout=20_000)
    row = page.page.locator(f'.ff-task-browser tr.ff-row[data-id="{tagged_tasks["ids"][name]}"]')
    assert row.get_attribute("aria-expanded") == "true"
    page.screenshot("browser-opened", locator=page.page.locator(".ff-task-browser"))
