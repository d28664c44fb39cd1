"""TaskWidget(): the configuration form against the real service."""

from __future__ import annotations

import pytest
from support import unique, wait_for

from firefly_widgets import sdk
from firefly_widgets.widgets import TaskWidget


@pytest.fixture
def form_widget(make_dataset, iris_frame, diabetes_frame):
    """A form with an iris (3 classes) and a diabetes (regression) dataset on the service."""
    iris = make_dataset(iris_frame)
    diabetes = make_dataset(diabetes_frame, problem_type="regression")
    widget = TaskWidget()
    widget.ids = {"iris": iris, "diabetes": diabetes}
    yield widget
    widget.close()


def shown(form, name: str) -> bool:
    return form.rows[name].layout.display != "none"


def choose(widget, control: str, value) -> None:
    """Set a control as the front end would; the form reacts on the poller's thread."""
    widget.form.controls[control].value = value


def test_the_form_lists_datasets_and_their_options(service, form_widget):
    form = form_widget.form
    values = [v for _, v in form.controls["dataset_id"].options]
    assert {form_widget.ids["iris"], form_widget.ids["diabetes"]} <= set(values)
    choose(form_widget, "dataset_id", form_widget.ids["iris"])
    wait_for(lambda: form.problem_type == "classification" and form.classes, timeout=20, message="iris options")
    metrics = [v for _, v in form.controls["target_metric"].options if v]
    assert "recall_macro" in metrics and "r2" not in metrics
    assert set(form.controls["estimators"].options) >= {"logreg", "random_forest"}
    assert form.classes == ["setosa", "versicolor", "virginica"]
    choose(form_widget, "dataset_id", form_widget.ids["diabetes"])
    wait_for(lambda: form.problem_type == "regression", timeout=20, message="diabetes options")
    wait_for(lambda: "r2" in [v for _, v in form.controls["target_metric"].options], timeout=20,
             message="regression metrics")
    # The common fields are in view, the rest in the Advanced accordion; inapplicable ones hidden.
    assert shown(form, "name") and shown(form, "timeout") and shown(form, "target_metric")
    assert form.rows["ensemble_size"] in form.advanced.children[0].children
    assert not shown(form, "forecast_horizon") and not shown(form, "n_folds")
    assert not shown(form, "cost_matrix_weights")


def test_folds_only_for_cross_validation(service, form_widget):
    form = form_widget.form
    assert not shown(form, "n_folds")
    choose(form_widget, "validation_strategy", "cv")
    wait_for(lambda: shown(form, "n_folds") and shown(form, "cv_strategy"), timeout=20, message="cv fields")
    assert not shown(form, "validation_size")
    choose(form_widget, "validation_strategy", "")
    wait_for(lambda: not shown(form, "n_folds"), timeout=20, message="cv fields hidden")


def test_cost_matrix_only_for_cost_metric_sized_to_the_classes(service, form_widget):
    form = form_widget.form
    choose(form_widget, "dataset_id", form_widget.ids["iris"])
    wait_for(lambda: form.classes, timeout=20, message="the classes")
    if "cost_metric" not in [v for _, v in form.controls["target_metric"].options]:
        pytest.skip("the engine offers no cost_metric for classification")
    choose(form_widget, "target_metric", "cost_metric")
    wait_for(lambda: shown(form, "cost_matrix_weights"), timeout=20, message="the cost matrix")
    assert len(form.matrix_values()) == 3 and all(len(row) == 3 for row in form.matrix_values())
    assert form.matrix_values()[0] == ["0", "1", "1"]


def test_invalid_input_is_reported_inline_before_anything_is_sent(service, form_widget):
    form = form_widget.form
    before = sdk.Task.list(page_size=1)["total"]
    form.controls["name"].value = ""
    form.controls["timeout"].value = "soon"
    form.controls["train_size"].value = "2"
    form.submit_button.click()
    wait_for(lambda: form.errors["timeout"].value, timeout=20, message="inline errors")
    assert "Name: required" in form.errors["name"].value
    assert "&#x27;soon&#x27; is not a whole number" in form.errors["timeout"].value
    assert "between 0 and 1" in form.errors["train_size"].value
    assert form.errors["dataset_id"].value == ""
    assert "Fix 3 field(s)" in form.status.value
    assert sdk.Task.list(page_size=1)["total"] == before
    assert form_widget.task_id is None


def test_a_service_error_is_shown_as_a_readable_message(service, form_widget, make_task):
    form = form_widget.form
    taken = sdk.Task.get(make_task(form_widget.ids["iris"], timeout=1))["name"]
    choose(form_widget, "dataset_id", form_widget.ids["iris"])
    wait_for(lambda: form.classes, timeout=20, message="iris options")
    form.controls["name"].value = taken
    form.controls["timeout"].value = "2"
    form.submit_button.click()
    wait_for(lambda: "refused" in form.status.value, timeout=20, message="the service's refusal")
    assert taken in form.status.value or "exist" in form.status.value
    assert "Traceback" not in form.status.value
    assert form_widget.task_id is None and not form.submit_button.disabled


def test_submitting_creates_the_task_and_turns_into_the_live_view(service, form_widget):
    form = form_widget.form
    choose(form_widget, "dataset_id", form_widget.ids["iris"])
    wait_for(lambda: form.classes, timeout=20, message="iris options")
    name = unique("from-form")
    form.controls["name"].value = name
    form.controls["timeout"].value = "30"
    form.controls["max_models_num"].value = "2"
    form.controls["notes"].value = "made by the form"
    form.controls["estimators"].value = ("logreg",)
    form.submit_button.click()
    wait_for(lambda: form_widget.task_id is not None, timeout=30, message="the task to be created")
    task = sdk.Task.get(form_widget.task_id)
    assert task["name"] == name and task["dataset_id"] == form_widget.ids["iris"]
    assert task["notes"] == "made by the form"
    assert task["config"]["estimators"] == ["logreg"]
    assert form_widget.chart.figure in form_widget.children and form.box not in form_widget.children
    assert form_widget.wait(timeout=90) in {"COMPLETED", "FAILED"}


def test_an_unreachable_service_is_a_message_in_the_form(service):
    sdk.connect(url="http://127.0.0.1:9", token="nope")
    try:
        widget = TaskWidget()
    finally:
        sdk.connect(url=service.url, token=service.token)
    try:
        assert "Cannot list datasets" in widget.form.status.value
        assert "cannot be reached" in widget.form.status.value
        assert widget.form.controls["dataset_id"].options == ()
        assert repr(widget) == "TaskWidget(new task form)"
    finally:
        widget.close()
