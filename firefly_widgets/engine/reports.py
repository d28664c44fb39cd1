"""A task's results: the leaderboard, the test score, and reports on the chosen ensemble.

The shape recorded with ``TrainingRecorder.record_results`` (all JSON)::

    {"final": bool, "problem_type", "target_metric", "direction",
     "validation_strategy", "split": {"strategy", "train_rows", "validation_rows", "test_rows", "n_folds"},
     "models_count", "failed_models_count",
     "validation_score": float, "test_score": float | None,
     "chosen_ensemble": {"ensemble_id", "model_ids", "weights", "estimators", "score", "test_score"},
     "leaderboard": {"models": [{"id", "estimator", "score", "status", "fit_seconds", "params", "error"}],
                     "ensembles": [{"id", "score", "model_ids", "weights", "estimators", "refit_on_all",
                                    "test_score", "reports"}]},
     "reports": {"feature_importance": {"features": [...], "importance": [...], "method"},
                 "confusion": {"classes", "matrix", "part"},              # classification
                 "roc_curve": {"part", "curves": {class: {"fpr", "tpr", "auc"}}},  # classification
                 "test_prediction_sample": {"part", "rows": [...]},
                 "architecture": {"members": [{"model_id", "estimator", "params", "weight"}]},
                 "presentation": {"problem_type", "target_metric", "direction", "validation_score",
                                  "test_score", "ensemble_size", "refit_on_all",
                                  "members": [{"model_id", "estimator", "weight", "score"}]},
                 "sensitivity": {"features": {column: {"kind", "values", "prediction"}}, "rows", "method"},
                 "leakage": {"suspects": [...], ...}}}                       # interpretability level 3

Leaderboards are sorted best first. Reports are computed once, at the end of a run (``final``);
intermediate results carry the leaderboard and scores only. ``reports`` are the chosen ensemble's; every
ensemble's reports (the chosen one's, then the others' best first, as long as their time window of
:func:`report_seconds` lasts) are also recorded with ``TrainingRecorder.record_reports``, and each
leaderboard ensemble says whether it has ``reports`` and its ``test_score``.
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from firefly_widgets.engine.ensemble import blend
from firefly_widgets.engine.inference import ensemble_predict
from firefly_widgets.engine.metrics import compute_metric, metric_direction, sign

if TYPE_CHECKING:
    from firefly_widgets.engine.search import _Search

__all__ = [
    "build_results", "classification_reports", "leakage_report", "permutation_importance", "presentation_report",
    "report_seconds", "sensitivity_report",
]

log = logging.getLogger(__name__)

_SAMPLE_ROWS = 20
_IMPORTANCE_ROWS = 500
#: rows predicted in one call by the permutation importance
_BATCH_ROWS = 5000


def _finite(x: float | None) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def build_results(search: _Search, *, final: bool) -> dict[str, Any]:
    """The results of a search so far (see the module doc for the shape)."""
    data, metric = search.data, search.metric
    s = sign(metric)
    ok = sorted((m for m in search.models if m.status == "ok" and m.score is not None),
                key=lambda m: -s * m.score)
    failed = [m for m in search.models if m.status != "ok"]
    models = [{"id": m.id, "estimator": m.estimator, "score": _finite(m.score), "status": m.status,
               "fit_seconds": round(m.fit_seconds, 4), "params": m.params, "error": m.error}
              for m in ok + failed]
    # best first; on a tie the refit on all data (recorded after its source) comes first
    ensembles = sorted(search.state["ensembles"], key=lambda e: (-s * e["score"], not e.get("refit_on_all")))
    results: dict[str, Any] = {
        "final": final,
        "problem_type": data.problem_type,
        "target_metric": metric,
        "direction": metric_direction(metric),
        "validation_strategy": search.config.get("validation_strategy"),
        "split": {"strategy": search.config.get("splitting_strategy"), "train_rows": int(len(data.split.train)),
                  "validation_rows": int(len(data.split.validation)), "test_rows": int(len(data.split.test)),
                  "n_folds": len(data.folds) if data.folds else None},
        "models_count": len(ok),
        "failed_models_count": len(failed),
        "validation_score": None,
        "test_score": None,
        "chosen_ensemble": None,
        "leaderboard": {"models": models, "ensembles": [
            dict({k: e[k] for k in ("id", "score", "model_ids", "weights", "estimators")},
                 refit_on_all=bool(e.get("refit_on_all"))) for e in ensembles]},
        "reports": {},
    }
    if not ensembles:
        return results
    chosen = ensembles[0]
    manifest = chosen["manifest"]
    results["validation_score"] = chosen["score"]
    results["chosen_ensemble"] = {"ensemble_id": chosen["id"], "model_ids": chosen["model_ids"],
                                  "weights": chosen["weights"], "estimators": chosen["estimators"],
                                  "score": chosen["score"], "test_score": None,
                                  "refit_on_all": bool(chosen.get("refit_on_all"))}
    scores = {m.id: _finite(m.score) for m in search.models}
    results["reports"]["architecture"] = architecture_report(manifest)
    results["reports"]["presentation"] = presentation_report(results, manifest, scores)
    if not final:
        return results
    # the chosen ensemble's reports, then the others' (best first) while their time window lasts
    cache: dict[str, Any] = {}
    limit = report_seconds(float(search.spec.time_budget))
    reports, test_score = ensemble_reports(search, chosen, cache=cache, seconds=limit)
    results["reports"] = reports
    results["test_score"] = test_score
    results["chosen_ensemble"]["test_score"] = test_score
    search.recorder.record_reports(chosen["id"], reports)
    test_scores = {chosen["id"]: test_score}
    deadline = time.monotonic() + limit
    others = ensembles[1:]
    for n, entry in enumerate(others):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            reports, test_scores[entry["id"]] = ensemble_reports(
                search, entry, cache=cache, seconds=remaining / (len(others) - n))
        except Exception:  # e.g. a model file of an earlier run is gone: that ensemble has no reports
            log.debug("no reports for ensemble %s", entry["id"], exc_info=True)
            continue
        search.recorder.record_reports(entry["id"], reports)
    for row in results["leaderboard"]["ensembles"]:
        row["test_score"] = test_scores.get(row["id"])
        row["reports"] = row["id"] in test_scores
    return results


def architecture_report(manifest: dict[str, Any]) -> dict[str, Any]:
    """An ensemble's members: model id, estimator, parameters and weight."""
    return {"members": [{k: m.get(k) for k in ("model_id", "estimator", "params", "weight")}
                        for m in manifest["members"]]}


def ensemble_reports(search: _Search, entry: dict[str, Any], *, cache: dict[str, Any],
                     seconds: float) -> tuple[dict[str, Any], float | None]:
    """Every report of one ensemble of the search, and its test score.

    Predictions are the ensemble's on the test part when there is one (its score is the test score),
    else its validation predictions (out of fold for cross-validation). The permutation importance and
    then the sensitivity report (in the importance's order) share about ``seconds``: columns they do
    not reach in time are listed with None, or left out.

    Args:
        search: the search (data, metric, models, work dir).
        entry: one of the search's ensembles (``id``, ``model_ids``, ``weights``, ``score``, ``manifest``).
        cache: loaded models by artifact, shared between calls.
        seconds: the time limit of the importance and sensitivity reports together.

    Returns:
        ``(reports, test_score)``: reports by name (see the module doc); test score or None.
    """
    data, metric, manifest = search.data, search.metric, entry["manifest"]
    test_score = None
    if len(data.split.test):
        rows, part = data.split.test, "test"
        pred = ensemble_predict(manifest, search.work_dir, data.frame.iloc[rows], models=cache, prepared=True)
        test_score = _finite(compute_metric(metric, data.y[rows], pred, search.ctx))
    else:
        rows, part = data.evaluation_rows, "validation"
        by_id = {m.id: m for m in search.models}
        pred = blend([by_id[i].preds for i in entry["model_ids"]], entry["weights"])
    y = data.y[rows]
    scores = {m.id: _finite(m.score) for m in search.models}
    summary = {"problem_type": data.problem_type, "target_metric": metric, "direction": metric_direction(metric),
               "chosen_ensemble": dict(entry, test_score=test_score)}
    reports: dict[str, Any] = {"architecture": architecture_report(manifest),
                               "presentation": presentation_report(summary, manifest, scores)}
    if data.kind == "classification":
        reports.update(classification_reports(y, pred, data.classes, part))
    reports["test_prediction_sample"] = _sample(data, rows, y, pred, part)
    imp_rows = data.split.test if len(data.split.test) else (
        data.split.validation if data.folds is None else data.evaluation_rows)

    def predict(frame: Any) -> np.ndarray:
        return ensemble_predict(manifest, search.work_dir, frame, models=cache, prepared=True)

    # about two thirds of the time for the importance, the rest for the sensitivity that follows its order
    started = time.monotonic()
    reports["feature_importance"] = permutation_importance(
        predict, data.frame.iloc[imp_rows], data.y[imp_rows], kind=data.kind, n_classes=data.n_classes,
        seed=search.spec.seed, time_limit=0.65 * seconds)
    reports["sensitivity"] = sensitivity_report(predict, data.frame.iloc[imp_rows], reports["feature_importance"],
                                                kinds=data.kinds, classes=data.classes, seed=search.spec.seed,
                                                time_limit=max(0.0, seconds - (time.monotonic() - started)))
    if search.config.get("interpretability_level") == 3:
        reports["leakage"] = leakage_report(reports["feature_importance"], entry["score"], metric)
    return reports, test_score


def presentation_report(results: dict[str, Any], manifest: dict[str, Any],
                        model_scores: dict[int, float | None]) -> dict[str, Any]:
    """A short summary of the chosen ensemble: its members with weights and validation scores, its
    scores and the metric.

    Args:
        results: the results being built (``problem_type``, ``target_metric``, ``direction`` and
            ``chosen_ensemble`` are read).
        manifest: the chosen ensemble's manifest.
        model_scores: validation score by model id.

    Returns:
        ``{"problem_type", "target_metric", "direction", "validation_score", "test_score",
        "ensemble_size", "refit_on_all", "members": [{"model_id", "estimator", "weight", "score"}]}``,
        members by decreasing weight.
    """
    chosen = results["chosen_ensemble"] or {}
    members = [{"model_id": m.get("model_id"), "estimator": m.get("estimator"), "weight": float(m["weight"]),
                "score": model_scores.get(m.get("model_id"))} for m in manifest["members"]]
    members.sort(key=lambda m: -m["weight"])
    return {"problem_type": results["problem_type"], "target_metric": results["target_metric"],
            "direction": results["direction"], "validation_score": _finite(chosen.get("score")),
            "test_score": chosen.get("test_score"), "ensemble_size": len(members),
            "refit_on_all": bool(chosen.get("refit_on_all")), "members": members}


def leakage_report(importance: dict[str, Any], score: float, metric: str) -> dict[str, Any]:
    """Interpretability level 3 (leakage detection): columns that alone carry most of the ensemble's
    skill are suspects (a target leaked into a feature usually looks like this). Declare confirmed
    leaks in ``leaky_features`` to drop them."""
    suspects = [f for f, v in zip(importance["features"], importance["importance"], strict=True)
                if v is not None and v >= 0.5]
    return {"suspects": suspects, "validation_score": score, "target_metric": metric,
            "rule": "a column with at least half of the permutation importance"}


def report_seconds(budget: float) -> float:
    """Seconds the importance and sensitivity reports of the chosen ensemble may take for a task's budget (the
    other ensembles' reports share as many more)."""
    return max(1.0, min(5.0, 0.05 * budget))


def permutation_importance(predict: Any, frame: Any, y: np.ndarray, *, kind: str, n_classes: int, seed: int = 0,
                           time_limit: float = 10.0) -> dict[str, Any]:
    """How much worse the predictions get when one column's values are shuffled.

    The loss is the log loss (classification) or the mean squared error (regression), both smooth so
    that small effects show; importances are the increases, clipped at 0 and scaled to sum to 1,
    sorted largest first. Shuffled copies of several columns are predicted in one call (a batch of
    about ``_BATCH_ROWS`` rows); columns not reached within ``time_limit`` seconds are listed with None.
    """
    rng = np.random.default_rng(seed)
    if len(frame) > _IMPORTANCE_ROWS:
        pick = np.sort(rng.choice(len(frame), _IMPORTANCE_ROWS, replace=False))
        frame, y = frame.iloc[pick], y[pick]
    frame = frame.reset_index(drop=True)
    loss_metric = "log_loss" if kind == "classification" else "mse"
    from firefly_widgets.engine.metrics import MetricContext

    ctx = MetricContext(n_classes=n_classes)

    def loss(pred: np.ndarray) -> float:
        return compute_metric(loss_metric, y, pred, ctx)

    start = time.monotonic()
    base = loss(predict(frame))
    raw: dict[str, float | None] = dict.fromkeys(frame.columns)
    columns = list(frame.columns)
    per_batch = max(1, _BATCH_ROWS // max(len(frame), 1))
    for first in range(0, len(columns), per_batch):
        if time.monotonic() - start > time_limit:
            break
        batch = columns[first:first + per_batch]
        copies = []
        for col in batch:
            shuffled = frame.copy()
            shuffled[col] = frame[col].to_numpy()[rng.permutation(len(frame))]
            copies.append(shuffled)
        pred = np.asarray(predict(pd.concat(copies, ignore_index=True)))
        for i, col in enumerate(batch):
            raw[col] = max(0.0, loss(pred[i * len(frame):(i + 1) * len(frame)]) - base)
    total = sum(v for v in raw.values() if v is not None)
    values = {c: (v / total if total > 0 else 0.0) if v is not None else None for c, v in raw.items()}
    ordered = sorted(values, key=lambda c: -(values[c] if values[c] is not None else -1.0))
    return {"features": ordered, "importance": [values[c] for c in ordered],
            "method": f"permutation ({loss_metric} increase, normalized)", "complete": None not in values.values()}


def classification_reports(y: np.ndarray, proba: np.ndarray, classes: list[str], part: str) -> dict[str, Any]:
    """The confusion matrix (rows: true class, columns: predicted) and ROC curves."""
    k = len(classes)
    labels = np.argmax(proba, axis=1)
    matrix = skm.confusion_matrix(y, labels, labels=list(range(k)))
    curves: dict[str, Any] = {}
    targets = [1] if k == 2 else list(range(k))
    for c in targets:
        truth = (y == c).astype(int)
        if truth.min() == truth.max():
            continue
        fpr, tpr, _ = skm.roc_curve(truth, proba[:, c])
        keep = np.unique(np.linspace(0, len(fpr) - 1, min(len(fpr), 101)).astype(int))
        curves[classes[c]] = {"fpr": [float(v) for v in fpr[keep]], "tpr": [float(v) for v in tpr[keep]],
                              "auc": float(skm.roc_auc_score(truth, proba[:, c]))}
    return {
        "confusion": {"classes": list(classes), "matrix": matrix.astype(int).tolist(), "part": part},
        "roc_curve": {"part": part, "positive_class": classes[1] if k == 2 else None, "curves": curves},
    }


def _sample(data: Any, rows: np.ndarray, y: np.ndarray, pred: np.ndarray, part: str) -> dict[str, Any]:
    out = []
    for i in range(min(_SAMPLE_ROWS, len(rows))):
        if data.kind == "classification":
            out.append({"row": int(rows[i]), "actual": data.classes[int(y[i])],
                        "predicted": data.classes[int(np.argmax(pred[i]))],
                        "probabilities": {c: float(pred[i, j]) for j, c in enumerate(data.classes)}})
        else:
            out.append({"row": int(rows[i]), "actual": float(y[i]), "predicted": float(pred[i])})
    return {"part": part, "rows": out}


def sensitivity_report(predict: Any, frame: Any, importance: dict[str, Any], *, kinds: dict[str, list[str]],
                       classes: list[str] | None, seed: int = 0, top: int = 5, grid: int = 10,
                       rows: int = 200, time_limit: float | None = None) -> dict[str, Any]:
    """Partial dependence of the ensemble's prediction on its most important columns.

    For each of the ``top`` most important numerical or categorical columns, every sampled row gets the
    same value of the column (a grid of quantiles, or the most frequent categories) and the average
    prediction is reported: the number for regression, the probability of each class for
    classification. A column's whole grid is predicted in one call; columns not started within
    ``time_limit`` seconds are left out (``complete`` says whether every column was reached).
    """
    start = time.monotonic()
    sample = frame.sample(n=min(rows, len(frame)), random_state=seed).reset_index(drop=True)
    numeric, categorical = set(kinds.get("numerical", [])), set(kinds.get("categorical", []))
    features: dict[str, Any] = {}
    complete = True
    for col in importance["features"]:
        if len(features) >= top:
            break
        if col not in numeric and col not in categorical:
            continue
        column = frame[col].dropna()
        if column.empty:
            continue
        if time_limit is not None and time.monotonic() - start > time_limit:
            complete = False
            break
        if col in numeric:
            values = np.unique(np.quantile(column.astype(float), np.linspace(0, 1, grid)))
            shown = [float(v) for v in values]
        else:
            shown = [str(v) for v in column.astype(str).value_counts().index[:grid]]
            values = shown
        pred = np.asarray(predict(pd.concat([sample.assign(**{col: v}) for v in values], ignore_index=True)))
        means = [pred[i * len(sample):(i + 1) * len(sample)].mean(axis=0) for i in range(len(values))]
        curve = [{c: float(m[i]) for i, c in enumerate(classes)} for m in means] if classes \
            else [float(m) for m in means]
        features[col] = {"kind": "numerical" if col in numeric else "categorical", "values": shown,
                         "prediction": curve}
    return {"features": features, "rows": int(len(sample)), "complete": complete,
            "method": "partial dependence (average prediction with the column set to each value)"}
