"""A task's data made ready for training: features, encoded target, split, encoded matrices.

The split is saved in the task's work dir the first time and reused by every later run of the same
search, so that validation predictions saved by an earlier run stay comparable.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from firefly_widgets.engine.artifacts import load_npz, save_npz
from firefly_widgets.engine.contract import ConfigError, DataError, TrainingSpec
from firefly_widgets.engine.data import base_type, class_labels, feature_type, read_frame
from firefly_widgets.engine.forecasting import TimeSeriesFeatures
from firefly_widgets.engine.options import problem_kind
from firefly_widgets.engine.preprocessing import TabularPreprocessor, column_kinds
from firefly_widgets.engine.splitting import Split, cv_folds, holdout_split
from firefly_widgets.engine.timeseries import add_lag_features

__all__ = ["FoldData", "TaskData", "encode_target", "encoding_flavour", "prep_key", "prepare_features"]

#: the most dimensions of a categorical column's embedding (the ``feature_embedding`` step)
_EMBEDDING_DIMS = 8


def encoding_flavour(encoding: str) -> str:
    """The preprocessor an estimator's encoding uses: ``ordinal``, ``timeseries`` or ``onehot``."""
    return encoding if encoding in ("ordinal", "timeseries") else "onehot"


def prep_key(encoding: str, embedding: bool = False) -> str:
    """The key of :attr:`TaskData.prep_seconds` for an encoding, with or without the embedding step."""
    flavour = encoding_flavour(encoding)
    return f"{flavour}+embedding" if embedding and flavour != "timeseries" else flavour


def encode_target(values: pd.Series, *, kind: str, classes: list[str] | None) -> tuple[np.ndarray, np.ndarray]:
    """Encode a target column.

    Returns:
        ``(y, keep)``: ``y`` the class indices (classification) or floats (regression) of the rows
        where ``keep`` is True (rows with a missing target are dropped).

    Raises:
        DataError: class labels that are not among ``classes``, or a non-numeric regression target.
    """
    keep = values.notna().to_numpy()
    if kind == "classification":
        labels = class_labels(values[keep])
        index = {c: i for i, c in enumerate(classes or [])}
        unknown = sorted(set(labels) - set(index))
        if unknown:
            raise DataError(f"target: class labels not seen when the task was trained: "
                            f"{', '.join(map(repr, unknown[:10]))}; known classes are {', '.join(classes or [])}")
        return labels.map(index).to_numpy(dtype=int), keep
    numeric = pd.to_numeric(values[keep], errors="coerce")
    if numeric.isna().any():
        raise DataError("target: the regression target has non-numeric values")
    return numeric.to_numpy(dtype=float), keep


def prepare_features(frame: pd.DataFrame, settings: dict[str, Any]) -> pd.DataFrame:
    """Add derived input columns (timeseries lags) described by a manifest's ``timeseries`` settings."""
    ts = settings.get("timeseries")
    if ts:
        frame = add_lag_features(frame, **ts)
    return frame


class TaskData:
    """Everything about a task's data that the search needs, computed once per run.

    Attributes:
        kind: ``classification`` or ``regression``.
        classes: class labels (classification) else None.
        frame: the feature columns of the rows with a target (plus derived lag columns).
        y: encoded targets.
        features: the input columns models use.
        kinds: feature columns by kind.
        split: the holdout parts (positions into ``frame``).
        folds: cross-validation folds over train + validation, or None for holdout.
        timeseries: lag feature settings for the manifest, or None.
    """

    def __init__(self, spec: TrainingSpec):
        dataset, config = spec.dataset, spec.config
        meta = dataset.get("meta") or {}
        self.problem_type = dataset.get("problem_type") or meta.get("problem_type")
        self.kind = problem_kind(self.problem_type)
        self.target = dataset.get("target") or meta.get("target")
        self.na_values = dataset.get("na_values")
        self.time_axis = dataset.get("time_axis") or meta.get("time_axis")
        self.pipeline = set(config.get("pipeline") or [])
        raw = read_frame(spec.data_path, na_values=self.na_values)
        if self.target not in raw.columns:
            raise ConfigError("target", f"target: column {self.target!r} is not in the data")
        not_used = set(dataset.get("not_used") or meta.get("not_used") or [])
        leaky = set(config.get("leaky_features") or [])
        candidates = meta.get("features") or [c for c in raw.columns if c != self.target]
        features = [c for c in candidates if c in raw.columns and c != self.target and c not in not_used
                    and c not in leaky]
        if not features:
            raise ConfigError("leaky_features", "leaky_features: no feature column is left to train on")
        self.classes = meta.get("classes") if self.kind == "classification" else None
        if self.kind == "classification" and not self.classes:
            labels = class_labels(raw[self.target].dropna())
            self.classes = sorted(labels.unique().tolist())
        self.y, keep = encode_target(raw[self.target], kind=self.kind, classes=self.classes)
        frame = raw.loc[keep].reset_index(drop=True)
        self.order = self._time_order(frame)
        self.timeseries = None
        if self.problem_type and "timeseries" in self.problem_type:
            self.timeseries = {"time_axis": self.time_axis, "target": self.target,
                               "lags": _lags(config), "columns": [c for c in features
                                                                   if _is_numeric(frame[c])][:10],
                               "use_target": "time_series_auto_features" in self.pipeline}
            if self.order is not None:
                frame = frame.iloc[self.order].reset_index(drop=True)
                self.y = self.y[self.order]
                self.order = None
            frame = add_lag_features(frame, **self.timeseries)
            features = features + [c for c in frame.columns if c.startswith("lag__")]
        types = dict(meta.get("feature_types") or {})
        for col in features:
            if col not in types:
                types[col] = feature_type(frame[col], base_type(frame[col]))
        if "data_cleaning_pre_imputation" in self.pipeline:
            features = [c for c in features if not _useless(frame[c], types[c])] or features
        self.features = features
        self.frame = frame[features]
        self.kinds = column_kinds(types, features)
        self.n_classes = len(self.classes) if self.classes else 0
        self.split, self.folds = self._split(spec, config)
        self.dropped_features: list[str] = []
        if "feature_selection" in self.pipeline and len(features) > 5:
            kept = self._select_features(raw_seed=spec.seed + spec.task_id)
            self.dropped_features = [c for c in self.features if c not in kept]
            self.features = kept
            self.frame = self.frame[kept]
            self.kinds = column_kinds(types, kept)
        self._folds: dict[tuple[str, bool, int | None], FoldData] = {}
        #: the columns a prediction file must have (derived lag columns are computed, not read)
        self.input_columns = [c for c in self.features if not c.startswith("lag__")]
        if self.timeseries and self.time_axis and self.time_axis not in self.input_columns:
            self.input_columns.append(self.time_axis)  # orders the rows for the lag features
        digest = hashlib.sha1()
        for part in (self.split.train, self.split.validation, self.split.test):
            digest.update(np.asarray(part, dtype=np.int64).tobytes() + b"|")
        digest.update(repr((self.features, self.kind, self.classes, self.folds is not None and len(self.folds)))
                      .encode("utf-8"))
        #: identifies the split and features; saved predictions are reused only under the same signature
        self.signature = digest.hexdigest()[:16]
        #: seconds per row of the preprocessor's transform, by :func:`prep_key`
        self.prep_seconds: dict[str, float] = {}

    # -- split ------------------------------------------------------------------------------------
    def _time_order(self, frame: pd.DataFrame) -> np.ndarray | None:
        if not self.time_axis or self.time_axis not in frame.columns:
            return None
        t = frame[self.time_axis]
        if not pd.api.types.is_datetime64_any_dtype(t.dtype):
            numeric = pd.to_numeric(t, errors="coerce")
            t = numeric if numeric.notna().mean() > 0.9 else pd.to_datetime(t, errors="coerce", format="mixed")
        return np.argsort(t.to_numpy(), kind="stable")

    def _split(self, spec: TrainingSpec, config: dict[str, Any]) -> tuple[Split, list[Any] | None]:
        n = len(self.frame)
        path = os.path.join(spec.work_dir, "split.npz")
        strategy = config.get("splitting_strategy") or "shuffled"
        saved = load_npz(path)
        if saved is not None and int(saved["n"]) == n and str(saved["strategy"]) == strategy:
            split = Split(saved["train"], saved["validation"], saved["test"])
        else:
            y = self.y if self.kind == "classification" else None
            cv = config.get("validation_strategy") == "cv"
            test = float(config.get("test_size") or 0.0)
            val = 0.0 if cv else float(config.get("validation_size") or 0.2)
            train = float(config.get("train_size") or (1.0 - val - test))
            split = holdout_split(n, strategy=strategy, train=train, validation=val, test=test,
                                  seed=spec.seed + spec.task_id, y=y, time_order=self.order)
            save_npz(path, n=n, strategy=strategy, train=split.train, validation=split.validation, test=split.test)
        folds = None
        if config.get("validation_strategy") == "cv":
            if self.order is None:
                rows = split.train
            else:
                in_train = np.zeros(n, dtype=bool)
                in_train[split.train] = True
                rows = self.order[in_train[self.order]]
            folds = cv_folds(rows, n_folds=int(config.get("n_folds") or 5), strategy=strategy,
                             seed=spec.seed + spec.task_id, y=self.y if self.kind == "classification" else None,
                             fold_size=config.get("fold_size"))
            if not folds:
                raise ConfigError("n_folds", "n_folds: the data is too small for this many time-ordered folds")
        if len(split.train) < 2 or (folds is None and len(split.validation) < 1):
            raise ConfigError("validation_size", f"validation_size: {n} rows are too few to train and validate")
        return split, folds

    def _select_features(self, raw_seed: int) -> list[str]:
        """The ``feature_selection`` step: drop input columns that matter no more than noise.

        An extra-trees model is fitted on (at most 5,000) training rows with shadow columns added:
        shuffled copies of real columns, which carry no information. An input column is kept when its
        importance beats the most important shadow; at least three columns are always kept."""
        from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor

        rng = np.random.default_rng(raw_seed)
        rows = self.split.train
        if len(rows) > 5000:
            rows = np.sort(rng.choice(rows, 5000, replace=False))
        prep = self.preprocessor("ordinal").fit(self.frame.iloc[rows])
        x = prep.transform(self.frame.iloc[rows])
        picks = rng.choice(x.shape[1], size=min(5, x.shape[1]), replace=False)
        shadows = np.column_stack([rng.permutation(x[:, j]) for j in picks])
        cls = ExtraTreesClassifier if self.kind == "classification" else ExtraTreesRegressor
        model = cls(n_estimators=200, max_features=0.5, min_samples_leaf=3, random_state=raw_seed, n_jobs=1)
        model.fit(np.hstack([x, shadows]), self.y[rows])
        importance = model.feature_importances_
        share: dict[str, float] = dict.fromkeys(self.features, 0.0)
        for source, value in zip(prep.sources_, importance[: x.shape[1]], strict=False):
            share[source] = share.get(source, 0.0) + float(value)
        threshold = float(importance[x.shape[1]:].max())
        kept = [c for c in self.features if share[c] > threshold]
        if len(kept) < 3:
            best = sorted(self.features, key=lambda c: -share[c])[:3]
            kept = [c for c in self.features if c in best]
        return kept

    # -- encoding ----------------------------------------------------------------------------------
    def preprocessor(self, encoding: str, *, embedding: bool = False) -> Any:
        """An unfitted preprocessor for an estimator's encoding, honouring the pipeline steps
        (a :class:`TimeSeriesFeatures` for the ``"timeseries"`` encoding of the forecasters, which
        ignores ``embedding``).

        Args:
            encoding: the estimator's encoding.
            embedding: add embeddings of the categorical columns (the ``feature_embedding`` step, a
                per-trial choice of the search).
        """
        flavour = encoding_flavour(encoding)
        if flavour == "timeseries":
            time_axis = self.time_axis if self.time_axis in self.features else None
            exog = [c for c in self.kinds["numerical"] if c != time_axis]
            return TimeSeriesFeatures(time_axis=time_axis, exog=exog)
        return TabularPreprocessor(
            numeric=list(self.kinds["numerical"]), categorical=list(self.kinds["categorical"]),
            datetime=list(self.kinds["datetime"]), text=list(self.kinds["text"]), encoding=flavour,
            scale=flavour == "onehot", max_categories=1000 if flavour == "ordinal" else 30,
            impute="imputation" in self.pipeline or flavour == "onehot" or not self.pipeline,
            clip_quantile=0.005 if "data_cleaning_post_imputation" in self.pipeline else None,
            text_components=16 if "text_preprocessing" in self.pipeline else 0,
            frequency_encoding="feature_engineering" in self.pipeline,
            embedding_dims=_EMBEDDING_DIMS if embedding else 0,
        )

    @property
    def evaluation_rows(self) -> np.ndarray:
        """The rows that validation predictions are made for: the validation part (holdout), or every
        fold's validation rows in fold order (cross-validation, out-of-fold predictions)."""
        if self.folds is None:
            return self.split.validation
        return np.concatenate([va for _, va in self.folds])

    @property
    def n_fits(self) -> int:
        """How many fits one model needs (1, or the number of folds)."""
        return 1 if self.folds is None else len(self.folds)

    def fold(self, encoding: str, index: int | None = None, *, embedding: bool = False) -> FoldData:
        """Encoded train and validation matrices of the holdout (``index=None``) or of one CV fold,
        with the preprocessor fitted on that train part; cached by (encoding flavour, embedding, index).

        Args:
            encoding: the estimator's encoding.
            index: the CV fold, or None for the holdout.
            embedding: with the ``feature_embedding`` columns (ignored by the ``"timeseries"`` encoding).
        """
        flavour = encoding_flavour(encoding)
        embedding = embedding and flavour != "timeseries"
        key = (flavour, embedding, index)
        if key not in self._folds:
            train, val = (self.split.train, self.split.validation) if index is None else self.folds[index]
            prep = self.preprocessor(flavour, embedding=embedding).fit(self.frame.iloc[train], self.y[train])
            x_train = prep.transform(self.frame.iloc[train])
            t0 = time.perf_counter()
            x_val = prep.transform(self.frame.iloc[val])
            self.prep_seconds[prep_key(flavour, embedding)] = (time.perf_counter() - t0) / max(len(val), 1)
            self._folds[key] = FoldData(prep, x_train, self.y[train], x_val, self.y[val], train, val)
        return self._folds[key]

    def all_training_rows(self) -> np.ndarray:
        """Train + validation rows (for ``refit_on_all``)."""
        return np.sort(np.concatenate([self.split.train, self.split.validation]))

@dataclass
class FoldData:
    """One train/validation pair, encoded."""

    prep: TabularPreprocessor | TimeSeriesFeatures
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    train_rows: np.ndarray
    val_rows: np.ndarray


def _useless(s: pd.Series, feature_type: str) -> bool:
    values = s.dropna()
    if values.empty or values.nunique() <= 1:
        return True
    return feature_type == "categorical" and len(s) > 20 and values.nunique() == len(s)


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def _lags(config: dict[str, Any]) -> list[int]:
    horizon = int(config.get("forecast_horizon") or 1)
    return [horizon, horizon + 1, horizon + 2]
