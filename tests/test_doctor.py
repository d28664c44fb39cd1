"""doctor(): front-end detection, version checks with fixes, the service check, and its reprs."""

from __future__ import annotations

import types

import pytest

from firefly_widgets.widgets import doctor
from firefly_widgets.widgets.doctor import DoctorReport, detect_frontend, version_checks


def shell_module(class_name: str) -> types.ModuleType:
    shell = type(class_name, (), {})()
    module = types.ModuleType("IPython")
    module.get_ipython = lambda: shell
    return module


@pytest.mark.parametrize("environ, modules, expected", [
    ({}, {}, "none"),
    ({}, {"IPython": shell_module("TerminalInteractiveShell")}, "plain IPython"),
    ({"COLAB_RELEASE_TAG": "x"}, {}, "Colab"),
    ({}, {"google.colab": object()}, "Colab"),
    ({"VSCODE_PID": "1"}, {"IPython": shell_module("ZMQInteractiveShell")}, "VS Code"),
    ({"JUPYTERLAB_SETTINGS_DIR": "/x"}, {"IPython": shell_module("ZMQInteractiveShell")}, "JupyterLab"),
])
def test_detect_frontend(environ, modules, expected):
    assert detect_frontend(environ, modules) == expected


def test_detect_frontend_in_a_kernel_without_hints_says_unknown():
    found = detect_frontend({}, {"IPython": shell_module("ZMQInteractiveShell")})
    assert found in {"Jupyter (unknown front end)", "JupyterLab", "Jupyter Notebook"}


@pytest.mark.parametrize("versions, package, ok, fix", [
    ({"ipykernel": "7.0.0"}, "ipykernel", False, "ipykernel>=7.0.1"),
    ({"ipykernel": "7.0.1"}, "ipykernel", True, ""),
    ({"ipykernel": "6.29.5"}, "ipykernel", True, ""),
    ({"ipywidgets": "7.8.1"}, "ipywidgets", False, "pip install -U 'ipywidgets>=8.1'"),
    ({"anywidget": None}, "anywidget", False, "pip install 'anywidget>=0.9'"),
    ({"bqplot": "0.13.1"}, "bqplot", True, ""),
])
def test_version_checks_say_how_to_fix(versions, package, ok, fix):
    check = next(c for c in version_checks(versions) if c.name == package)
    assert check.ok is ok
    assert fix in check.fix
    if not ok:
        assert check.fix


@pytest.mark.parametrize("frontend, versions, problems", [
    ("JupyterLab", {"jupyterlab_widgets": None}, ["widget extension"]),
    ("JupyterLab", {"jupyterlab_widgets": "3.0.16"}, []),
    ("plain IPython", {}, ["front end"]),
    ("Colab", {}, []),
])
def test_frontend_checks(frontend, versions, problems):
    from firefly_widgets.widgets.doctor import frontend_checks

    checks = frontend_checks(frontend, versions)
    assert [c.name for c in checks if not c.ok] == problems
    assert all(c.fix for c in checks if not c.ok)


def test_report_reprs_list_versions_and_problems():
    report = DoctorReport(frontend="JupyterLab", versions={"ipykernel": "7.0.0"},
                          checks=version_checks({"ipykernel": "7.0.0", "ipywidgets": "8.1.9", "anywidget": "0.11",
                                                 "bqplot": "0.13.1", "traitlets": "5.15"}))
    assert not report.ok
    assert [c.name for c in report.problems] == ["ipykernel"]
    text = repr(report)
    assert "front end: JupyterLab" in text and "ipykernel: 7.0.0" in text and "fix: pip install -U" in text
    assert "<table>" in report._repr_html_() and "ipykernel&gt;=7.0.1" in report._repr_html_()


def test_doctor_reports_the_installed_stack_without_the_service():
    report = doctor(check_service=False)
    assert set(report.versions) >= {"ipywidgets", "anywidget", "bqplot", "ipykernel"}
    assert report.versions["ipywidgets"] is not None
    assert report.frontend == "none"  # pytest is not a notebook
    assert all(c.name != "service" for c in report.checks)


def test_doctor_sees_the_service(service):
    report = doctor()
    check = next(c for c in report.checks if c.name == "service")
    assert check.ok, check.detail
    assert service.url in check.detail


def test_doctor_explains_an_unreachable_service(service, monkeypatch):
    from firefly_widgets import sdk

    sdk.connect(url="http://127.0.0.1:9", token="x")
    try:
        check = next(c for c in doctor().checks if c.name == "service")
    finally:
        sdk.connect(url=service.url, token=service.token)
    assert not check.ok
    assert "not reachable" in check.detail and "firefly_widgets serve" in check.fix
