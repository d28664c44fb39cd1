"""The estimators the engine can train: how to build each one, its defaults and its search space.

Each :class:`EstimatorSpec` knows which problem kinds it serves (``classification`` covers every
classification-like problem type, ``regression`` every regression-like one), how its input is
encoded (``ordinal`` codes for trees, scaled one-hot for linear and distance-based models), whether
it counts as interpretable, a cheap default configuration (tried first, so the first ensemble comes
within seconds), and a search space sampled through an Optuna trial. Parameter names in the study are
prefixed with the estimator's name (``"random_forest.max_features"``), which makes the space
conditional: a parameter exists only in trials of its estimator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn import discriminant_analysis as da
from sklearn import ensemble as ens
from sklearn import linear_model as lm
from sklearn import naive_bayes as nb
from sklearn import neighbors, neural_network, svm, tree
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.gaussian_process import GaussianProcessClassifier, GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

__all__ = [
    "ESTIMATORS", "ContiguousLabels", "EstimatorSpec", "ParamSampler", "build_estimator", "default_params",
    "estimator_names",
]


class ParamSampler:
    """Draws one estimator's parameters from an Optuna trial, with names prefixed by the estimator."""

    def __init__(self, trial: Any, prefix: str):
        self.trial = trial
        self.prefix = prefix

    def int(self, name: str, low: int, high: int, log: bool = False) -> int:
        return int(self.trial.suggest_int(f"{self.prefix}.{name}", low, high, log=log))

    def float(self, name: str, low: float, high: float, log: bool = False) -> float:
        return float(self.trial.suggest_float(f"{self.prefix}.{name}", low, high, log=log))

    def cat(self, name: str, choices: list[Any]) -> Any:
        return self.trial.suggest_categorical(f"{self.prefix}.{name}", choices)


@dataclass(frozen=True)
class EstimatorSpec:
    """How to build, default and search one ``Estimator`` value."""

    name: str
    kinds: frozenset[str]
    #: "ordinal" | "onehot" (one-hot and scaled) | "minmax" (one-hot, scaled to [0, 1]) | "timeseries"
    #: (time column first, then the numeric columns; see engine/forecasting.py)
    encoding: str
    interpretable: bool
    build: Callable[[dict[str, Any], str, int, int], Any]  # (params, kind, n_jobs, seed) -> estimator
    #: the first configuration tried, as values of the search space's parameters (unprefixed)
    default: dict[str, Any]
    space: Callable[[ParamSampler, str], dict[str, Any]]
    #: rough relative cost; the scheduler tries cheap estimators first
    cost: float = 1.0
    #: above this many training rows the estimator is skipped (quadratic or cubic in rows)
    max_rows: int | None = None
    tags: frozenset[str] = field(default_factory=frozenset)


BOTH = frozenset({"classification", "regression"})
CLS = frozenset({"classification"})
REG = frozenset({"regression"})


class ProbaFromDecision(ClassifierMixin, BaseEstimator):
    """Gives a classifier without ``predict_proba`` calibrated probabilities (sigmoid, 3 folds)."""

    def __init__(self, estimator: Any = None):
        self.estimator = estimator

    def fit(self, X: np.ndarray, y: np.ndarray) -> ProbaFromDecision:
        counts = np.bincount(np.asarray(y, dtype=int))
        folds = int(min(3, counts[counts > 0].min())) if len(counts) else 2
        if folds >= 2:
            self.model_ = CalibratedClassifierCV(clone(self.estimator), cv=folds, method="sigmoid")
        else:
            self.model_ = clone(self.estimator)
        self.model_.fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        if hasattr(self.model_, "predict_proba"):
            return self.model_.predict_proba(X)
        d = np.asarray(self.model_.decision_function(X))
        if d.ndim == 1:
            p = 1.0 / (1.0 + np.exp(-d))
            return np.column_stack([1 - p, p])
        e = np.exp(d - d.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class AnomalyClassifier(ClassifierMixin, BaseEstimator):
    """An unsupervised anomaly detector turned into a labelled classifier.

    The detector (isolation forest, a Gaussian mixture or per-feature histograms) is fitted on the
    features alone; its anomaly score then becomes a probability per class through a one-feature
    logistic regression fitted on the labels. ``detector`` is ``"isof"``, ``"gmm"`` or ``"hist"``
    (:class:`~firefly_widgets.engine.hbos.HistogramOutlierDetector`).
    """

    def __init__(self, detector: str = "isof", n_estimators: int = 100, max_samples: float = 1.0,
                 n_components: int = 2, n_bins: int = 10, random_state: int = 0, n_jobs: int = 1):
        self.detector = detector
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.n_components = n_components
        self.n_bins = n_bins
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _score(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.detector_.score_samples(X)).reshape(-1, 1)

    def fit(self, X: np.ndarray, y: np.ndarray) -> AnomalyClassifier:
        if self.detector == "gmm":
            from sklearn.mixture import GaussianMixture
            self.detector_ = GaussianMixture(n_components=self.n_components, covariance_type="diag",
                                             random_state=self.random_state, reg_covar=1e-4)
        elif self.detector == "hist":
            from firefly_widgets.engine.hbos import HistogramOutlierDetector
            self.detector_ = HistogramOutlierDetector(n_bins=self.n_bins)
        else:
            self.detector_ = ens.IsolationForest(n_estimators=self.n_estimators, max_samples=self.max_samples,
                                                 random_state=self.random_state, n_jobs=self.n_jobs)
        self.detector_.fit(X)
        # balanced: anomalies are rare, and an unweighted link would never predict them
        self.link_ = lm.LogisticRegression(max_iter=1000, class_weight="balanced").fit(self._score(X), y)
        self.classes_ = self.link_.classes_
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.link_.predict_proba(self._score(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class ContiguousLabels(ClassifierMixin, BaseEstimator):
    """Lets a classifier that needs labels ``0..k-1`` (XGBoost) learn any subset of class indices."""

    def __init__(self, estimator: Any = None):
        self.estimator = estimator

    def fit(self, X: Any, y: Any, **kwargs: Any) -> ContiguousLabels:
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        self.estimator_ = clone(self.estimator)
        self.estimator_.fit(X, codes, **kwargs)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.estimator_.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _cls_or_reg(kind: str, cls: Callable[..., Any], reg: Callable[..., Any]) -> Callable[..., Any]:
    return cls if kind == "classification" else reg


# --- gradient boosting libraries ---------------------------------------------------------------

def _lgbm(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
    import lightgbm as lgb
    cls = _cls_or_reg(kind, lgb.LGBMClassifier, lgb.LGBMRegressor)
    return cls(**p, n_jobs=n_jobs, random_state=seed, verbose=-1)


def _lgbm_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {
        "n_estimators": s.int("n_estimators", 50, 1500, log=True),
        "learning_rate": s.float("learning_rate", 0.01, 0.3, log=True),
        "num_leaves": s.int("num_leaves", 4, 256, log=True),
        "min_child_samples": s.int("min_child_samples", 2, 100, log=True),
        "subsample": s.float("subsample", 0.5, 1.0),
        "subsample_freq": 1,
        "colsample_bytree": s.float("colsample_bytree", 0.3, 1.0),
        "reg_alpha": s.float("reg_alpha", 1e-8, 10.0, log=True),
        "reg_lambda": s.float("reg_lambda", 1e-8, 10.0, log=True),
    }


def _xgb(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
    import xgboost as xgb
    if kind == "classification":
        return ContiguousLabels(xgb.XGBClassifier(**p, n_jobs=n_jobs, random_state=seed, tree_method="hist",
                                                  verbosity=0))
    return xgb.XGBRegressor(**p, n_jobs=n_jobs, random_state=seed, tree_method="hist", verbosity=0)


def _xgb_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {
        "n_estimators": s.int("n_estimators", 50, 1500, log=True),
        "learning_rate": s.float("learning_rate", 0.01, 0.3, log=True),
        "max_depth": s.int("max_depth", 2, 12),
        "min_child_weight": s.float("min_child_weight", 0.5, 20.0, log=True),
        "subsample": s.float("subsample", 0.5, 1.0),
        "colsample_bytree": s.float("colsample_bytree", 0.3, 1.0),
        "reg_alpha": s.float("reg_alpha", 1e-8, 10.0, log=True),
        "reg_lambda": s.float("reg_lambda", 1e-3, 10.0, log=True),
    }


def _catboost(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
    import catboost
    cls = _cls_or_reg(kind, catboost.CatBoostClassifier, catboost.CatBoostRegressor)
    return cls(**p, thread_count=n_jobs, random_seed=seed, verbose=False, allow_writing_files=False)


def _catboost_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {
        "iterations": s.int("iterations", 100, 1500, log=True),
        "learning_rate": s.float("learning_rate", 0.02, 0.3, log=True),
        "depth": s.int("depth", 3, 10),
        "l2_leaf_reg": s.float("l2_leaf_reg", 0.5, 30.0, log=True),
    }


# --- scikit-learn ensembles and trees ----------------------------------------------------------

def _forest(cls_name: str, reg_name: str) -> Callable[..., Any]:
    def build(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
        cls = getattr(ens, cls_name if kind == "classification" else reg_name)
        return cls(**p, n_jobs=n_jobs, random_state=seed)
    return build


def _forest_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {
        "n_estimators": s.int("n_estimators", 50, 500, log=True),
        "max_features": s.float("max_features", 0.1, 1.0),
        "min_samples_leaf": s.int("min_samples_leaf", 1, 20, log=True),
        "criterion": s.cat("criterion", ["gini", "entropy"]) if kind == "classification" else "squared_error",
        "bootstrap": s.cat("bootstrap", [True, False]),
    }


def _hgb(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
    cls = _cls_or_reg(kind, ens.HistGradientBoostingClassifier, ens.HistGradientBoostingRegressor)
    return cls(**p, random_state=seed)


def _hgb_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {
        "max_iter": s.int("max_iter", 50, 1000, log=True),
        "learning_rate": s.float("learning_rate", 0.01, 0.3, log=True),
        "max_leaf_nodes": s.int("max_leaf_nodes", 4, 128, log=True),
        "min_samples_leaf": s.int("min_samples_leaf", 2, 100, log=True),
        "l2_regularization": s.float("l2_regularization", 1e-8, 10.0, log=True),
        "max_features": s.float("max_features", 0.3, 1.0),
    }


def _ada(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
    depth = p.pop("max_depth", 1) if "max_depth" in p else 1
    if kind == "classification":
        return ens.AdaBoostClassifier(tree.DecisionTreeClassifier(max_depth=depth), **p, random_state=seed)
    return ens.AdaBoostRegressor(tree.DecisionTreeRegressor(max_depth=depth), **p, random_state=seed)


def _ada_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {
        "n_estimators": s.int("n_estimators", 25, 400, log=True),
        "learning_rate": s.float("learning_rate", 0.01, 2.0, log=True),
        "max_depth": s.int("max_depth", 1, 8),
    }


def _dtree(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
    cls = _cls_or_reg(kind, tree.DecisionTreeClassifier, tree.DecisionTreeRegressor)
    return cls(**p, random_state=seed)


def _dtree_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {
        "max_depth": s.int("max_depth", 2, 20),
        "min_samples_leaf": s.int("min_samples_leaf", 1, 50, log=True),
        "criterion": s.cat("criterion", ["gini", "entropy"]) if kind == "classification" else "squared_error",
    }


def _knn(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
    cls = _cls_or_reg(kind, neighbors.KNeighborsClassifier, neighbors.KNeighborsRegressor)
    return cls(**p, n_jobs=n_jobs)


def _knn_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {
        "n_neighbors": s.int("n_neighbors", 1, 100, log=True),
        "weights": s.cat("weights", ["uniform", "distance"]),
        "p": s.cat("p", [1, 2]),
    }


# --- linear models ------------------------------------------------------------------------------

def _logreg(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
    return lm.LogisticRegression(**p, max_iter=2000, random_state=seed)


def _logreg_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {"C": s.float("C", 1e-4, 1e3, log=True)}


def _linear_svc(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
    if kind == "classification":
        return ProbaFromDecision(svm.LinearSVC(**p, random_state=seed, max_iter=5000))
    return svm.LinearSVR(**p, random_state=seed, max_iter=5000)


def _linear_svc_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {"C": s.float("C", 1e-4, 1e2, log=True)}


def _svc(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
    if kind == "classification":
        return svm.SVC(**p, probability=True, random_state=seed)
    return svm.SVR(**p)


def _svc_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {"C": s.float("C", 1e-2, 1e3, log=True), "gamma": s.float("gamma", 1e-4, 1.0, log=True)}


def _sgd(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
    if kind == "classification":
        return lm.SGDClassifier(**p, loss="log_loss", random_state=seed, max_iter=2000, tol=1e-4)
    return lm.SGDRegressor(**p, random_state=seed, max_iter=2000, tol=1e-4)


def _sgd_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {
        "alpha": s.float("alpha", 1e-7, 1e-1, log=True),
        "penalty": s.cat("penalty", ["l2", "l1", "elasticnet"]),
    }


def _pa(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
    # the passive-aggressive algorithm (PA-I): SGD with the hinge / epsilon-insensitive loss, no penalty
    # and the "pa1" step, whose cap C is eta0 (scikit-learn's own replacement for its deprecated
    # PassiveAggressive classes)
    if kind == "classification":
        return ProbaFromDecision(lm.SGDClassifier(loss="hinge", penalty=None, learning_rate="pa1", eta0=p["C"],
                                                  random_state=seed, max_iter=2000, tol=1e-4))
    return lm.SGDRegressor(loss="epsilon_insensitive", epsilon=0.0, penalty=None, learning_rate="pa1", eta0=p["C"],
                           random_state=seed, max_iter=2000, tol=1e-4)


def _pa_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {"C": s.float("C", 1e-4, 10.0, log=True)}


def _ridge(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
    if kind == "classification":
        return ProbaFromDecision(lm.RidgeClassifier(**p))
    return lm.Ridge(**p)


def _ridge_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {"alpha": s.float("alpha", 1e-4, 1e3, log=True)}


def _simple(make: Callable[..., Any]) -> Callable[..., Any]:
    def build(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
        return make(**p)
    return build


def _enet_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {"alpha": s.float("alpha", 1e-5, 10.0, log=True), "l1_ratio": s.float("l1_ratio", 0.01, 1.0)}


def _ransac(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
    return lm.RANSACRegressor(lm.LinearRegression(), min_samples=p.get("min_samples", 0.5), random_state=seed)


def _ransac_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {"min_samples": s.float("min_samples", 0.1, 0.9)}


def _gp(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
    if kind == "classification":
        return GaussianProcessClassifier(1.0 * RBF(p.get("length_scale", 1.0)), random_state=seed,
                                         n_jobs=n_jobs)
    kernel = ConstantKernel() * RBF(p.get("length_scale", 1.0)) + WhiteKernel(p.get("noise", 0.1))
    return GaussianProcessRegressor(kernel, normalize_y=True, random_state=seed)


def _gp_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {"length_scale": s.float("length_scale", 0.1, 10.0, log=True),
            "noise": s.float("noise", 1e-3, 1.0, log=True)}


def _mlp(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
    width = p.pop("width", 64) if "width" in p else 64
    layers = p.pop("layers", 1) if "layers" in p else 1
    cls = _cls_or_reg(kind, neural_network.MLPClassifier, neural_network.MLPRegressor)
    return cls(hidden_layer_sizes=(width,) * layers, **p, early_stopping=True, max_iter=300,
               random_state=seed)


def _mlp_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {
        "width": s.int("width", 16, 256, log=True),
        "layers": s.int("layers", 1, 3),
        "alpha": s.float("alpha", 1e-6, 1e-1, log=True),
        "learning_rate_init": s.float("learning_rate_init", 1e-4, 1e-2, log=True),
    }


def _nb(cls: Callable[..., Any], minmax: bool) -> Callable[..., Any]:
    def build(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
        if minmax:
            return make_pipeline(MinMaxScaler(clip=True), cls(**p))
        return cls(**p)
    return build


def _nb_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {"alpha": s.float("alpha", 1e-3, 10.0, log=True)}


def _anomaly(detector: str) -> Callable[..., Any]:
    def build(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
        return AnomalyClassifier(detector=detector, **p, random_state=seed, n_jobs=n_jobs)
    return build


def _forecaster(method: str) -> Callable[..., Any]:
    def build(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
        from firefly_widgets.engine.forecasting import SeriesForecaster

        p = dict(p)
        if "order" in p:
            p["order"] = tuple(int(v) for v in p["order"])
        elif {"p", "d", "q"} <= set(p):
            p["order"] = (int(p.pop("p")), int(p.pop("d")), int(p.pop("q")))
        if p.get("trend") == "none":
            p["trend"] = None
        return SeriesForecaster(method=method, **p)
    return build


def _holt_winters_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    trend = s.cat("trend", ["add", "none"])
    return {"trend": trend, "damped_trend": s.cat("damped_trend", [False, True]) if trend == "add" else False,
            "seasonal_periods": s.cat("seasonal_periods", [0, 4, 7, 12, 24])}


def _arima_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {"p": s.int("p", 0, 3), "d": s.int("d", 0, 2), "q": s.int("q", 0, 2),
            "trend_term": s.cat("trend_term", ["n", "c", "t", "ct"]), "use_exog": s.cat("use_exog", [False, True])}


def _average_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {"window": s.int("window", 1, 50, log=True)}


def _none(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {}


def _fixed(**params: Any) -> Callable[[ParamSampler, str], dict[str, Any]]:
    def space(s: ParamSampler, kind: str) -> dict[str, Any]:
        return dict(params)
    return space


def _qda_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {"reg_param": s.float("reg_param", 1e-4, 1.0, log=True)}


def _isof_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {"n_estimators": s.int("n_estimators", 50, 400, log=True),
            "max_samples": s.float("max_samples", 0.1, 1.0)}


def _gmm_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {"n_components": s.int("n_components", 1, 8)}


def _hist_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {"n_bins": s.int("n_bins", 5, 50, log=True)}


def _proj_logit(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
    from firefly_widgets.engine.projlogit import ProjLogitClassifier
    return ProjLogitClassifier(**p)


def _proj_logit_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {"max_epochs": s.int("max_epochs", 1, 20), "alpha": s.float("alpha", 1e-4, 10.0, log=True)}


def _bart(p: dict[str, Any], kind: str, n_jobs: int, seed: int) -> Any:
    from firefly_widgets.engine.bart import BARTClassifier, BARTRegressor
    return _cls_or_reg(kind, BARTClassifier, BARTRegressor)(**p, random_state=seed)


def _bart_space(s: ParamSampler, kind: str) -> dict[str, Any]:
    return {
        "n_trees": s.int("n_trees", 20, 200, log=True),
        "k": s.float("k", 1.0, 3.0),
        "alpha": s.float("alpha", 0.8, 0.99),
        "beta": s.float("beta", 1.0, 3.0),
        "n_draws": s.int("n_draws", 50, 300, log=True),
    }


_LGBM_DEFAULT = dict(n_estimators=200, learning_rate=0.05, num_leaves=31, min_child_samples=10, subsample=0.9,
                     colsample_bytree=0.8, reg_alpha=1e-8, reg_lambda=1e-8)
_XGB_DEFAULT = dict(n_estimators=200, learning_rate=0.08, max_depth=6, min_child_weight=1.0, subsample=0.9,
                    colsample_bytree=0.8, reg_alpha=1e-8, reg_lambda=1.0)
_FOREST_DEFAULT = dict(n_estimators=150, max_features=0.5, min_samples_leaf=1, criterion="gini", bootstrap=True)
_ET_DEFAULT = dict(n_estimators=150, max_features=0.7, min_samples_leaf=1, criterion="gini", bootstrap=False)
_HGB_DEFAULT = dict(max_iter=200, learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=20,
                    l2_regularization=1e-8, max_features=1.0)
_MLP_DEFAULT = dict(width=64, layers=2, alpha=1e-4, learning_rate_init=1e-3)

_SPECS = [
    EstimatorSpec("light_gradient_boosting", BOTH, "ordinal", False, _lgbm, _LGBM_DEFAULT, _lgbm_space),
    EstimatorSpec("logreg", CLS, "onehot", True, _logreg, {"C": 1.0}, _logreg_space, cost=0.3),
    EstimatorSpec("ridge_regression", REG, "onehot", True, _ridge, {"alpha": 1.0}, _ridge_space, cost=0.2),
    # regression_timeseries only (tried early there): statistical models of the target series
    # (see engine/forecasting.py)
    EstimatorSpec("exponential_smoothing", REG, "timeseries", True, _forecaster("exponential_smoothing"),
                  dict(trend="add", damped_trend=False, seasonal_periods=0), _holt_winters_space, cost=0.3,
                  max_rows=100_000, tags=frozenset({"timeseries"})),
    EstimatorSpec("arima", REG, "timeseries", True, _forecaster("arima"),
                  dict(p=1, d=1, q=0, trend_term="c", use_exog=False), _arima_space, cost=1.0, max_rows=20_000,
                  tags=frozenset({"timeseries"})),
    EstimatorSpec("xgradient_boosting", BOTH, "ordinal", False, _xgb, _XGB_DEFAULT, _xgb_space, cost=1.5),
    EstimatorSpec("extra_trees", BOTH, "ordinal", False, _forest("ExtraTreesClassifier", "ExtraTreesRegressor"),
                  _ET_DEFAULT, _forest_space, cost=1.2),
    EstimatorSpec("random_forest", BOTH, "ordinal", False,
                  _forest("RandomForestClassifier", "RandomForestRegressor"), _FOREST_DEFAULT, _forest_space,
                  cost=1.5),
    EstimatorSpec("cat_boost", BOTH, "ordinal", False, _catboost,
                  dict(iterations=300, learning_rate=0.1, depth=6, l2_leaf_reg=3.0), _catboost_space, cost=4.0),
    EstimatorSpec("gradient_boosting", BOTH, "ordinal", False, _hgb, _HGB_DEFAULT, _hgb_space, cost=1.5),
    EstimatorSpec("k_nearest_neighbors", BOTH, "onehot", False, _knn,
                  dict(n_neighbors=10, weights="distance", p=2), _knn_space, cost=0.5, max_rows=200_000),
    EstimatorSpec("lda", CLS, "onehot", True, _simple(da.LinearDiscriminantAnalysis), {},
                  _fixed(solver="lsqr", shrinkage="auto"), cost=0.2),
    EstimatorSpec("decision_tree", BOTH, "ordinal", True, _dtree,
                  dict(max_depth=6, min_samples_leaf=5, criterion="gini"), _dtree_space, cost=0.2),
    EstimatorSpec("elastic_net", REG, "onehot", True, _simple(lm.ElasticNet), dict(alpha=0.01, l1_ratio=0.5),
                  _enet_space, cost=0.3),
    EstimatorSpec("bayesian_ridge", REG, "onehot", True, _simple(lm.BayesianRidge), {}, _none, cost=0.3),
    EstimatorSpec("lars", REG, "onehot", True, _simple(lm.Lars), {}, _none, cost=0.3),
    EstimatorSpec("sgd", BOTH, "onehot", True, _sgd, dict(alpha=1e-4, penalty="l2"), _sgd_space, cost=0.3),
    EstimatorSpec("ridge_classification", CLS, "onehot", True, _ridge, {"alpha": 1.0}, _ridge_space, cost=0.5),
    EstimatorSpec("gaussian_nb", CLS, "onehot", True, _simple(nb.GaussianNB), {}, _none, cost=0.1),
    EstimatorSpec("bernoulli_nb", CLS, "onehot", True, _simple(nb.BernoulliNB), {"alpha": 1.0}, _nb_space,
                  cost=0.1),
    EstimatorSpec("multinomial_nb", CLS, "minmax", True, _nb(nb.MultinomialNB, True), {"alpha": 1.0},
                  _nb_space, cost=0.1),
    EstimatorSpec("complement_nb", CLS, "minmax", True, _nb(nb.ComplementNB, True), {"alpha": 1.0},
                  _nb_space, cost=0.1),
    EstimatorSpec("qda", CLS, "onehot", False, _simple(da.QuadraticDiscriminantAnalysis), {"reg_param": 0.1},
                  _qda_space, cost=0.2),
    EstimatorSpec("adaboost", BOTH, "ordinal", False, _ada, dict(n_estimators=100, learning_rate=0.5, max_depth=2),
                  _ada_space, cost=1.5),
    EstimatorSpec("passive_aggressive", BOTH, "onehot", True, _pa, {"C": 0.1}, _pa_space, cost=0.5),
    EstimatorSpec("proj_logit", CLS, "onehot", False, _proj_logit, dict(max_epochs=2, alpha=0.01),
                  _proj_logit_space, cost=0.3),
    EstimatorSpec("liblinear_svc", CLS, "onehot", True, _linear_svc, {"C": 1.0}, _linear_svc_space, cost=0.8),
    EstimatorSpec("liblinear_svr", REG, "onehot", True, _linear_svc, {"C": 1.0}, _linear_svc_space, cost=0.5),
    EstimatorSpec("ransac", REG, "onehot", True, _ransac, {"min_samples": 0.5}, _ransac_space, cost=0.5),
    EstimatorSpec("libsvm_svc", CLS, "onehot", False, _svc, dict(C=1.0, gamma=0.05), _svc_space, cost=3.0,
                  max_rows=20_000),
    EstimatorSpec("libsvm_svr", REG, "onehot", False, _svc, dict(C=1.0, gamma=0.05), _svc_space, cost=2.0,
                  max_rows=20_000),
    EstimatorSpec("nn_keras_sequential", BOTH, "onehot", False, _mlp, _MLP_DEFAULT, _mlp_space, cost=3.0),
    # Bayesian additive regression trees (engine/bart.py): MCMC, so slower than the boosting libraries
    EstimatorSpec("bart", BOTH, "ordinal", False, _bart,
                  dict(n_trees=50, k=2.0, alpha=0.95, beta=2.0, n_draws=100), _bart_space, cost=3.0,
                  max_rows=50_000),
    EstimatorSpec("gaussian_process", BOTH, "onehot", False, _gp, dict(length_scale=1.0, noise=0.1), _gp_space,
                  cost=4.0, max_rows=1_500),
    EstimatorSpec("anomaly_isof", CLS, "ordinal", False, _anomaly("isof"), dict(n_estimators=200, max_samples=1.0),
                  _isof_space, cost=1.0, tags=frozenset({"anomaly"})),
    EstimatorSpec("anomaly_gmm", CLS, "onehot", False, _anomaly("gmm"), {"n_components": 2}, _gmm_space,
                  cost=0.5, tags=frozenset({"anomaly"})),
    EstimatorSpec("anomaly_hist", CLS, "ordinal", True, _anomaly("hist"), {"n_bins": 10}, _hist_space,
                  cost=0.1, tags=frozenset({"anomaly"})),
    # regression_timeseries only: a baseline of the target series (see engine/forecasting.py)
    EstimatorSpec("average_estimator", REG, "timeseries", True, _forecaster("average_estimator"),
                  {"window": 5}, _average_space, cost=0.1, tags=frozenset({"timeseries"})),
]

#: Every estimator the engine implements, by ``Estimator`` value, in the order they are tried.
ESTIMATORS: dict[str, EstimatorSpec] = {spec.name: spec for spec in _SPECS}


def estimator_names(kind: str, *, anomaly: bool = False, interpretable_only: bool = False,
                    timeseries: bool = False) -> list[str]:
    """The estimators for a problem kind (``classification`` or ``regression``).

    Args:
        kind: ``"classification"`` or ``"regression"``.
        anomaly: include the anomaly detectors (anomaly problem types only).
        interpretable_only: keep only interpretable estimators.
        timeseries: include the forecasters of the target series (``regression_timeseries`` only).
    """
    out = []
    for spec in _SPECS:
        if kind not in spec.kinds:
            continue
        if "anomaly" in spec.tags and not anomaly:
            continue
        if "timeseries" in spec.tags and not timeseries:
            continue
        if interpretable_only and not spec.interpretable:
            continue
        out.append(spec.name)
    return out


def default_params(name: str, kind: str) -> dict[str, Any]:
    """The estimator's default configuration as the parameters it is built with (what the search's
    first trial of this estimator uses)."""
    from optuna.trial import FixedTrial

    spec = ESTIMATORS[name]
    trial = FixedTrial({f"{name}.{k}": v for k, v in spec.default.items()})
    return spec.space(ParamSampler(trial, name), kind)


def build_estimator(name: str, params: dict[str, Any], kind: str, *, n_jobs: int = 1, seed: int = 0) -> Any:
    """An unfitted estimator for ``name`` with ``params`` (as stored in a model record)."""
    spec = ESTIMATORS[name]
    return spec.build(dict(params), kind, n_jobs, seed)
