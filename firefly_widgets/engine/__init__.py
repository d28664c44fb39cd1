"""The training engine: data checks, model search, ensembles, predictions.

The service calls these functions (from worker processes for anything that trains); the contract
types live in :mod:`firefly_widgets.engine.contract`. The engine imports nothing of the project but
``firefly_widgets.enums``.
"""

from __future__ import annotations

import importlib
import os

# OpenMP threads that spin while waiting steal the CPU from the service and from each other on a
# busy machine; let them sleep (read when the OpenMP runtime loads, so set before sklearn/lightgbm).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from firefly_widgets.engine.contract import (
    ConfigError,
    DataError,
    EngineError,
    ModelRecord,
    TrainingRecorder,
    TrainingSpec,
)

# The service process needs only the light parts (data checks, options); training pulls in scikit-learn,
# LightGBM, XGBoost, CatBoost and Optuna. Each function is imported from its module on first use, so the
# service starts in a fraction of the time and only workers pay for the training stack.
_LAZY = {
    "analyze_csv": "data",
    "describe_dataset": "data",
    "predict_csv": "inference",
    "refit_ensemble": "inference",
    "compute_metric": "metrics",
    "metric_direction": "metrics",
    "available_options": "options",
    "validate_task_config": "options",
    "run_task": "search",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'firefly_widgets.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"firefly_widgets.engine.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ConfigError",
    "DataError",
    "EngineError",
    "ModelRecord",
    "TrainingRecorder",
    "TrainingSpec",
    "analyze_csv",
    "available_options",
    "compute_metric",
    "describe_dataset",
    "metric_direction",
    "predict_csv",
    "refit_ensemble",
    "run_task",
    "validate_task_config",
]
