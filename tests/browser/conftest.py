"""Fixtures of the browser tests: the service, a JupyterLab 4 wired to it, Chromium, notebook pages.

Everything is real: the service runs as a subprocess on a free port with a temporary home (or the
lead's session ``service`` fixture is reused when ``tests/conftest.py`` offers one), JupyterLab runs in
its own temporary Jupyter dirs with ``FIREFLY_API_URL`` / ``FIREFLY_TOKEN`` in its (and so its
kernels') environment, and Debian's Chromium is driven by Playwright.

The tests are skipped, not failed, when ``/usr/bin/chromium`` is absent outside CI; with ``CI=true``
they always run (and fail loudly if the browser is missing). A failing test leaves a screenshot of
every open page, ``FAILED-<test>-<n>.png``, next to the others in ``artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from labdriver import CHROMIUM, CHROMIUM_ARGS, JupyterLabServer, NotebookPage, stop_process_group
from service_tasks import REPO, repo_pythonpath, start_service, upload_diabetes, upload_iris

SCREENSHOTS = REPO / "artifacts" / "screenshots"


def browser_available() -> bool:
    """True when the browser tests must run: Chromium is installed, or we are on CI."""
    return CHROMIUM.exists() or os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the browser tests where no Chromium exists (never on CI)."""
    if browser_available():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is absent (apt-get install chromium); CI=true forces these")
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Keep each phase's report on the item, so a fixture can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def screenshot_if_failed(request: pytest.FixtureRequest) -> None:
    """If the test failed (in setup or call), screenshot every page still open: the evidence CI keeps."""
    reports = [getattr(request.node, f"report_{when}", None) for when in ("setup", "call")]
    if not any(report is not None and report.failed for report in reports):
        return
    for index, page in enumerate(list(NotebookPage.live)):
        try:
            page.screenshot(f"FAILED-{request.node.name}-{index}")
        except Exception:  # the page may be gone; the failure itself is what matters
            pass


@pytest.fixture(autouse=True)
def _screenshot_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    """Screenshots of a failed test's module-scoped pages (function-scoped ones do it themselves)."""
    yield
    screenshot_if_failed(request)


# -- the service ------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def firefly_service(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The service of the browser tests (``.url``, ``.token``): the lead's ``service`` if defined, else ours."""
    try:
        yield request.getfixturevalue("service")
        return
    except pytest.FixtureLookupError:
        pass
    info, proc = start_service(tmp_path_factory.mktemp("firefly-home"))
    yield info
    stop_process_group(proc, grace=10)


@pytest.fixture(scope="session")
def api(firefly_service: Any) -> Iterator[Any]:
    """An SDK ``Client`` of the test service (this process's default client is left alone)."""
    from firefly_widgets.sdk.client import Client

    client = Client(firefly_service.url, token=firefly_service.token)
    yield client
    client.close()


@pytest.fixture(scope="session")
def iris_dataset_id(api: Any) -> int:
    """A small classification dataset on the service."""
    return upload_iris(api, f"browser-iris-{uuid.uuid4().hex[:6]}")


@pytest.fixture(scope="session")
def diabetes_dataset_id(api: Any) -> int:
    """A small regression dataset whose search improves steadily (a chart that keeps growing)."""
    return upload_diabetes(api, f"browser-diabetes-{uuid.uuid4().hex[:6]}")


# -- JupyterLab and Chromium ------------------------------------------------------------------------
@pytest.fixture(scope="session")
def lab(firefly_service: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLabServer]:
    """A JupyterLab 4 whose kernels talk to the test service."""
    base = tmp_path_factory.mktemp("jupyterlab")
    server = JupyterLabServer(base, env={
        "FIREFLY_API_URL": firefly_service.url,
        "FIREFLY_TOKEN": firefly_service.token,
        "FIREFLY_HOME": str(base / "firefly-home"),  # unused while FIREFLY_API_URL is set; never the user's
        "PYTHONPATH": repo_pythonpath(),
    })
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright (never ``playwright install``)."""
    from playwright.sync_api import sync_playwright

    home = tmp_path_factory.mktemp("chromium-home")
    playwright = sync_playwright().start()
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_CACHE_HOME": str(home / "cache")}
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                                             env=env)
    except BaseException:
        playwright.stop()
        raise
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def notebook_page(chromium: Any, lab: JupyterLabServer, request: pytest.FixtureRequest) -> Iterator[NotebookPage]:
    """A page for one test; open a notebook with ``notebook_page.open(path)``."""
    page = NotebookPage.new(chromium, lab, SCREENSHOTS)
    yield page
    screenshot_if_failed(request)
    page.close()


@pytest.fixture(scope="module")
def module_page(chromium: Any, lab: JupyterLabServer) -> Iterator[NotebookPage]:
    """A page shared by the tests of one module (one notebook, one kernel, several steps)."""
    page = NotebookPage.new(chromium, lab, SCREENSHOTS)
    yield page
    page.close()
