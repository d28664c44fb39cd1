"""The search of one task: Optuna ask-and-tell over estimators and their parameters, ensembles after
every model, results at the end.

Durability (the worker may be SIGKILLed at any moment):

- the study lives in ``work_dir/study.journal`` (Optuna's ``JournalStorage`` over a file, which
  appends whole lines with fsync); on start a torn last line and a stale lock left by a killed run
  are repaired (only one worker runs a task at a time, so the lock can only be stale);
- a model's artifact (joblib) and validation predictions (``.npy``) are written to temporary names
  and renamed before the model is recorded; the recorder is the source of truth for what finished;
- ``engine_state.json`` remembers the study's name and the ensembles recorded, so a resumed run
  continues the same study and rebuilds ensembles from saved predictions without retraining.

A run with no finished model of its task (a new task or a rerun) starts a new study.
"""

from __future__ import annotations

import logging
import math
import os
import time
import traceback
import uuid
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from firefly_widgets.engine.artifacts import load_json, save_joblib, save_json, save_npy
from firefly_widgets.engine.contract import EngineError, ModelRecord, TrainingRecorder, TrainingSpec
from firefly_widgets.engine.ensemble import EnsembleChoice, select_ensemble
from firefly_widgets.engine.estimators import ESTIMATORS, ParamSampler, build_estimator
from firefly_widgets.engine.inference import load_model
from firefly_widgets.engine.isolation import run_in_child
from firefly_widgets.engine.metrics import MetricContext, better, compute_metric, metric_direction, sign
from firefly_widgets.engine.models import FoldAverage, refit_model
from firefly_widgets.engine.options import validate_task_config
from firefly_widgets.engine.sampling import balanced_weights, synthesize_minority
from firefly_widgets.engine.stacking import StackedFeatures
from firefly_widgets.engine.taskdata import TaskData, prep_key
from firefly_widgets.engine.training import FitTimeout, fit_with_deadline, interruptible, predict_matrix

__all__ = ["run_task"]

STATE_FILE = "engine_state.json"
JOURNAL_FILE = "study.journal"
#: how many defaults of the first estimators are tried before the scheduler mixes in search trials
_CORE_DEFAULTS = 5
#: below this many training cells (rows x encoded columns) models train single-threaded
_THREADS_MIN_CELLS = 2_000_000
#: from this many training cells, estimators that cannot stop cooperatively train in a killable child
_CHILD_MIN_CELLS = 200_000
#: trials tried after the budget is spent while no model has trained yet
_EXTRA_ATTEMPTS = 3

log = logging.getLogger(__name__)


@dataclass
class _Model:
    id: int
    estimator: str
    params: dict[str, Any]
    score: float | None
    status: str
    artifact: str | None = None
    preds: np.ndarray | None = None
    fit_seconds: float = 0.0
    latency: float = 0.0
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def run_task(spec: TrainingSpec, recorder: TrainingRecorder) -> None:
    """Search models and ensembles for a task until its time budget or model count is used up.

    Resumes from ``recorder.finished_models()``: the same study continues, finished models count
    towards ``max_models_num`` and their saved validation predictions take part in ensembles.

    Args:
        spec: what to train (data, validated config, work dir, remaining time budget, cores, seed).
        recorder: where models, ensembles and results go.

    Raises:
        ConfigError: a setting that cannot be honoured with this data.
        DataError: the data cannot be read.
        EngineError: no model could be trained (the message says why).
    """
    with threadpool_limits(limits=max(1, int(spec.n_jobs or 1))):
        _Search(spec, recorder).run()


def _json_params(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in params.items():
        if isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    return out


class _Search:
    def __init__(self, spec: TrainingSpec, recorder: TrainingRecorder):
        self.started = time.monotonic()
        self.deadline = self.started + max(0.0, float(spec.time_budget))
        self.spec = spec
        self.recorder = recorder
        self.config = validate_task_config(dict(spec.config), dataset=spec.dataset)
        self.metric = self.config["target_metric"]
        self.data = TaskData(spec)
        cost = self.config.get("cost_matrix_weights")
        self.ctx = MetricContext(n_classes=self.data.n_classes,
                                 cost_matrix=tuple(tuple(r) for r in cost) if cost else None)
        self.y_eval = self.data.y[self.data.evaluation_rows]
        n_train = len(self.data.split.train)
        self.estimators = [name for name in ESTIMATORS if name in self.config["estimators"]
                           and (ESTIMATORS[name].max_rows is None or n_train <= ESTIMATORS[name].max_rows)]
        if not self.estimators:
            raise EngineError(f"none of the chosen estimators can train on {n_train} rows; choose others")
        self.n_jobs = max(1, int(spec.n_jobs or 1))
        self.work_dir = spec.work_dir
        os.makedirs(self.work_dir, exist_ok=True)
        self.signature = self.data.signature
        self.models: list[_Model] = []
        #: the feature_stacking step's output by (preprocessing, fold); see _stacked
        self._stacked_folds: dict[tuple[str, int | None], tuple[StackedFeatures, np.ndarray, np.ndarray, float]] = {}
        self._load_previous()

    # -- state ---------------------------------------------------------------------------------------
    def _load_previous(self) -> None:
        previous: list[ModelRecord] = list(self.recorder.finished_models())
        state = load_json(os.path.join(self.work_dir, STATE_FILE)) if previous else None
        if not isinstance(state, dict) or state.get("signature") != self.signature:
            state = None
        if state is None:
            # a lost state file: continue the study the recorded models came from, if any
            runs = [m.extra.get("run") for m in previous if (m.extra or {}).get("signature") == self.signature]
            run = runs[-1] if runs and runs[-1] else uuid.uuid4().hex[:8]
            state = {"run": run, "signature": self.signature, "ensembles": [], "best_score": None}
            if not previous:
                self._remove_journal()
        self.state = state
        for rec in previous:
            extra = dict(rec.extra or {})
            model = _Model(rec.id, rec.estimator, dict(rec.params or {}), rec.score, rec.status,
                           artifact=rec.artifact, fit_seconds=float(extra.get("fit_seconds") or 0.0),
                           latency=float(extra.get("latency") or 0.0), extra=extra)
            preds_path = extra.get("preds")
            if rec.status == "ok" and preds_path and extra.get("signature") == self.signature:
                try:
                    model.preds = np.load(os.path.join(self.work_dir, preds_path), allow_pickle=False)
                except (OSError, ValueError):
                    model.preds = None
                if model.preds is not None and len(model.preds) != len(self.y_eval):
                    model.preds = None
            self.models.append(model)

    def _save_state(self) -> None:
        save_json(self.state, os.path.join(self.work_dir, STATE_FILE))

    # -- the study -----------------------------------------------------------------------------------
    def _journal_path(self) -> str:
        return os.path.join(self.work_dir, JOURNAL_FILE)

    def _remove_journal(self) -> None:
        for suffix in ("", ".lock"):
            try:
                os.unlink(self._journal_path() + suffix)
            except FileNotFoundError:
                pass

    def _repair_journal(self) -> None:
        path = self._journal_path()
        lock = path + ".lock"
        if os.path.lexists(lock):  # left by a killed run: no other process writes this journal
            os.unlink(lock)
        if not os.path.exists(path):
            return
        with open(path, "rb+") as f:
            data = f.read()
            if data and not data.endswith(b"\n"):
                f.truncate(data.rfind(b"\n") + 1)

    def _open_study(self) -> Any:
        import optuna
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        self._repair_journal()
        storage = JournalStorage(JournalFileBackend(self._journal_path()))
        name = f"task-{self.spec.task_id}-{self.state['run']}"
        n_before = len(self.models)
        sampler = optuna.samplers.TPESampler(seed=self.spec.seed + self.spec.task_id * 7919 + n_before,
                                             multivariate=True, group=True, n_startup_trials=8)
        study = optuna.create_study(study_name=name, storage=storage, sampler=sampler,
                                    direction=metric_direction(self.metric), load_if_exists=True)
        self._settle_interrupted(study)
        return study

    def _settle_interrupted(self, study: Any) -> None:
        """Trials left RUNNING by a killed run: told their recorded score, or failed."""
        from optuna.trial import TrialState

        by_trial = {m.extra.get("trial"): m for m in self.models if m.extra.get("run") == self.state["run"]}
        for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            model = by_trial.get(trial.number)
            if model is not None and model.status == "ok" and model.score is not None \
                    and math.isfinite(model.score):
                study.tell(trial.number, model.score)
            else:
                study.tell(trial.number, state=TrialState.FAIL)

    # -- scheduling ------------------------------------------------------------------------------------
    def _remaining(self) -> float:
        return self.deadline - time.monotonic()

    def _choose_estimator(self) -> tuple[str, bool]:
        """The next estimator, and whether to try its default configuration."""
        tried: dict[str, list[_Model]] = {}
        for m in self.models:
            tried.setdefault(m.estimator, []).append(m)
        untried = [e for e in self.estimators if e not in tried]
        n = len(self.models)
        if untried and (self.estimators.index(untried[0]) < _CORE_DEFAULTS or n % 3 == 0):
            return untried[0], True
        s = sign(self.metric)
        remaining = self._remaining()
        ranked: list[tuple[float, str]] = []
        for name, models in tried.items():
            if name not in self.estimators:
                continue
            ok = [m for m in models if m.status == "ok" and m.score is not None and math.isfinite(m.score)]
            if not ok:
                continue
            mean_time = float(np.mean([m.fit_seconds for m in models]))
            if mean_time > 0.7 * remaining and len(ok) > 0:
                continue
            ranked.append((max(s * m.score for m in ok), name))
        if not ranked:
            if untried:
                return untried[0], True
            return self.estimators[n % len(self.estimators)], False
        ranked.sort(reverse=True)
        rng = np.random.default_rng([self.spec.seed, self.spec.task_id, n])
        if rng.random() < 0.15:
            return ranked[int(rng.integers(len(ranked)))][1], False
        weights = np.array([0.5 ** i for i in range(len(ranked))])
        return ranked[int(rng.choice(len(ranked), p=weights / weights.sum()))][1], False

    def _ask(self, study: Any) -> tuple[Any, str, dict[str, Any], dict[str, bool]]:
        from optuna.trial import TrialState

        if not study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
            name, use_default = self._choose_estimator()
            fixed: dict[str, Any] = {"estimator": name}
            if use_default:
                fixed.update({f"{name}.{k}": v for k, v in ESTIMATORS[name].default.items()})
                fixed.update({f"pipeline.{k}": v for k, v in self._default_steps(name).items()})
            study.enqueue_trial(fixed)
        trial = study.ask()
        name = trial.suggest_categorical("estimator", self.estimators)
        params = ESTIMATORS[name].space(ParamSampler(trial, name), self.data.kind)
        steps = {step: bool(trial.suggest_categorical(f"pipeline.{step}", [False, True]))
                 for step in self._optional_steps(name)}
        return trial, name, _json_params(params), steps

    def _optional_steps(self, name: str) -> list[str]:
        """Pipeline steps the search may use or not, trial by trial, with estimator ``name``: balancing
        and synthetic rows (classification), stacked features and embeddings (estimators on the tabular
        encodings; the statistical forecasters ignore them)."""
        steps: list[str] = []
        if self.data.kind == "classification":
            steps += [s for s in ("balancing", "auto_sample_generation") if s in self.data.pipeline]
        if ESTIMATORS[name].encoding != "timeseries":
            steps += [s for s in ("feature_stacking", "feature_embedding") if s in self.data.pipeline]
        return steps

    def _default_steps(self, name: str) -> dict[str, bool]:
        # balancing first for recall-like metrics, where it usually matters most
        wants = {"balancing": self.metric in ("recall_macro", "f2", "cost_metric")}
        return {s: wants.get(s, False) for s in self._optional_steps(name)}

    # -- training one model ----------------------------------------------------------------------------
    def _fit(self, name: str, params: dict[str, Any], steps: dict[str, bool],
             deadline: float | None) -> tuple[Any, np.ndarray, float]:
        spec = ESTIMATORS[name]
        n_classes = self.data.n_classes
        seed = self.spec.seed + self.spec.task_id
        indices = [None] if self.data.folds is None else list(range(len(self.data.folds)))
        tabular = spec.encoding != "timeseries"
        embedding = tabular and bool(steps.get("feature_embedding"))
        stacking = tabular and bool(steps.get("feature_stacking"))
        members, parts, latency = [], [], 0.0
        for index in indices:
            fold = self.data.fold(spec.encoding, index, embedding=embedding)
            x, y, x_val = fold.x_train, fold.y_train, fold.x_val
            stacker, stack_seconds = None, 0.0
            if stacking:
                stacker, x, x_val, stack_seconds = self._stacked(prep_key(spec.encoding, embedding), index, fold)
                if deadline is not None and time.monotonic() > deadline:
                    raise FitTimeout("training did not finish before its deadline")
            if steps.get("auto_sample_generation"):
                x, y = synthesize_minority(x, y, seed=seed)
            weights = balanced_weights(y) if steps.get("balancing") else None
            # threads only pay off on larger data; on small data they mostly add contention
            n_jobs = self.n_jobs if x.size >= _THREADS_MIN_CELLS else 1
            est = build_estimator(name, params, self.data.kind, n_jobs=n_jobs, seed=seed)

            def work(est: Any = est, x: np.ndarray = x, y: np.ndarray = y, weights: Any = weights,
                     x_val: np.ndarray = x_val, n_jobs: int = n_jobs) -> tuple[Any, np.ndarray, float]:
                with threadpool_limits(limits=n_jobs):
                    fit_with_deadline(est, x, y, deadline=deadline, sample_weight=weights)
                    start = time.perf_counter()
                    pred = predict_matrix(est, x_val, n_classes)
                    return est, pred, (time.perf_counter() - start) / max(len(x_val), 1)

            hard_limit = deadline is not None and not interruptible(est) and (
                self.config.get("single_model_timeout") or x.size >= _CHILD_MIN_CELLS)
            if hard_limit:
                est, pred, latency = run_in_child(work, deadline=deadline, scratch_dir=self.work_dir)
            else:
                est, pred, latency = work()
            parts.append(pred)
            latency += self.data.prep_seconds.get(prep_key(spec.encoding, embedding), 0.0) + stack_seconds
            steps_of_model = [("prep", fold.prep)] + ([("stack", stacker)] if stacker is not None else [])
            members.append(Pipeline([*steps_of_model, ("est", est)]))
        preds = np.concatenate(parts, axis=0)
        if len(members) == 1:
            model: Any = members[0]
        elif self.config.get("cv_strategy") == "last_model":
            model = members[-1]
        else:
            model = FoldAverage(members, n_classes)
            latency *= len(members)
        return model, preds, latency

    def _stacked(self, key: str, index: int | None, fold: Any) -> tuple[StackedFeatures, np.ndarray, np.ndarray, float]:
        """The ``feature_stacking`` step on one fold: the fitted stacker, the training matrix with its
        out-of-fold columns, the validation matrix with the refitted base models' columns, and the
        transform's seconds per row. It depends on the fold alone, so it is computed once per fold and
        preprocessing (``key``) and shared by every trial that stacks."""
        cache_key = (key, index)
        if cache_key not in self._stacked_folds:
            stacker = StackedFeatures(self.data.kind, self.data.n_classes, seed=self.spec.seed + self.spec.task_id)
            x = stacker.fit_transform(fold.x_train, fold.y_train)
            start = time.perf_counter()
            x_val = stacker.transform(fold.x_val)
            seconds = (time.perf_counter() - start) / max(len(fold.val_rows), 1)
            self._stacked_folds[cache_key] = (stacker, x, x_val, seconds)
        return self._stacked_folds[cache_key]

    def _train_one(self, study: Any) -> None:
        from optuna.trial import TrialState

        trial, name, params, steps = self._ask(study)
        run, number = self.state["run"], trial.number
        timeout = self.config.get("single_model_timeout")
        limit = self._remaining() - self._reserve() if self._has_ok_model() else math.inf
        if timeout:
            limit = min(limit, float(timeout))
        start = time.monotonic()
        extra: dict[str, Any] = {"run": run, "trial": number, "signature": self.signature,
                                 "study": study.study_name, "pipeline": steps}
        try:
            by_timeout = bool(timeout) and limit == float(timeout)
            deadline = None if not math.isfinite(limit) else start + (limit if by_timeout else max(limit, 0.05))
            model, preds, latency = self._fit(name, params, steps, deadline)
            score = compute_metric(self.metric, self.y_eval, preds, self.ctx)
            if not math.isfinite(score):
                raise ValueError(f"the validation {self.metric} is not finite")
        except FitTimeout:
            seconds = time.monotonic() - start
            study.tell(number, state=TrialState.FAIL)
            if timeout and limit == float(timeout):
                self._record_failure(name, params, seconds, f"stopped after {seconds:.1f} s: longer than "
                                     f"single_model_timeout ({timeout:g} s)", extra)
            # a model cut short by the end of the task's time budget is not a failure of the model
            return
        except Exception as err:  # a model that cannot train on this data is recorded, the search goes on
            seconds = time.monotonic() - start
            message = f"{type(err).__name__}: {err}".strip()[:2000]
            log.debug("model %s failed: %s", name, traceback.format_exc())
            self._record_failure(name, params, seconds, message, extra)
            study.tell(number, state=TrialState.FAIL)
            return
        seconds = time.monotonic() - start
        artifact = f"models/{run}-{number:04d}-{name}.joblib"
        preds_rel = f"preds/{run}-{number:04d}.npy"
        save_joblib(model, os.path.join(self.work_dir, artifact))
        save_npy(preds, os.path.join(self.work_dir, preds_rel))
        extra.update({"preds": preds_rel, "latency": latency, "fit_seconds": seconds,
                      "encoding": ESTIMATORS[name].encoding})
        model_id = self.recorder.record_model(estimator=name, params=params, score=float(score),
                                              fit_seconds=seconds, artifact=artifact, status="ok", extra=extra)
        study.tell(number, float(score))
        self.models.append(_Model(model_id, name, params, float(score), "ok", artifact=artifact, preds=preds,
                                  fit_seconds=seconds, latency=latency, extra=extra))
        self._update_ensemble()

    def _has_ok_model(self) -> bool:
        return any(m.status == "ok" for m in self.models)

    def _record_failure(self, name: str, params: dict[str, Any], seconds: float, error: str,
                        extra: dict[str, Any]) -> None:
        extra = dict(extra, fit_seconds=seconds)
        model_id = self.recorder.record_model(estimator=name, params=params, score=None, fit_seconds=seconds,
                                              artifact=None, status="failed", error=error, extra=extra)
        self.models.append(_Model(model_id, name, params, None, "failed", fit_seconds=seconds, error=error,
                                  extra=extra))

    # -- ensembles ------------------------------------------------------------------------------------
    def _choose(self) -> EnsembleChoice | None:
        usable = {m.id: m.preds for m in self.models if m.status == "ok" and m.preds is not None}
        if not usable:
            return None
        latency = {m.id: m.latency for m in self.models if m.id in usable}
        max_size = 1 if self.config.get("interpretability_level") == 2 else int(self.config["ensemble_size"])
        return select_ensemble(usable, self.y_eval, metric=self.metric, ctx=self.ctx, max_size=max_size,
                               latency=latency, max_latency=self.config.get("prediction_latency"))

    def _update_ensemble(self) -> None:
        choice = self._choose()
        if choice is None:
            return
        best = self.state.get("best_score")
        if best is not None and not better(self.metric, choice.score, best):
            return
        manifest = self.manifest(choice)
        ensemble_id = self.recorder.record_ensemble(model_ids=list(choice.model_ids), weights=list(choice.weights),
                                                    score=float(choice.score), manifest=manifest)
        self.state["best_score"] = float(choice.score)
        self.state["ensembles"].append({
            "id": ensemble_id, "model_ids": list(choice.model_ids), "weights": list(choice.weights),
            "score": float(choice.score), "estimators": [self._model(i).estimator for i in choice.model_ids],
            "manifest": manifest,
        })
        self._save_state()
        from firefly_widgets.engine.reports import build_results

        self.recorder.record_results(build_results(self, final=False))

    def _model(self, model_id: int) -> _Model:
        for m in self.models:
            if m.id == model_id:
                return m
        raise KeyError(model_id)

    def manifest(self, choice: EnsembleChoice) -> dict[str, Any]:
        """The JSON description of an ensemble that ``predict_csv`` and ``refit_ensemble`` read."""
        members = []
        for model_id, weight in zip(choice.model_ids, choice.weights, strict=True):
            m = self._model(model_id)
            members.append({"model_id": m.id, "estimator": m.estimator, "params": m.params,
                            "artifact": m.artifact, "weight": float(weight), "latency": m.latency,
                            "sample_weighting": "balanced" if (m.extra.get("pipeline") or {}).get("balancing")
                            else None, "pipeline": m.extra.get("pipeline") or {}})
        return {
            "format": 1,
            "task_id": self.spec.task_id,
            "problem_type": self.data.problem_type,
            "kind": self.data.kind,
            "target": self.data.target,
            "target_metric": self.metric,
            "classes": self.data.classes,
            "features": self.data.input_columns,
            "time_axis": self.data.time_axis,
            "timeseries": self.data.timeseries,
            "na_values": self.data.na_values,
            "members": members,
            "weights": [float(w) for w in choice.weights],
            "score": float(choice.score),
            "latency": float(sum(self._model(i).latency for i in choice.model_ids)),
        }

    # -- the loop ---------------------------------------------------------------------------------------
    def _reserve(self) -> float:
        """Seconds kept at the end of the budget for the final results (and the refit on all data)."""
        from firefly_widgets.engine.reports import report_seconds

        budget = max(0.0, float(self.spec.time_budget))
        # the chosen ensemble's reports, then the other ensembles' (see build_results)
        reserve = min(3.0, 0.1 * budget) + 2 * min(report_seconds(budget), 0.1 * budget)
        if self.config.get("refit_on_all") and self.state["ensembles"]:
            members = self.state["ensembles"][-1]["model_ids"]
            reserve += 1.3 * sum(self._model(i).fit_seconds for i in members) / max(self.data.n_fits, 1)
        return reserve

    def _refit_on_all(self) -> None:
        """Retrain the chosen ensemble's members on train + validation and record it as an ensemble with
        the same members, weights and (validation) score; the test part stays unseen."""
        chosen = self.state["ensembles"][-1]
        if chosen.get("refit_on_all"):
            return
        rows = np.sort(np.concatenate([self.data.split.train, self.data.split.validation]))
        frame, y = self.data.frame.iloc[rows], self.data.y[rows]
        n_jobs = self.n_jobs if frame.size >= _THREADS_MIN_CELLS else 1
        members = []
        for i, member in enumerate(chosen["manifest"]["members"]):
            with threadpool_limits(limits=n_jobs), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = refit_model(load_model(self.work_dir, member["artifact"]), frame, y,
                                    steps=member.get("pipeline"), seed=self.spec.seed + self.spec.task_id)
            artifact = f"refit_on_all/{self.state['run']}-{chosen['id']}-{i}.joblib"
            save_joblib(model, os.path.join(self.work_dir, artifact))
            members.append(dict(member, artifact=artifact))
        manifest = dict(chosen["manifest"], members=members, refit_on_all=True,
                        refit_rows=int(len(rows)))
        ensemble_id = self.recorder.record_ensemble(model_ids=list(chosen["model_ids"]),
                                                    weights=list(chosen["weights"]), score=float(chosen["score"]),
                                                    manifest=manifest)
        self.state["ensembles"].append(dict(chosen, id=ensemble_id, manifest=manifest, refit_on_all=True))
        self._save_state()

    def run(self) -> None:
        if self.models and self.state.get("best_score") is None:
            self._update_ensemble()  # state lost: rebuild the ensemble from saved predictions
        study = self._open_study()
        max_models = int(self.config["max_models_num"])
        # A task that ran ends with a model, however small its budget: until one model is trained, trials run
        # without the budget's deadline (single_model_timeout still applies), and after the budget is spent
        # at most _EXTRA_ATTEMPTS more are tried.
        extra_attempts = 0
        while len(self.models) < max_models:
            if self._remaining() - self._reserve() <= 0.05:
                if self._has_ok_model() or extra_attempts >= _EXTRA_ATTEMPTS:
                    break
                extra_attempts += 1
            self._train_one(study)
        if not any(m.status == "ok" for m in self.models):
            errors = sorted({m.error for m in self.models if m.error})
            detail = "; ".join(errors[:3]) if errors else "the time budget was too short to train any model"
            raise EngineError(f"no model could be trained: {detail}")
        if not self.state["ensembles"]:
            self._update_ensemble()
        if not self.state["ensembles"]:
            raise EngineError("no ensemble satisfies prediction_latency="
                              f"{self.config.get('prediction_latency')} s per row; the fastest model needs "
                              f"{min(m.latency for m in self.models if m.status == 'ok'):.2e} s per row")
        if self.config.get("refit_on_all"):
            self._refit_on_all()
        from firefly_widgets.engine.reports import build_results

        self.recorder.record_results(build_results(self, final=True))
