"""The training engine: data checks, model search, ensembles, predictions.

The service calls these functions (from worker processes for anything that trains); the contract
types live in :mod:`firefly_widgets.engine.contract`. The engine imports nothing of the project but
``firefly_widgets.enums``.
"""

from __future__ import annotations

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
from firefly_widgets.engine.data import analyze_csv, describe_dataset
from firefly_widgets.engine.inference import predict_csv, refit_ensemble
from firefly_widgets.engine.metrics import compute_metric, metric_direction
from firefly_widgets.engine.options import available_options, validate_task_config
from firefly_widgets.engine.search import run_task

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
