"""Turning a user's frame into a numeric matrix: typing, imputation, encoding, embeddings, scaling.

:class:`TabularPreprocessor` is a scikit-learn transformer, so a trained model is one
``Pipeline([("prep", TabularPreprocessor(...)), ("est", estimator)])`` that takes the raw frame; it
can be cloned and refitted (``refit_ensemble``) and pickled with joblib.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["TabularPreprocessor", "column_kinds"]

_DATETIME_PARTS = ("year", "month", "day", "dayofweek", "hour", "epoch_days")

#: an embedded column needs this many values seen at least twice
_EMBED_MIN_LEVELS = 5
#: the most values of a column that get a vector
_EMBED_MAX_LEVELS = 1000
#: the most values of a column used as context of the other columns
_EMBED_CONTEXT_LEVELS = 50
#: quantile bins of a numeric column used as context
_EMBED_BINS = 5


def column_kinds(feature_types: dict[str, str], columns: Sequence[str]) -> dict[str, list[str]]:
    """Group feature columns by kind (``numerical``, ``categorical``, ``datetime``, ``text``)."""
    kinds: dict[str, list[str]] = {"numerical": [], "categorical": [], "datetime": [], "text": []}
    for col in columns:
        kinds.setdefault(feature_types.get(col, "categorical"), kinds["categorical"]).append(col)
    return kinds


class TabularPreprocessor(TransformerMixin, BaseEstimator):
    """Impute, encode and optionally scale a mixed-type frame into a float matrix.

    Numeric columns are coerced to numbers and their missing values imputed with the median (plus a
    0/1 "was missing" column for each column that had missing values when fitted). Categorical and
    text columns keep their ``max_categories`` most frequent values, one-hot encoded (``encoding=
    "onehot"``) or as integer codes with ``-1`` for missing and unseen values (``"ordinal"``; for
    trees). Text columns also give their length and word count. Datetime columns become year, month,
    day, day of week, hour and days since the epoch.

    With ``embedding_dims > 0`` (the "feature embedding" step) each categorical or text column (a
    text value counts as one category) with at least 5 distinct values seen twice or more also gets a
    dense embedding of its values: the correspondence analysis (truncated SVD of the standardized
    residuals) of its value x context co-occurrence counts, where the context of a row is the values of
    the other categorical and text columns and the quantile bins of the numeric columns. Values seen in
    similar contexts get nearby vectors. Each kept value gets ``min(embedding_dims, levels // 2)``
    numbers (its principal coordinates); missing and unseen values get zeros (the average profile). It
    is unsupervised (the target is not used) and learnt from the rows ``fit`` sees only.

    Args:
        numeric: numeric column names.
        categorical: categorical column names.
        datetime: datetime column names.
        text: free text column names.
        encoding: ``"onehot"`` or ``"ordinal"``.
        scale: standardize the numeric outputs (for linear models, k-NN, SVMs...).
        max_categories: how many distinct values of a categorical column are kept.
        clip_quantile: if set, numeric values are clipped to the ``[q, 1-q]`` quantiles seen in fit
            (the "data cleaning after imputation" pipeline step).
        impute: fill missing numbers with medians (the "imputation" step); without it missing numbers
            stay NaN (for estimators that handle them natively).
        text_components: if > 0, each text column also becomes this many latent components of its
            TF-IDF matrix (the "text preprocessing" step).
        frequency_encoding: add each categorical value's frequency as a number (the "feature
            engineering" step).
        embedding_dims: if > 0, the most dimensions of each categorical column's embedding (the
            "feature embedding" step); 0 turns embeddings off.
    """

    def __init__(self, numeric: Sequence[str] = (), categorical: Sequence[str] = (),
                 datetime: Sequence[str] = (), text: Sequence[str] = (), encoding: str = "onehot",
                 scale: bool = False, max_categories: int = 30, clip_quantile: float | None = None,
                 impute: bool = True, text_components: int = 0, frequency_encoding: bool = False,
                 embedding_dims: int = 0):
        self.numeric = numeric
        self.categorical = categorical
        self.datetime = datetime
        self.text = text
        self.encoding = encoding
        self.scale = scale
        self.max_categories = max_categories
        self.clip_quantile = clip_quantile
        self.impute = impute
        self.text_components = text_components
        self.frequency_encoding = frequency_encoding
        self.embedding_dims = embedding_dims

    def __setstate__(self, state: dict[str, Any]) -> None:
        # models saved before the embedding step existed
        state.setdefault("embedding_dims", 0)
        if "sources_" in state:
            state.setdefault("embeddings_", {})
        super().__setstate__(state)

    # -- column typing -------------------------------------------------------------------------
    @staticmethod
    def _column(frame: pd.DataFrame, col: str) -> pd.Series:
        if col in frame.columns:
            return frame[col]
        return pd.Series([np.nan] * len(frame), index=frame.index, dtype=float)

    @staticmethod
    def _as_numeric(s: pd.Series) -> np.ndarray:
        if pd.api.types.is_bool_dtype(s.dtype):
            return s.astype(float).to_numpy()
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    @staticmethod
    def _as_text(s: pd.Series) -> pd.Series:
        out = s.astype(object).where(s.notna(), None)
        return out.map(lambda v: None if v is None else _label(v))

    def _datetime_block(self, frame: pd.DataFrame, col: str) -> np.ndarray:
        s = self._column(frame, col)
        if not pd.api.types.is_datetime64_any_dtype(s.dtype):
            s = pd.to_datetime(s, errors="coerce", format="mixed")
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        parts = [s.dt.year, s.dt.month, s.dt.day, s.dt.day_of_week, s.dt.hour,
                 (s - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)]
        return np.column_stack([p.to_numpy(dtype=float, na_value=np.nan) for p in parts])

    def _raw_numeric(self, frame: pd.DataFrame) -> np.ndarray:
        blocks = [self._as_numeric(self._column(frame, c)).reshape(-1, 1) for c in self.numeric]
        blocks += [self._datetime_block(frame, c) for c in self.datetime]
        for c in self.text:
            t = self._as_text(self._column(frame, c))
            length = t.map(lambda v: np.nan if v is None else len(v)).to_numpy(dtype=float)
            words = t.map(lambda v: np.nan if v is None else len(v.split())).to_numpy(dtype=float)
            blocks.append(np.column_stack([length, words]))
        if not blocks:
            return np.zeros((len(frame), 0))
        return np.hstack(blocks).astype(float)

    def _numeric_names(self) -> list[str]:
        names = list(self.numeric)
        names += [f"{c}__{p}" for c in self.datetime for p in _DATETIME_PARTS]
        names += [f"{c}__{p}" for c in self.text for p in ("length", "words")]
        return names

    def _numeric_sources(self) -> list[str]:
        sources = list(self.numeric)
        sources += [c for c in self.datetime for _ in _DATETIME_PARTS]
        sources += [c for c in self.text for _ in ("length", "words")]
        return sources

    # -- fit / transform -----------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: Any = None) -> TabularPreprocessor:
        """Learn medians, kept categories and scales from ``X``."""
        raw = self._raw_numeric(X)
        with np.errstate(all="ignore"):
            med = np.nanmedian(raw, axis=0) if raw.shape[1] else np.zeros(0)
        self.medians_ = np.where(np.isfinite(med), med, 0.0)
        self.missing_columns_ = [i for i in range(raw.shape[1]) if self.impute and np.isnan(raw[:, i]).any()]
        if self.clip_quantile and raw.shape[1]:
            with np.errstate(all="ignore"):
                lo = np.nanquantile(raw, self.clip_quantile, axis=0)
                hi = np.nanquantile(raw, 1 - self.clip_quantile, axis=0)
            self.clip_low_ = np.where(np.isfinite(lo), lo, -np.inf)
            self.clip_high_ = np.where(np.isfinite(hi), hi, np.inf)
        filled = self._impute(raw) if self.impute else raw
        self.categories_: dict[str, list[str]] = {}
        self.frequencies_: dict[str, dict[str, float]] = {}
        for col in list(self.categorical) + list(self.text):
            counts = self._as_text(self._column(X, col)).value_counts()
            self.categories_[col] = [str(v) for v in counts.index[: self.max_categories]]
            if self.frequency_encoding:
                self.frequencies_[col] = {str(k): float(v) / max(len(X), 1) for k, v in counts.items()}
        self.text_models_: dict[str, Any] = {}
        if self.text_components:
            for col in self.text:
                model = _fit_text_model(self._as_text(self._column(X, col)), self.text_components)
                if model is not None:
                    self.text_models_[col] = model
        #: column -> (kept values, their vectors ``(levels, d)``) for the embedding step
        self.embeddings_: dict[str, tuple[list[str], np.ndarray]] = {}
        if self.embedding_dims and self.embedding_dims > 0:
            self.embeddings_ = self._fit_embeddings(X)
        if self.scale and filled.shape[1]:
            self.means_ = np.nan_to_num(np.nanmean(filled, axis=0))
            std = np.nan_to_num(np.nanstd(filled, axis=0))
            self.stds_ = np.where(std > 0, std, 1.0)
        names = self._numeric_names()
        sources = self._numeric_sources()
        names += [f"{names[i]}__missing" for i in self.missing_columns_]
        sources += [sources[i] for i in self.missing_columns_]
        for col, model in self.text_models_.items():
            names += [f"{col}__text{i}" for i in range(model[1].n_components)]
            sources += [col] * model[1].n_components
        for col in self.frequencies_:
            names.append(f"{col}__frequency")
            sources.append(col)
        for col, (_, vectors) in self.embeddings_.items():
            names += [f"{col}__embed{i}" for i in range(vectors.shape[1])]
            sources += [col] * vectors.shape[1]
        for col in list(self.categorical) + list(self.text):
            if self.encoding == "onehot":
                names += [f"{col}={v}" for v in self.categories_[col]]
                sources += [col] * len(self.categories_[col])
            else:
                names.append(col)
                sources.append(col)
        self.feature_names_out_ = names
        #: the input column each output column comes from
        self.sources_ = sources
        self.n_features_out_ = len(names)
        return self

    def _fit_embeddings(self, X: pd.DataFrame) -> dict[str, tuple[list[str], np.ndarray]]:
        """The embedding of each eligible categorical or text column, learnt from the rows of ``X``."""
        columns = list(self.categorical) + list(self.text)
        codes: dict[str, np.ndarray] = {}
        levels: dict[str, list[str]] = {}
        for col in columns:
            values = self._as_text(self._column(X, col))
            counts = values.value_counts()
            kept = [str(v) for v, n in counts.items() if n >= 2][:_EMBED_MAX_LEVELS]
            index = {v: i for i, v in enumerate(kept)}
            levels[col] = kept
            codes[col] = values.map(lambda v, index=index: index.get(v, -1) if v is not None else -1) \
                .to_numpy(dtype=int)
        contexts: dict[str, Any] = {
            col: _indicator(np.where(codes[col] < _EMBED_CONTEXT_LEVELS, codes[col], -1),
                            min(len(levels[col]), _EMBED_CONTEXT_LEVELS))
            for col in columns}
        for col in self.numeric:
            contexts[f"numeric:{col}"] = _indicator(*_quantile_bins(self._as_numeric(self._column(X, col))))
        out: dict[str, tuple[list[str], np.ndarray]] = {}
        for col in columns:
            if len(levels[col]) < _EMBED_MIN_LEVELS:
                continue
            others = [m for key, m in contexts.items() if key != col and m.shape[1]]
            if not others:
                continue
            rows = _indicator(codes[col], len(levels[col]))
            counts = (rows.T @ sp.hstack(others, format="csr")).toarray()
            dims = min(int(self.embedding_dims), len(levels[col]) // 2)
            vectors = _correspondence_rows(counts, dims)
            if vectors is not None:
                out[col] = (levels[col], vectors)
        return out

    def _impute(self, raw: np.ndarray) -> np.ndarray:
        out = raw.copy()
        if getattr(self, "clip_low_", None) is not None and out.shape[1]:
            out = np.clip(out, self.clip_low_, self.clip_high_)
        nan = np.isnan(out)
        if nan.any() and self.impute:
            out[nan] = np.take(self.medians_, np.nonzero(nan)[1])
        return out

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Encode ``X`` as a float matrix with :attr:`feature_names_out_` columns."""
        raw = self._raw_numeric(X)
        filled = self._impute(raw)
        if self.scale and filled.shape[1]:
            filled = (filled - self.means_) / self.stds_
        blocks = [filled]
        if self.missing_columns_:
            blocks.append(np.isnan(raw[:, self.missing_columns_]).astype(float))
        for col, (vectorizer, svd) in self.text_models_.items():
            texts = self._as_text(self._column(X, col)).fillna("")
            blocks.append(svd.transform(vectorizer.transform(texts.tolist())))
        for col, freq in self.frequencies_.items():
            values = self._as_text(self._column(X, col))
            blocks.append(values.map(lambda v, freq=freq: freq.get(v, 0.0) if v is not None else 0.0)
                          .to_numpy(dtype=float).reshape(-1, 1))
        for col, (levels, vectors) in self.embeddings_.items():
            index = {v: i for i, v in enumerate(levels)}
            codes = self._as_text(self._column(X, col)).map(
                lambda v, index=index: index.get(v, -1) if v is not None else -1).to_numpy(dtype=int)
            block = np.zeros((len(codes), vectors.shape[1]))
            known = codes >= 0
            block[known] = vectors[codes[known]]
            blocks.append(block)
        for col in list(self.categorical) + list(self.text):
            values = self._as_text(self._column(X, col))
            cats = self.categories_[col]
            index = {v: i for i, v in enumerate(cats)}
            codes = values.map(lambda v, index=index: index.get(v, -1) if v is not None else -1)
            codes = codes.to_numpy(dtype=int)
            if self.encoding == "onehot":
                block = np.zeros((len(codes), len(cats)))
                rows = np.nonzero(codes >= 0)[0]
                block[rows, codes[rows]] = 1.0
                blocks.append(block)
            else:
                blocks.append(codes.reshape(-1, 1).astype(float))
        out = np.hstack(blocks) if blocks else np.zeros((len(X), 0))
        if out.shape[1] == 0:  # no usable feature at all: a constant column keeps estimators working
            out = np.zeros((len(X), 1))
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The output column names."""
        return np.asarray(self.feature_names_out_ or ["constant"], dtype=object)


def _indicator(codes: np.ndarray, n_levels: int) -> Any:
    """A sparse ``(rows, n_levels)`` 0/1 matrix with a one where ``codes`` is a level (``-1``: none)."""
    rows = np.nonzero(codes >= 0)[0]
    data = np.ones(len(rows))
    return sp.csr_matrix((data, (rows, codes[rows])), shape=(len(codes), n_levels))


def _quantile_bins(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes of ``values`` in quantile bins of their own distribution (``-1`` for missing)."""
    finite = np.isfinite(values)
    if not finite.any():
        return np.full(len(values), -1), 0
    edges = np.unique(np.quantile(values[finite], np.linspace(0, 1, _EMBED_BINS + 1)[1:-1]))
    codes = np.searchsorted(edges, np.where(finite, values, 0.0), side="right")
    return np.where(finite, codes, -1), len(edges) + 1


def _correspondence_rows(counts: np.ndarray, dims: int) -> np.ndarray | None:
    """Principal row coordinates of a correspondence analysis of a count matrix.

    Rows with the same profile (counts proportional to each other) get the same coordinates; the
    mass-weighted average row is at the origin. Returns ``(rows, d)`` with ``d <= dims``, or None
    when the matrix has no usable structure."""
    total = counts.sum()
    if total <= 0 or dims < 1:
        return None
    p = counts / total
    r = p.sum(axis=1)
    c = p.sum(axis=0)
    keep_cols = c > 0
    p, c = p[:, keep_cols], c[keep_cols]
    rank = min(p.shape[0], p.shape[1]) - 1
    dims = min(dims, rank)
    if dims < 1:
        return None
    safe_r = np.where(r > 0, r, 1.0)
    residuals = (p - np.outer(r, c)) / np.sqrt(np.outer(safe_r, c))
    if min(residuals.shape) > 300:
        from sklearn.utils.extmath import randomized_svd

        u, s, _ = randomized_svd(residuals, n_components=dims, random_state=0)
    else:
        u, s, _ = np.linalg.svd(residuals, full_matrices=False)
        u, s = u[:, :dims], s[:dims]
    # a deterministic sign: the largest loading of each component is positive
    signs = np.sign(u[np.argmax(np.abs(u), axis=0), np.arange(u.shape[1])])
    u = u * np.where(signs == 0, 1.0, signs)
    vectors = u * s / np.sqrt(safe_r)[:, None]
    vectors[r <= 0] = 0.0
    return vectors


def _fit_text_model(texts: pd.Series, components: int) -> tuple[Any, Any] | None:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = texts.fillna("").tolist()
    vectorizer = TfidfVectorizer(max_features=20000, ngram_range=(1, 2), min_df=2 if len(docs) > 50 else 1,
                                 sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(docs)
    except ValueError:  # empty vocabulary
        return None
    k = min(components, matrix.shape[1] - 1, max(len(docs) - 1, 1))
    if k < 1:
        return None
    svd = TruncatedSVD(n_components=k, random_state=0).fit(matrix)
    return vectorizer, svd


def _label(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    return str(v).strip()
