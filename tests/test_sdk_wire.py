"""The SDK's pure pieces: body translation, FireflyResponse, the error hierarchy, argument encoding."""

from __future__ import annotations

import builtins
import doctest
import importlib
import os
import subprocess
import sys
from collections import OrderedDict

import pytest

from firefly_widgets import enums
from firefly_widgets.sdk import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    FireflyError,
    FireflyResponse,
    InvalidRequestError,
    NotFoundError,
    PermissionError,
    WaitTimeoutError,
)
from firefly_widgets.sdk.client import translate_body
from firefly_widgets.sdk.resource import _filter_params, _sort_params, enum_value, enum_values, to_member


@pytest.mark.parametrize(
    ("body", "data"),
    [
        ({"id": 3, "name": "x"}, {"id": 3, "name": "x"}),  # an object without result: itself
        ({"result": {"id": 3}}, {"id": 3}),  # result object: the inner object
        ({"result": True}, {"result": True}),  # result bool: the whole object
        ({"result": False, "x": 1}, {"result": False, "x": 1}),
        ({"result": 42}, {"id": 42}),  # result int: an id
        ([1, 2], {"result": [1, 2]}),  # a list: under result
        ({"result": [{"a": 1}]}, {"result": [{"a": 1}]}),
        ([], {"result": []}),  # an empty list keeps its result key
        ({"result": "submitted"}, {"result": "submitted"}),
        ({"hits": [], "total": 0}, {"hits": [], "total": 0}),
        (42, {"id": 42}),
        ({}, None),  # empty: an empty response
        (None, None),
    ],
)
def test_translate_body_follows_the_wire_protocol(body, data):
    assert translate_body(body) == data


def test_response_behaves_like_the_official_one():
    resp = FireflyResponse(data={"id": 3, "state": "RUNNING"}, headers={"X-Request-ID": "abc"}, status_code=200)
    assert resp["id"] == 3
    assert resp["missing"] is None  # the official client answers None, not KeyError
    assert resp.get("missing", "dflt") == "dflt"
    assert "state" in resp and "missing" not in resp
    assert resp.to_dict() == {"id": 3, "state": "RUNNING"}
    assert resp.request_id == "abc"
    assert repr(resp) == repr({"id": 3, "state": "RUNNING"})
    assert resp == {"id": 3, "state": "RUNNING"}
    assert sorted(resp) == ["id", "state"]
    empty = FireflyResponse()
    assert bool(empty) and empty.to_dict() == {} and empty.request_id is None


@pytest.mark.parametrize(
    ("error_class", "stdlib_class"),
    [
        (InvalidRequestError, ValueError),
        (NotFoundError, ValueError),
        (NotFoundError, APIError),
        (APIConnectionError, ConnectionError),
        (AuthenticationError, builtins.PermissionError),
        (PermissionError, AuthenticationError),
        (APIError, RuntimeError),
        (WaitTimeoutError, TimeoutError),
    ],
)
def test_errors_are_also_stdlib_categories(error_class, stdlib_class):
    err = error_class("boom")
    assert isinstance(err, FireflyError)
    assert isinstance(err, stdlib_class)
    with pytest.raises(stdlib_class):
        raise err


def test_error_message_carries_the_request_id():
    err = InvalidRequestError("task 9 does not exist", headers={"x-request-id": "rid-1"}, code=404,
                              json_body={"error": "task 9 does not exist"})
    assert str(err) == "Request rid-1: task 9 does not exist"
    assert err.message == "task 9 does not exist"
    assert err.code == 404 and err.request_id == "rid-1"
    assert str(APIError()) == APIError.MESSAGE


@pytest.mark.parametrize(
    ("cls", "value", "expected"),
    [
        (enums.TargetMetric, enums.TargetMetric.AUC, "auc"),
        (enums.TargetMetric, "auc", "auc"),
        (enums.InterpretabilityLevel, 2, 2),
        (enums.InterpretabilityLevel, enums.InterpretabilityLevel.EXPLAINABLE, 2),
        (enums.ValidationStrategy, "cv", "cv"),
        (enums.Estimator, None, None),
    ],
)
def test_enum_arguments_accept_members_and_values(cls, value, expected):
    assert enum_value(cls, value, "field") == expected


def test_bad_enum_argument_names_field_value_and_choices():
    with pytest.raises(InvalidRequestError) as info:
        enum_value(enums.SplittingStrategy, "sideways", "splitting_strategy")
    message = str(info.value)
    assert "splitting_strategy" in message and "'sideways'" in message
    assert "shuffled, stratified, time_order" in message
    with pytest.raises(InvalidRequestError, match="must be a list"):
        enum_values(enums.Estimator, "logreg", "estimators")
    assert enum_values(enums.Estimator, [enums.Estimator.LOGREG, "random_forest"], "estimators") == [
        "logreg", "random_forest"]
    assert to_member(enums.InterpretabilityLevel, 0, "level") is enums.InterpretabilityLevel.PRECISE


def test_filters_and_sorts_become_repeated_field_value_parameters():
    assert _filter_params({"name": ["a", "b"], "state": "RUNNING", "stage": [enums.ProblemType.REGRESSION]}) == [
        "name:a", "name:b", "state:RUNNING", "stage:regression"]
    assert _filter_params(None) is None and _filter_params({}) is None
    assert _sort_params(OrderedDict([("creation_date", "desc"), ("name", "asc")])) == [
        "creation_date:desc", "name:asc"]
    assert _sort_params(None) is None


@pytest.mark.parametrize("module_name", ["response", "client", "resource"])
def test_docstring_examples_run(module_name):
    module = importlib.import_module(f"firefly_widgets.sdk.{module_name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_package_import_is_light_and_widgets_are_lazy():
    script = (
        "import sys, firefly_widgets as fw\n"
        "heavy = [m for m in ('ipywidgets', 'anywidget', 'bqplot', 'pandas', 'sklearn') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert {'connect', 'Task', 'TaskWidget', 'TaskBrowser', 'doctor'} <= set(fw.__all__)\n"
        "assert fw.enums.__name__ == 'firefly_widgets.enums' and fw.sdk.enums.Estimator is fw.enums.Estimator\n"
        "try:\n"
        "    fw.no_such_thing\n"
        "except AttributeError as err:\n"
        "    assert 'no_such_thing' in str(err)\n"
        "else:\n"
        "    raise SystemExit('no AttributeError')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr
