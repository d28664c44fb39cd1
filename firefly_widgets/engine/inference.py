"""Using a trained ensemble: predictions on a CSV file, and refitting its members on other data.

Both read an ensemble *manifest* (JSON, recorded with each ensemble)::

    {"format": 1, "problem_type", "kind": "classification"|"regression", "target", "target_metric",
     "classes": [str] | None, "features": [input column names], "time_axis", "timeseries": {...} | None,
     "na_values", "members": [{"model_id", "estimator", "params", "artifact", "weight", ...}],
     "weights": [float], "score": float, "latency": float}

Artifact paths are relative to the task's work dir.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any

import joblib
import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from firefly_widgets.engine.artifacts import atomic_write, save_joblib
from firefly_widgets.engine.contract import ConfigError, DataError, EngineError
from firefly_widgets.engine.data import read_frame
from firefly_widgets.engine.ensemble import blend
from firefly_widgets.engine.models import refit_model
from firefly_widgets.engine.taskdata import encode_target, prepare_features
from firefly_widgets.engine.training import predict_matrix

__all__ = ["ensemble_predict", "load_model", "predict_csv", "refit_ensemble"]


def _inside(work_dir: str, relative: str) -> str:
    root = os.path.realpath(work_dir)
    path = os.path.realpath(os.path.join(root, relative))
    if os.path.commonpath([root, path]) != root:
        raise EngineError(f"artifact path {relative!r} is outside the task's folder")
    return path


def load_model(work_dir: str, artifact: str) -> Any:
    """Load a model artifact written by the engine (never user data)."""
    path = _inside(work_dir, artifact)
    try:
        return joblib.load(path)
    except FileNotFoundError as err:
        raise EngineError(f"the model file {artifact!r} is missing") from err


def _n_classes(manifest: dict[str, Any]) -> int:
    return len(manifest.get("classes") or []) if manifest.get("kind") == "classification" else 0


def ensemble_predict(manifest: dict[str, Any], work_dir: str, frame: pd.DataFrame,
                     models: dict[str, Any] | None = None, prepared: bool = False) -> np.ndarray:
    """The ensemble's predictions for ``frame`` (raw input columns): probabilities
    ``(n, n_classes)`` for classification, numbers ``(n,)`` for regression.

    Args:
        manifest: the ensemble manifest.
        work_dir: the task's work dir (artifact paths are relative to it).
        frame: the rows to predict.
        models: optional cache of loaded models by artifact path.
        prepared: ``frame`` already has the derived (lag) columns.
    """
    if not prepared:
        frame = prepare_features(frame, manifest)
    n_classes = _n_classes(manifest)
    preds, weights = [], []
    for member in manifest["members"]:
        artifact = member["artifact"]
        if models is not None and artifact in models:
            model = models[artifact]
        else:
            model = load_model(work_dir, artifact)
            if models is not None:
                models[artifact] = model
        preds.append(predict_matrix(model, frame, n_classes))
        weights.append(float(member["weight"]))
    return blend(preds, weights)


def _read_for_manifest(manifest: dict[str, Any], data_path: str, na_values: Sequence[str] | None) -> pd.DataFrame:
    frame = read_frame(data_path, na_values=na_values if na_values is not None else manifest.get("na_values"))
    missing = [c for c in manifest["features"] if c not in frame.columns]
    if missing:
        raise DataError(f"the data lacks columns the ensemble was trained on: {', '.join(missing[:20])}")
    return frame


def predict_csv(manifest: dict[str, Any], *, work_dir: str, data_path: str, out_path: str,
                na_values: Sequence[str] | None = None, n_jobs: int = 1) -> int:
    """Predict every row of a CSV file with an ensemble and write the predictions as CSV.

    The output has one row per input row, in input order: a ``prediction`` column (the class label or
    the number) and, for classification, one ``probability_<class>`` column per class.

    Args:
        manifest: the ensemble manifest.
        work_dir: the task's work dir.
        data_path: the CSV to predict (the target column may be present; it is ignored).
        out_path: where to write the predictions (written atomically).
        na_values: extra strings read as missing (default: the dataset's).
        n_jobs: cores the models may use.

    Returns:
        The number of rows written.

    Raises:
        DataError: the file is not usable CSV or lacks feature columns.
        EngineError: a model file is missing.
    """
    frame = _read_for_manifest(manifest, data_path, na_values)
    with threadpool_limits(limits=max(1, n_jobs)):
        pred = ensemble_predict(manifest, work_dir, frame)
    if _n_classes(manifest):
        classes = list(manifest["classes"])
        out = pd.DataFrame({"prediction": [classes[i] for i in np.argmax(pred, axis=1)]})
        for i, c in enumerate(classes):
            out[f"probability_{c}"] = pred[:, i]
    else:
        out = pd.DataFrame({"prediction": pred})
    atomic_write(out_path, lambda f: f.write(out.to_csv(index=False).encode("utf-8")))
    return int(len(out))


def refit_ensemble(manifest: dict[str, Any], *, work_dir: str, data_path: str, target: str, out_subdir: str,
                   na_values: Sequence[str] | None = None, n_jobs: int = 1) -> dict[str, Any]:
    """Retrain an ensemble's members, with the same estimators and parameters, on all rows of a CSV.

    Each member is trained from scratch with the same preprocessing settings, estimator parameters and
    training-set steps (synthetic minority rows, class weights) as in the search
    (:func:`~firefly_widgets.engine.models.refit_model`); the weights are kept.

    Args:
        manifest: the ensemble manifest.
        work_dir: the task's work dir.
        data_path: the CSV with the new training data (must have the target and feature columns).
        target: the target column.
        out_subdir: a folder under ``work_dir`` for the new artifacts.
        na_values: extra strings read as missing (default: the dataset's).
        n_jobs: cores the training may use.

    Returns:
        The new ensemble's manifest (artifacts under ``out_subdir``; ``score`` None since the refit
        ensemble has no validation part; ``refit_of`` the source ensemble's score and rows).

    Raises:
        ConfigError: the target column is missing.
        DataError: unusable data, unknown class labels, missing feature columns.
    """
    frame = _read_for_manifest(manifest, data_path, na_values)
    if target not in frame.columns:
        raise ConfigError("target", f"target: column {target!r} is not in the refit data")
    kind = manifest.get("kind") or "regression"
    y, keep = encode_target(frame[target], kind=kind, classes=manifest.get("classes"))
    frame = frame.loc[keep].reset_index(drop=True)
    if len(frame) < 2:
        raise DataError("the refit data has fewer than 2 rows with a target")
    if manifest.get("timeseries"):
        frame = prepare_features(frame, manifest)
    _inside(work_dir, out_subdir)
    members = []
    for i, member in enumerate(manifest["members"]):
        with threadpool_limits(limits=max(1, n_jobs)), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = refit_model(load_model(work_dir, member["artifact"]), frame, y, steps=member.get("pipeline"),
                                seed=int(manifest.get("task_id") or 0))
        artifact = os.path.join(out_subdir, f"member-{i}-{member.get('model_id', i)}.joblib")
        save_joblib(model, _inside(work_dir, artifact))
        members.append(dict(member, artifact=artifact))
    new = dict(manifest, members=members, score=None,
               refit_of={"score": manifest.get("score"), "rows": int(len(frame))})
    return new
