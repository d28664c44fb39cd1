"""Statistical forecasters for ``regression_timeseries``: Holt-Winters, SARIMAX and a recent-mean baseline.

They fit the engine's estimator interface (a ``Pipeline([("prep", ...), ("est", ...)])`` on the raw
frame), but work on the target *series*:

- :class:`TimeSeriesFeatures` (the ``"timeseries"`` encoding) turns a frame into a matrix whose first
  column is the row's time (days since the epoch for dates, else the number) and whose other columns
  are the numeric features with missing values imputed (exogenous regressors, optional).
- :class:`SeriesForecaster` sorts its training rows by time, fits the statistical model on the
  target series, and predicts a row from its position relative to the end of training: a row ``k``
  time steps after the last training row gets the ``k``-step-ahead forecast (so the validation part,
  the test part and a new datasource of future rows are forecast from the training origin), a row
  inside the training period gets the model's in-sample (one-step-ahead) value. The time step is the
  median spacing of the training times.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin

__all__ = ["METHODS", "SeriesForecaster", "TimeSeriesFeatures"]

#: the forecasting methods, by ``Estimator`` value
METHODS = ("exponential_smoothing", "arima", "average_estimator")
#: forecasts reach at most this many steps past the training data (later rows get the last one)
MAX_HORIZON = 10_000


def _time_values(s: pd.Series) -> np.ndarray:
    """Times as floats: days since the epoch for dates, else the numbers (NaN where unreadable)."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return np.full(len(s), np.nan)
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        numeric = pd.to_numeric(s, errors="coerce")
        if numeric.notna().mean() > 0.9:
            return numeric.to_numpy(dtype=float, na_value=np.nan)
        s = pd.to_datetime(s, errors="coerce", format="mixed")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return ((s - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy(dtype=float, na_value=np.nan)


class TimeSeriesFeatures(TransformerMixin, BaseEstimator):
    """Frame -> ``[time, exogenous...]`` matrix for :class:`SeriesForecaster`.

    Args:
        time_axis: the time column (None or absent: rows are taken in frame order).
        exog: numeric columns passed as exogenous regressors (missing values get training medians).
    """

    def __init__(self, time_axis: str | None = None, exog: Sequence[str] = ()):
        self.time_axis = time_axis
        self.exog = exog

    def _exog(self, X: pd.DataFrame) -> np.ndarray:
        cols = [pd.to_numeric(X[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan) if c in X.columns
                else np.full(len(X), np.nan) for c in self.exog]
        return np.column_stack(cols) if cols else np.zeros((len(X), 0))

    def fit(self, X: pd.DataFrame, y: Any = None) -> TimeSeriesFeatures:
        """Learn the exogenous columns' medians."""
        raw = self._exog(X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            med = np.nanmedian(raw, axis=0) if raw.shape[1] and len(raw) else np.zeros(raw.shape[1])
        self.medians_ = np.where(np.isfinite(med), med, 0.0)
        self.feature_names_out_ = ["time"] + list(self.exog)
        self.sources_ = [self.time_axis or "time"] + list(self.exog)
        self.n_features_out_ = len(self.feature_names_out_)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """The ``[time, exogenous...]`` matrix (time NaN when the time axis is absent)."""
        if self.time_axis and self.time_axis in X.columns:
            t = _time_values(X[self.time_axis])
        else:
            t = np.full(len(X), np.nan)
        raw = self._exog(X)
        if raw.shape[1]:
            nan = np.isnan(raw)
            raw[nan] = np.take(self.medians_, np.nonzero(nan)[1])
        return np.column_stack([t, raw])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The output column names."""
        return np.asarray(self.feature_names_out_, dtype=object)


class SeriesForecaster(RegressorMixin, BaseEstimator):
    """A statistical forecaster of the target series, predicting rows by their time position.

    Args:
        method: ``exponential_smoothing`` (Holt-Winters, statsmodels), ``arima`` (SARIMAX,
            statsmodels) or ``average_estimator`` (the mean of the last ``window`` targets).
        trend: Holt-Winters trend, ``"add"`` or None.
        damped_trend: damp the Holt-Winters trend.
        seasonal_periods: season length in steps (Holt-Winters additive season; 0 = none).
        order: ARIMA ``(p, d, q)``.
        trend_term: SARIMAX deterministic trend (``"n"``, ``"c"``, ``"t"``, ``"ct"``).
        use_exog: pass the exogenous columns to SARIMAX.
        window: rows averaged by ``average_estimator``.
    """

    def __init__(self, method: str = "exponential_smoothing", trend: str | None = "add",
                 damped_trend: bool = False, seasonal_periods: int = 0, order: tuple[int, int, int] = (1, 1, 0),
                 trend_term: str = "n", use_exog: bool = False, window: int = 5):
        self.method = method
        self.trend = trend
        self.damped_trend = damped_trend
        self.seasonal_periods = seasonal_periods
        self.order = order
        self.trend_term = trend_term
        self.use_exog = use_exog
        self.window = window

    # -- fitting ------------------------------------------------------------------------------------
    def fit(self, X: np.ndarray, y: np.ndarray) -> SeriesForecaster:
        """Fit on the training rows (sorted here by their time)."""
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        if len(y) < 2:
            raise ValueError("a forecaster needs at least 2 training rows")
        t = X[:, 0]
        if np.isnan(t).all():
            t = np.arange(len(y), dtype=float)
        order = np.argsort(np.where(np.isnan(t), np.inf, t), kind="stable")
        t, y, exog = t[order], y[order], X[order, 1:]
        diffs = np.diff(t[np.isfinite(t)])
        positive = diffs[diffs > 0]
        self.step_ = float(np.median(positive)) if len(positive) else 1.0
        self.last_time_ = float(np.nanmax(t)) if np.isfinite(t).any() else float(len(y) - 1)
        self.times_ = t
        self.exog_mean_ = exog.mean(axis=0) if exog.shape[1] else np.zeros(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.fitted_, self.result_ = self._fit_model(y, exog)
        self.n_train_ = len(y)
        return self

    def _fit_model(self, y: np.ndarray, exog: np.ndarray) -> tuple[np.ndarray, Any]:
        if self.method == "average_estimator":
            window = max(1, int(self.window))
            means = np.array(pd.Series(y).rolling(window, min_periods=1).mean().shift(1), dtype=float)
            means[0] = y[0]
            self.level_ = float(np.mean(y[-window:]))
            return means, None
        if self.method == "exponential_smoothing":
            from statsmodels.tsa.holtwinters import ExponentialSmoothing

            season = int(self.seasonal_periods or 0)
            seasonal = "add" if season >= 2 and len(y) >= 2 * season + 2 else None
            model = ExponentialSmoothing(y, trend=self.trend, damped_trend=bool(self.damped_trend and self.trend),
                                         seasonal=seasonal, seasonal_periods=season if seasonal else None,
                                         initialization_method="estimated")
            result = model.fit()
            return np.asarray(result.fittedvalues, dtype=float), result
        if self.method == "arima":
            from statsmodels.tsa.statespace.sarimax import SARIMAX

            use_exog = bool(self.use_exog) and exog.shape[1] > 0
            trend = self.trend_term  # with d > 0 SARIMAX's constant acts as a drift
            model = SARIMAX(y, exog=exog if use_exog else None, order=tuple(int(v) for v in self.order),
                            trend=trend, enforce_stationarity=False, enforce_invertibility=False)
            result = model.fit(disp=False, maxiter=200)
            fitted = np.asarray(result.fittedvalues, dtype=float)
            if int(self.order[1]) > 0 and len(fitted):
                fitted[0] = y[0]  # the first differenced step has no history
            return fitted, result
        raise ValueError(f"unknown forecasting method {self.method!r}; choose from {', '.join(METHODS)}")

    # -- predicting ---------------------------------------------------------------------------------
    def _steps(self, t: np.ndarray) -> np.ndarray:
        """Each row's position relative to the last training row (1 = the next step)."""
        if np.isnan(t).all():
            return np.arange(1, len(t) + 1)
        k = np.rint((t - self.last_time_) / self.step_)
        return np.clip(np.where(np.isnan(k), 1, k), -len(self.times_), MAX_HORIZON).astype(int)

    def _forecast(self, horizon: int, exog_rows: dict[int, np.ndarray]) -> np.ndarray:
        if self.method == "average_estimator":
            return np.full(horizon, self.level_)
        if self.method == "arima" and self.result_.model.k_exog:
            exog = np.tile(self.exog_mean_, (horizon, 1))
            for k, row in exog_rows.items():
                exog[k - 1] = row
            return np.asarray(self.result_.forecast(horizon, exog=exog), dtype=float)
        return np.asarray(self.result_.forecast(horizon), dtype=float)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Forecasts for rows after the training period, in-sample values for rows inside it."""
        X = np.asarray(X, dtype=float)
        steps = self._steps(X[:, 0])
        out = np.empty(len(steps))
        inside = steps <= 0
        if inside.any():
            times = self.last_time_ + steps[inside] * self.step_
            index = np.clip(np.searchsorted(self.times_, times - self.step_ / 2), 0, self.n_train_ - 1)
            out[inside] = self.fitted_[index]
        if (~inside).any():
            horizon = int(steps.max())
            exog_rows = {int(k): X[i, 1:] for i, k in enumerate(steps) if k > 0}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                forecast = self._forecast(horizon, exog_rows)
            out[~inside] = forecast[steps[~inside] - 1]
        return out
