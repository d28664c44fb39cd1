"""The configuration form of ``TaskWidget()``: every ``Task.create`` parameter, checked before sending.

The common parameters are in view and the rest in an "Advanced" accordion. Choices (estimators,
metrics, splitting strategies, pipeline steps) come from the service for the chosen dataset's problem
type; fields that do not apply are hidden (:func:`visible_fields`). :func:`parse_config` turns the raw
field values into a ``Task.create`` configuration plus one message per invalid field, shown next to it.

Threading: the form is built on the caller's thread; after that every change to its widgets happens
in a function handed to ``run`` (the poller's ``call_soon``), never in a comm handler.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ipywidgets as w

from firefly_widgets.enums import CLASSIFICATION_LIKE, TIMESERIES_PROBLEMS
from firefly_widgets.widgets import task_api

__all__ = ["FIELDS", "FieldSpec", "TaskForm", "parse_config", "visible_fields"]


@dataclass(frozen=True)
class FieldSpec:
    """One form field: a ``Task.create`` parameter.

    Attributes:
        name: the parameter's name.
        label: the text in front of the control.
        kind: ``text``, ``int``, ``float``, ``choice``, ``multi``, ``bool``, ``notes`` or ``matrix``.
        advanced: shown in the "Advanced" section.
        help: the control's tooltip.
        minimum: smallest valid value of an ``int`` field.
    """

    name: str
    label: str
    kind: str
    advanced: bool = False
    help: str = ""
    minimum: int = 1


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", "Name", "text", help="A unique name for the task."),
    FieldSpec("dataset_id", "Dataset", "choice", help="The dataset to train on."),
    FieldSpec("target_metric", "Metric", "choice", help="The metric the search optimizes."),
    FieldSpec("timeout", "Time budget (s)", "int", help="Seconds of search (default 7200)."),
    FieldSpec("validation_strategy", "Validation", "choice", help="Holdout set or cross-validation."),
    FieldSpec("n_folds", "Folds", "int", minimum=2, help="Number of cross-validation folds."),
    FieldSpec("cost_matrix_weights", "Cost matrix", "matrix",
              help="Cost of predicting the column class when the row class is true."),
    FieldSpec("forecast_horizon", "Forecast horizon", "int", help="Steps ahead to forecast."),
    FieldSpec("notes", "Notes", "notes", help="Free text kept with the task."),
    FieldSpec("estimators", "Estimators", "multi", True, "Estimators the search may use (none: all)."),
    FieldSpec("pipeline", "Pipeline steps", "multi", True, "Pipeline steps to use (none: all)."),
    FieldSpec("splitting_strategy", "Splitting", "choice", True, "How rows are split into train/test."),
    FieldSpec("interpretability_level", "Interpretability", "choice", True,
              "Higher levels give simpler, more explainable ensembles."),
    FieldSpec("ensemble_size", "Ensemble size", "int", True, "Most models in the ensemble."),
    FieldSpec("max_models_num", "Max models", "int", True, "Most models to train."),
    FieldSpec("single_model_timeout", "Model timeout (s)", "int", True, "Longest training of one model."),
    FieldSpec("prediction_latency", "Prediction latency (s)", "int", True,
              "Longest time an ensemble may take to predict."),
    FieldSpec("train_size", "Train size", "float", True, "Fraction of rows to train on (0-1)."),
    FieldSpec("test_size", "Test size", "float", True, "Fraction of rows held out for testing (0-1)."),
    FieldSpec("validation_size", "Validation size", "float", True, "Fraction of rows to validate on (0-1)."),
    FieldSpec("cv_strategy", "CV strategy", "choice", True, "Which models cross-validation keeps."),
    FieldSpec("fold_size", "Fold size", "int", True, "Rows per fold in cross-validation."),
    FieldSpec("horizon", "Horizon (deprecated)", "int", True, "Use forecast horizon instead."),
    FieldSpec("model_life_time", "Model life time", "int", True, "Steps the model stays valid."),
    FieldSpec("refit_on_all", "Refit on all data", "bool", True, "Refit the final ensemble on all rows."),
)
_SPECS = {f.name: f for f in FIELDS}

#: Interpretability levels as (label, value); the enum has aliases for equal values.
INTERPRETABILITY = (("default", None), ("precise", 0), ("with explainability", 1), ("explainable", 2),
                    ("leakage detection", 3))


def visible_fields(problem_type: str | None, metric: str | None, validation: str | None) -> set[str]:
    """The names of the fields that apply to a configuration.

    Args:
        problem_type: the chosen dataset's problem type (None before one is chosen).
        metric: the chosen target metric.
        validation: ``"holdout"``, ``"cv"`` or None (the default, holdout).

    Returns:
        The set of field names to show.
    """
    shown = {f.name for f in FIELDS}
    if not (metric == "cost_metric" and problem_type in CLASSIFICATION_LIKE):
        shown.discard("cost_matrix_weights")
    if validation != "cv":
        shown -= {"n_folds", "cv_strategy", "fold_size"}
    else:
        shown.discard("validation_size")
    if problem_type not in TIMESERIES_PROBLEMS:
        shown -= {"forecast_horizon", "horizon", "model_life_time"}
    return shown


def _parse_int(text: str, spec: FieldSpec) -> tuple[int | None, str | None]:
    text = text.strip()
    if not text:
        return None, None
    if not re.fullmatch(r"[+-]?\d+", text):
        return None, f"{spec.label}: {text!r} is not a whole number"
    value = int(text)
    if value < spec.minimum:
        return None, f"{spec.label}: must be at least {spec.minimum}, got {value}"
    return value, None


def _parse_fraction(text: str, spec: FieldSpec) -> tuple[float | None, str | None]:
    text = text.strip()
    if not text:
        return None, None
    try:
        value = float(text)
    except ValueError:
        return None, f"{spec.label}: {text!r} is not a number"
    if not 0.0 < value < 1.0:
        return None, f"{spec.label}: must be between 0 and 1 (exclusive), got {value:g}"
    return value, None


def parse_config(raw: dict[str, Any], *, problem_type: str | None, classes: list[str]) -> tuple[
        dict[str, Any], dict[str, str]]:
    """Check the raw field values and build a ``Task.create`` configuration.

    Args:
        raw: field name -> the control's value (text for numbers, a tuple for multiple choices,
            a list of rows of text for the cost matrix).
        problem_type: the chosen dataset's problem type.
        classes: the dataset's classes (sizes the cost matrix).

    Returns:
        ``(config, errors)``: the parameters to send (absent or empty fields left out so the service's
        defaults apply) and field name -> message for every invalid field.
    """
    shown = visible_fields(problem_type, raw.get("target_metric") or None, raw.get("validation_strategy") or None)
    config: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in FIELDS:
        if spec.name not in shown:
            continue
        value = raw.get(spec.name)
        if spec.kind == "text":
            text = (value or "").strip()
            if not text:
                errors[spec.name] = f"{spec.label}: required"
            elif len(text) > 200:
                errors[spec.name] = f"{spec.label}: at most 200 characters, got {len(text)}"
            else:
                config[spec.name] = text
        elif spec.name == "dataset_id":
            if value is None:
                errors[spec.name] = "Dataset: choose a dataset (upload one first if the list is empty)"
            else:
                config[spec.name] = int(value)
        elif spec.kind == "choice":
            if value not in (None, ""):
                config[spec.name] = value
        elif spec.kind == "multi":
            if value:
                config[spec.name] = list(value)
        elif spec.kind == "int":
            number, error = _parse_int(value or "", spec)
            if error:
                errors[spec.name] = error
            elif number is not None:
                config[spec.name] = number
        elif spec.kind == "float":
            number, error = _parse_fraction(value or "", spec)
            if error:
                errors[spec.name] = error
            elif number is not None:
                config[spec.name] = number
        elif spec.kind == "bool":
            if value:
                config[spec.name] = True
        elif spec.kind == "notes":
            if (value or "").strip():
                config[spec.name] = value
        elif spec.kind == "matrix":
            matrix, error = _parse_matrix(value or [], len(classes))
            if error:
                errors[spec.name] = error
            else:
                config[spec.name] = matrix
    sizes = [config.get(k) for k in ("train_size", "test_size", "validation_size")]
    if sum(s for s in sizes if s is not None) > 1.0 + 1e-9:
        errors.setdefault("test_size", "Train + test + validation sizes add up to more than 1")
        config.pop("test_size", None)
    return config, errors


def _parse_matrix(rows: list[list[str]], size: int) -> tuple[list[list[float]] | None, str | None]:
    if size < 2:
        return None, "Cost matrix: the dataset's classes are not known yet"
    if len(rows) != size or any(len(r) != size for r in rows):
        return None, f"Cost matrix: needs {size} x {size} weights, one per pair of classes"
    matrix = []
    for i, row in enumerate(rows):
        values = []
        for j, text in enumerate(row):
            try:
                value = float(str(text).strip())
            except ValueError:
                return None, f"Cost matrix: row {i + 1}, column {j + 1}: {text!r} is not a number"
            if not math.isfinite(value):
                return None, f"Cost matrix: row {i + 1}, column {j + 1} must be finite"
            values.append(value)
        matrix.append(values)
    return matrix, None


class TaskForm:
    """The form's widgets and behaviour.

    Args:
        run: schedules a function on the poller's thread (``Poller.call_soon``).
        on_created: called on the poller's thread with the new task's id after a successful submit.
    """

    def __init__(self, run: Callable[[Callable[[], None]], None], on_created: Callable[[int], None]) -> None:
        self._run = run
        self._on_created = on_created
        self.problem_type: str | None = None
        self.classes: list[str] = []
        self.datasets: dict[int, dict[str, Any]] = {}
        self.controls: dict[str, w.Widget] = {}
        self.rows: dict[str, w.Box] = {}
        self.errors: dict[str, w.HTML] = {}
        for spec in FIELDS:
            self._build_field(spec)
        self.matrix_box: w.GridBox = self.controls["cost_matrix_weights"]
        self.submit_button = w.Button(description="Create task", button_style="primary", icon="play",
                                      tooltip="Check the form and start training")
        self.submit_button.add_class("ff-submit")
        self.status = w.HTML("")
        self.status.add_class("ff-form-status")
        common = [self.rows[f.name] for f in FIELDS if not f.advanced]
        advanced = w.VBox([self.rows[f.name] for f in FIELDS if f.advanced])
        self.advanced = w.Accordion(children=[advanced], titles=("Advanced",), selected_index=None)
        self.advanced.add_class("ff-advanced")
        self.box = w.VBox([w.HTML("<b>New task</b>"), *common, self.advanced,
                           w.HBox([self.submit_button, self.status])])
        self.box.add_class("ff-task-form")
        self.controls["validation_strategy"].options = [("holdout (default)", ""), ("cross-validation", "cv")]
        self.controls["interpretability_level"].options = list(INTERPRETABILITY)
        self.controls["cv_strategy"].options = [("default", ""), ("average models", "average_models"),
                                                ("last model", "last_model")]
        self.submit_button.on_click(lambda _b: self._run(self.submit))
        self._filling = False  # True while the form itself sets the dataset dropdown
        self.controls["dataset_id"].observe(
            lambda _c: None if self._filling else self._run(self.load_dataset), names="value")
        self.controls["interpretability_level"].observe(lambda _c: self._run(self.load_dataset), names="value")
        for name in ("target_metric", "validation_strategy"):
            self.controls[name].observe(lambda _c: self._run(self.refresh), names="value")
        self.refresh()

    # -- building -----------------------------------------------------------------------------

    def _build_field(self, spec: FieldSpec) -> None:
        layout = w.Layout(width="320px")
        if spec.name == "dataset_id":
            control: w.Widget = w.Dropdown(options=[], value=None, layout=layout)
        elif spec.kind in ("text", "int", "float"):
            placeholder = {"timeout": "7200", "name": "my-task"}.get(spec.name, "default")
            control = w.Text(placeholder=placeholder, layout=layout, continuous_update=False)
        elif spec.kind == "choice":
            control = w.Dropdown(options=[("default", "")], value="", layout=layout)
        elif spec.kind == "multi":
            control = w.SelectMultiple(options=[], rows=6, layout=layout)
        elif spec.kind == "bool":
            control = w.Checkbox(value=False, indent=False)
        elif spec.kind == "notes":
            control = w.Textarea(placeholder="optional", rows=2, layout=layout)
        else:  # the cost matrix: a grid of text cells, built once the dataset's classes are known
            control = w.GridBox(layout=w.Layout(grid_gap="2px"))
            control.add_class("ff-cost-matrix")
        control.tooltip = spec.help
        control.add_class(f"ff-input-{spec.name}")
        label = w.HTML(f"<span title='{html.escape(spec.help, quote=True)}'>{html.escape(spec.label)}</span>",
                       layout=w.Layout(width="170px"))
        error = w.HTML("", layout=w.Layout(margin="0 0 0 8px"))
        error.add_class("ff-field-error")
        row = w.HBox([label, control, error])
        row.add_class(f"ff-field-{spec.name}")
        self.controls[spec.name] = control
        self.rows[spec.name] = row
        self.errors[spec.name] = error

    # -- loading (poller thread, or the constructor before display) ---------------------------

    def load_datasets(self) -> None:
        """Fill the dataset dropdown from the service; a failure is shown in the status line."""
        try:
            datasets = task_api.list_datasets()
        except Exception as err:
            self.show_status(f"Cannot list datasets: {task_api.describe_error(err)}", error=True)
            return
        ready = [d for d in datasets if d.get("state") in (None, "AVAILABLE")]
        self.datasets = {int(d["id"]): d for d in ready}
        options = [(f"{d.get('name')} ({d.get('problem_type')}, #{d['id']})", int(d["id"])) for d in ready]
        dropdown = self.controls["dataset_id"]
        self._filling = True
        try:
            dropdown.options = options
            if options and dropdown.value is None:
                dropdown.value = options[0][1]
        finally:
            self._filling = False
        if not options:
            self.show_status("No dataset yet: upload a CSV and create a dataset first.", error=True)
        self.load_dataset()

    def load_dataset(self) -> None:
        """Load the chosen dataset's options and classes, then refresh which fields show."""
        dataset_id = self.controls["dataset_id"].value
        if dataset_id is None:
            self.refresh()
            return
        dataset = self.datasets.get(int(dataset_id), {})
        self.problem_type = dataset.get("problem_type")
        level = self.controls["interpretability_level"].value
        try:
            options = task_api.available_options(int(dataset_id), level)
            self.classes = (task_api.dataset_classes(int(dataset_id))
                            if self.problem_type in CLASSIFICATION_LIKE else [])
        except Exception as err:
            self.show_status(f"Cannot load the options of dataset #{dataset_id}: "
                             f"{task_api.describe_error(err)}", error=True)
            self.refresh()
            return
        self._set_choices("target_metric", options.get("target_metric", []))
        self._set_choices("splitting_strategy", options.get("splitting_strategy", []))
        for name in ("estimators", "pipeline"):
            control = self.controls[name]
            keep = tuple(v for v in control.value if v in options.get(name, []))
            control.options = list(options.get(name, []))
            control.value = keep
        self._build_matrix()
        self.show_status("")
        self.refresh()

    def _set_choices(self, name: str, values: list[str]) -> None:
        control = self.controls[name]
        current = control.value
        control.options = [("default", ""), *[(v, v) for v in values]]
        control.value = current if current in values else ""

    def _build_matrix(self) -> None:
        n = len(self.classes)
        cells = []
        header = [w.HTML("<i>true \\ predicted</i>")] + [w.HTML(f"<b>{html.escape(c)}</b>") for c in self.classes]
        if n:
            cells.extend(header)
            for i, cls in enumerate(self.classes):
                cells.append(w.HTML(f"<b>{html.escape(cls)}</b>"))
                for j in range(n):
                    cell = w.Text(value="0" if i == j else "1", layout=w.Layout(width="70px"))
                    cell.add_class("ff-cost-cell")
                    cells.append(cell)
        self.matrix_box.layout.grid_template_columns = f"repeat({n + 1}, auto)" if n else None
        old, self.matrix_box.children = self.matrix_box.children, cells
        for cell in old:
            cell.close()

    def matrix_values(self) -> list[list[str]]:
        """The cost matrix as rows of text, as typed."""
        n = len(self.classes)
        cells = [c for c in self.matrix_box.children if isinstance(c, w.Text)]
        return [[cells[i * n + j].value for j in range(n)] for i in range(n)] if len(cells) == n * n else []

    # -- state --------------------------------------------------------------------------------

    def raw_values(self) -> dict[str, Any]:
        """Every field's current value as typed."""
        raw = {name: getattr(control, "value", None) for name, control in self.controls.items()}
        raw["cost_matrix_weights"] = self.matrix_values()
        return raw

    def refresh(self) -> None:
        """Show the fields that apply to the current choices and hide the others."""
        shown = visible_fields(self.problem_type, self.controls["target_metric"].value or None,
                               self.controls["validation_strategy"].value or None)
        for name, row in self.rows.items():
            row.layout.display = None if name in shown else "none"

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put each message next to its field and clear the others."""
        for name, label in self.errors.items():
            label.value = (f"<span style='color: var(--jp-error-color1, #d32f2f)'>"
                           f"{html.escape(errors[name])}</span>" if name in errors else "")

    def show_status(self, text: str, *, error: bool = False) -> None:
        """The message beside the submit button (service errors, progress)."""
        color = "var(--jp-error-color1, #d32f2f)" if error else "var(--jp-ui-font-color2, #555)"
        self.status.value = f"<span style='color: {color}'>{html.escape(text)}</span>" if text else ""

    def validate(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Check the form and show the messages inline; returns ``(config, errors)``."""
        config, errors = parse_config(self.raw_values(), problem_type=self.problem_type, classes=self.classes)
        self.show_errors(errors)
        return config, errors

    def submit(self) -> None:
        """Validate, create the task, and hand its id to ``on_created``. Runs on the poller thread."""
        config, errors = self.validate()
        if errors:
            self.show_status(f"Fix {len(errors)} field(s) before creating the task.", error=True)
            return
        self.submit_button.disabled = True
        self.show_status("Creating the task…")
        try:
            task_id = task_api.create_task(config)
        except Exception as err:
            message = task_api.describe_error(err)
            field = next((f.name for f in FIELDS if message.lower().startswith(f"{f.name}:")), None)
            if field is not None:
                self.show_errors({field: message})
            self.show_status(f"The service refused the task: {message}", error=True)
            self.submit_button.disabled = False
            return
        self.show_status(f"Task #{task_id} created.")
        self._on_created(task_id)

    def widgets(self) -> list[w.Widget]:
        """Every widget of the form (for a front end that pulls their state)."""
        found: list[w.Widget] = []
        stack: list[w.Widget] = [self.box]
        while stack:
            widget = stack.pop()
            found.append(widget)
            stack.extend(getattr(widget, "children", ()))
        return found
