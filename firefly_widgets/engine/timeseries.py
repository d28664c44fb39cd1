"""Lag features for the timeseries problem types.

With ``forecast_horizon`` h, a row may only use what was known h steps earlier: the lag columns are
the values of the chosen numeric columns (and, with the ``time_series_auto_features`` pipeline step,
of the target) h, h+1 and h+2 rows earlier in time order. Rows are put in time order by the time axis
to compute the lags and returned in their original order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["add_lag_features", "lag_column_names"]


def lag_column_names(columns: Sequence[str], target: str, lags: Sequence[int], use_target: bool) -> list[str]:
    """The names of the lag columns :func:`add_lag_features` adds."""
    sources = list(columns) + ([target] if use_target else [])
    return [f"lag__{c}__{k}" for c in sources for k in lags]


def add_lag_features(frame: pd.DataFrame, *, time_axis: str | None, target: str, lags: Sequence[int],
                     columns: Sequence[str], use_target: bool) -> pd.DataFrame:
    """A copy of ``frame`` with lag columns added (missing where no earlier row exists).

    Args:
        frame: the rows (a target column is used for target lags when present; a prediction file
            without it gets missing target lags).
        time_axis: the column giving time order (None: the frame's order).
        target: the target column's name.
        lags: the lags in rows, e.g. ``[1, 2, 3]``.
        columns: the numeric columns to lag.
        use_target: also lag the target.
    """
    out = frame.copy()
    if time_axis and time_axis in frame.columns:
        t = frame[time_axis]
        if not pd.api.types.is_datetime64_any_dtype(t.dtype):
            numeric = pd.to_numeric(t, errors="coerce")
            t = numeric if numeric.notna().mean() > 0.9 else pd.to_datetime(t, errors="coerce", format="mixed")
        order = np.argsort(t.to_numpy(), kind="stable")
    else:
        order = np.arange(len(frame))
    sources = list(columns) + ([target] if use_target else [])
    new: dict[str, np.ndarray] = {}
    for col in sources:
        if col in frame.columns:
            values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)[order]
        else:
            values = np.full(len(frame), np.nan)
        for k in lags:
            shifted = np.full(len(frame), np.nan)
            if k < len(frame):
                shifted[k:] = values[:-k] if k > 0 else values
            back = np.empty(len(frame))
            back[order] = shifted
            new[f"lag__{col}__{k}"] = back
    if new:
        out = pd.concat([out, pd.DataFrame(new, index=frame.index)], axis=1)
    return out
