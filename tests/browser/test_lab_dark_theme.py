"""Under JupyterLab Dark, the widgets' text stays readable: contrast of computed colour vs background.

The theme is switched through JupyterLab's settings API (what the Settings menu stores), the page is
reloaded, and for every text element of the TaskWidget and the TaskBrowser the WCAG contrast ratio of
its computed colour (``fill`` for SVG text) against the first opaque background behind it is measured.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from labdriver import NotebookPage, write_notebook
from service_tasks import cancel_if_live, create_task

pytestmark = pytest.mark.browser

# Text a user must read, with the least contrast accepted (WCAG AA: 4.5 for text, 3 for large text and
# graphical labels such as a badge or an axis).
CHECKS = {
    ".ff-task-widget .ff-tv .ff-name": 4.5,
    ".ff-task-widget .ff-tv .ff-meta": 4.5,
    ".ff-task-widget .ff-tv .ff-badge": 3.0,
    ".ff-task-widget .ff-tv .ff-budget-text": 4.5,
    ".ff-task-widget .ff-tv button:not(:disabled)": 4.5,
    ".ff-task-widget .ff-score-chart .axis text": 3.0,
    ".ff-task-browser .ff-task-table td.ff-cell-name": 4.5,
    ".ff-task-browser .ff-task-table th": 4.5,
    ".ff-task-browser .ff-task-table .ff-badge": 3.0,
    ".ff-task-browser .ff-task-table .ff-page-info": 4.5,
}
# Measured when present (the leaderboard appears once models exist; the legend once points do).
OPTIONAL_CHECKS = {
    ".ff-task-widget .ff-tv td": 4.5,
    ".ff-task-widget .ff-score-chart .legend text": 3.0,
}

CONTRAST_JS = """
(selectors) => {
  const parse = (text) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(text || "");
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = ({r, g, b}) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement || node.parentNode) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c && c.a >= 0.5) return c;
    }
    return parse(getComputedStyle(document.body).backgroundColor) || {r: 255, g: 255, b: 255, a: 1};
  };
  const found = [];
  for (const selector of selectors) {
    const nodes = [...document.querySelectorAll(selector)].filter((n) => {
      const r = n.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && n.textContent.trim() !== "";
    });
    for (const node of nodes.slice(0, 6)) {
      const style = getComputedStyle(node);
      const isSvg = node instanceof SVGElement;
      const fg = parse(isSvg ? style.fill : style.color);
      const bg = background(node);
      if (!fg) { found.push({selector, text: node.textContent.trim(), ratio: null}); continue; }
      const mix = (k) => fg[k] * fg.a + bg[k] * (1 - fg.a);  // translucent text over its background
      const seen = {r: mix("r"), g: mix("g"), b: mix("b")};
      const [hi, lo] = [lum(seen), lum(bg)].sort((a, b) => b - a);
      found.push({selector, text: node.textContent.trim().slice(0, 40), ratio: (hi + 0.05) / (lo + 0.05),
                  fg: isSvg ? style.fill : style.color, bg: `rgb(${bg.r}, ${bg.g}, ${bg.b})`});
    }
  }
  return found;
}
"""


@pytest.fixture
def dark_lab(lab: Any) -> Iterator[Any]:
    """JupyterLab with the JupyterLab Dark theme, back to Light afterwards."""
    lab.set_theme("JupyterLab Dark")
    yield lab
    lab.set_theme("JupyterLab Light")


@pytest.fixture
def running_task(api: Any, iris_dataset_id: int) -> Iterator[int]:
    task_id = create_task(api, iris_dataset_id, f"dark-{uuid.uuid4().hex[:6]}", timeout=60)
    yield task_id
    cancel_if_live(api, task_id)


def test_dark_theme_renders_readable_text(notebook_page: NotebookPage, dark_lab: Any, running_task: int) -> None:
    page = notebook_page
    notebook = write_notebook(dark_lab.root / "dark_theme.ipynb", [
        "from firefly_widgets import TaskBrowser, TaskWidget\n"
        f"view = TaskWidget({running_task})\n"
        "view",
        "browser = TaskBrowser(page_size=10)\nbrowser",
    ])
    page.open(notebook)
    assert page.page.evaluate("() => document.body.dataset.jpThemeLight") == "false", "the theme is not dark"
    body = page.page.evaluate("() => getComputedStyle(document.querySelector('.jp-Notebook')).backgroundColor")
    page.run_all()
    page.page.wait_for_selector(".ff-task-widget .ff-tv .ff-badge", timeout=60_000)
    page.page.wait_for_selector(".ff-task-browser tr.ff-row", timeout=60_000)
    page.page.wait_for_selector(".ff-task-widget .ff-score-chart .axis text", timeout=30_000)
    page.wait_idle()
    assert page.error_outputs() == []
    assert page.unrun_cells() == 0

    limits = {**CHECKS, **OPTIONAL_CHECKS}
    measured = page.page.evaluate(CONTRAST_JS, list(limits))
    page.page.locator(".ff-task-widget").first.scroll_into_view_if_needed()
    page.screenshot("dark-theme")
    page.screenshot("dark-theme-browser", locator=page.page.locator(".ff-task-browser"))

    (page.screenshots / "dark-theme-contrast.json").write_text(json.dumps(measured, indent=1))  # kept by CI

    seen = {m["selector"] for m in measured}
    assert seen >= set(CHECKS), f"no visible text for {sorted(set(CHECKS) - seen)}"
    unreadable = [m for m in measured if m["ratio"] is None or m["ratio"] < limits[m["selector"]]]
    assert unreadable == [], f"text too faint on the dark background ({body}): {unreadable}"
