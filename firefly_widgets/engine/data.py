"""Reading user CSV files and describing them: column types, warnings, dataset metadata.

User data is only ever parsed as CSV text by pandas; it is never executed or unpickled.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from firefly_widgets.engine.contract import ConfigError, DataError
from firefly_widgets.enums import CLASSIFICATION_LIKE, TIMESERIES_PROBLEMS

__all__ = [
    "analyze_csv",
    "base_type",
    "class_labels",
    "describe_dataset",
    "feature_type",
    "read_frame",
]

_SNIFF_BYTES = 64 * 1024
_DATE_RE = re.compile(
    r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?"
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}([ T]\d{1,2}:\d{2}(:\d{2})?)?)\s*$"
)


def _check_text_file(path: str) -> None:
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(_SNIFF_BYTES)
    except OSError as err:
        raise DataError(f"cannot read the data file: {err.strerror or err}") from err
    if size == 0 or not head.strip():
        raise DataError("the file is empty")
    if b"\x00" in head:
        raise DataError("the file is not CSV text (it contains binary data)")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 4:  # a multi-byte character cut at the sniff boundary is fine
            raise DataError("the file is not UTF-8 CSV text") from err


def _header(path: str) -> list[str]:
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        row = next(csv.reader(f), None)
    if not row or not any(c.strip() for c in row):
        raise DataError("the file has no header row of column names")
    return row


def read_frame(path: str, *, na_values: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a CSV file into a DataFrame, with datetime-looking text columns parsed as datetimes.

    Args:
        path: the CSV file.
        na_values: extra strings to read as missing.

    Returns:
        The frame, with the CSV's column names in order.

    Raises:
        DataError: not CSV, empty, no columns, duplicate or empty column names, no rows.
    """
    _check_text_file(path)
    header = _header(path)
    names = [h.strip() for h in header]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DataError(f"duplicate column names: {', '.join(dupes)}")
    if any(n == "" for n in names):
        raise DataError("a column has an empty name")
    try:
        frame = pd.read_csv(path, na_values=list(na_values or []) or None, keep_default_na=True,
                            low_memory=False, skipinitialspace=True, encoding="utf-8",
                            encoding_errors="replace")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise DataError(f"cannot parse the file as CSV: {err}") from err
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.shape[1] == 0:
        raise DataError("the file has no columns")
    if frame.shape[0] == 0:
        raise DataError("the file has a header but no data rows")
    for col in frame.columns:
        if _is_text(frame[col]) and _looks_like_datetime(frame[col]):
            frame[col] = pd.to_datetime(frame[col], errors="coerce", format="mixed")
    return frame


def _is_text(s: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)


def _looks_like_datetime(s: pd.Series) -> bool:
    values = s.dropna()
    if values.empty:
        return False
    sample = values.astype(str).head(200)
    if sample.map(lambda v: bool(_DATE_RE.match(v))).mean() < 0.9:
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.9)


def base_type(s: pd.Series) -> str:
    """A column's base type: ``int``, ``float``, ``str``, ``bool`` or ``datetime``."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return "datetime"
    if pd.api.types.is_integer_dtype(s.dtype):
        return "int"
    if pd.api.types.is_float_dtype(s.dtype):
        values = s.dropna()
        if len(values) and np.all(np.equal(np.mod(values.to_numpy(), 1), 0)):
            return "int"
        return "float"
    values = s.dropna().astype(str).str.strip().str.lower()
    if len(values) and values.isin(["true", "false"]).all():
        return "bool"
    return "str"


def feature_type(s: pd.Series, base: str) -> str:
    """A column's feature type: ``numerical``, ``categorical``, ``text`` or ``datetime``."""
    if base == "datetime":
        return "datetime"
    if base in ("int", "float"):
        return "numerical"
    if base == "bool":
        return "categorical"
    values = s.dropna().astype(str)
    if values.empty:
        return "categorical"
    words = values.str.count(r"\s+") + 1
    if values.str.len().mean() > 30 and words.mean() >= 4 and values.nunique() > 0.5 * len(values):
        return "text"
    return "categorical"


def _warnings(s: pd.Series, feature_type: str) -> list[str]:
    out: list[str] = []
    n = len(s)
    missing = int(s.isna().sum())
    if missing == n:
        out.append("all values are missing")
        return out
    if missing:
        out.append(f"{missing} missing values ({100.0 * missing / n:.1f}%)")
    unique = int(s.nunique(dropna=True))
    if unique == 1:
        out.append("constant column (one distinct value)")
    elif feature_type == "categorical" and n > 20 and unique == n - missing:
        out.append("every value is distinct (an identifier?)")
    elif feature_type == "categorical" and unique > 100:
        out.append(f"high cardinality ({unique} distinct values)")
    return out


def analyze_csv(path: str, *, na_values: Sequence[str] | None = None) -> dict[str, Any]:
    """Describe a CSV file's columns.

    Args:
        path: the CSV file.
        na_values: extra strings to read as missing.

    Returns:
        ``{"row_count", "columns", "base_types", "feature_types", "warnings", "data_size"}``; base
        types are ``int|float|str|bool|datetime``, feature types ``numerical|categorical|text|datetime``,
        warnings map a column to a list of messages.

    Raises:
        DataError: the file is not usable CSV.

    Example:
        >>> info = analyze_csv("iris.csv")  # doctest: +SKIP
        >>> info["feature_types"]["species"]  # doctest: +SKIP
        'categorical'
    """
    frame = read_frame(path, na_values=na_values)
    base_types: dict[str, str] = {}
    feature_types: dict[str, str] = {}
    warnings: dict[str, list[str]] = {}
    for col in frame.columns:
        base = base_type(frame[col])
        base_types[col] = base
        feature_types[col] = feature_type(frame[col], base)
        w = _warnings(frame[col], feature_types[col])
        if w:
            warnings[col] = w
    return {
        "row_count": int(frame.shape[0]),
        "columns": list(frame.columns),
        "base_types": base_types,
        "feature_types": feature_types,
        "warnings": warnings,
        "data_size": int(os.path.getsize(path)),
    }


def class_labels(target: pd.Series) -> pd.Series:
    """The target's values as class label strings (``1.0`` read by pandas becomes ``"1"``).

    Missing values stay missing.
    """
    s = target
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.map(lambda v: None if pd.isna(v) else str(bool(v))).astype(object)
    if pd.api.types.is_float_dtype(s.dtype):
        values = s.dropna()
        if len(values) and np.all(np.equal(np.mod(values.to_numpy(), 1), 0)):
            return s.map(lambda v: None if pd.isna(v) else str(int(v))).astype(object)
    return s.map(lambda v: None if pd.isna(v) else str(v).strip()).astype(object)


def describe_dataset(data_path: str, *, target: str, problem_type: str,
                     na_values: Sequence[str] | None = None, time_axis: str | None = None,
                     not_used: Sequence[str] | None = None) -> dict[str, Any]:
    """Check a dataset definition against its data and describe it.

    Args:
        data_path: the datasource's CSV file.
        target: the target column.
        problem_type: a ``ProblemType`` value.
        na_values: extra strings read as missing.
        time_axis: the time column (required for timeseries problem types).
        not_used: columns to ignore.

    Returns:
        JSON metadata: ``n_rows`` (rows with a target), ``n_features``, ``features`` (names),
        ``feature_types``, ``classes`` (sorted label strings for classification-like problems, else
        None), ``class_counts``, ``target_stats`` (min/max/mean/std for regression), ``target``,
        ``problem_type``, ``time_axis``, ``not_used``, ``missing_target_rows``.

    Raises:
        ConfigError: unknown problem type, missing target/time axis/not_used column, a regression
            target that is not numeric, a classification target with one class only, ...
        DataError: the file is not usable CSV.
    """
    from firefly_widgets.engine.options import PROBLEM_TYPES

    if problem_type not in PROBLEM_TYPES:
        raise ConfigError("problem_type", f"problem_type: unknown value {problem_type!r}; choose from "
                          f"{', '.join(PROBLEM_TYPES)}")
    frame = read_frame(data_path, na_values=na_values)
    columns = list(frame.columns)
    if not target or target not in frame.columns:
        raise ConfigError("target", f"target: column {target!r} is not in the data; columns are "
                          f"{', '.join(columns[:50])}")
    not_used = list(not_used or [])
    unknown = [c for c in not_used if c not in frame.columns]
    if unknown:
        raise ConfigError("not_used", f"not_used: columns not in the data: {', '.join(map(str, unknown))}")
    if target in not_used:
        raise ConfigError("not_used", "not_used: the target column cannot be unused")
    if time_axis:
        if time_axis not in frame.columns:
            raise ConfigError("time_axis", f"time_axis: column {time_axis!r} is not in the data")
        if time_axis == target:
            raise ConfigError("time_axis", "time_axis: the time axis cannot be the target")
    elif problem_type in TIMESERIES_PROBLEMS:
        raise ConfigError("time_axis", f"time_axis: a {problem_type} dataset needs a time axis column")
    y = frame[target]
    missing_target = int(y.isna().sum())
    y = y.dropna()
    if y.empty:
        raise ConfigError("target", f"target: column {target!r} has no values")
    features = [c for c in columns if c != target and c not in not_used]
    if not features:
        raise ConfigError("not_used", "not_used: no feature columns are left besides the target")
    analysis_types = {c: feature_type(frame[c], base_type(frame[c])) for c in features}
    meta: dict[str, Any] = {
        "target": target,
        "problem_type": problem_type,
        "n_rows": int(len(y)),
        "missing_target_rows": missing_target,
        "n_features": len(features),
        "features": features,
        "feature_types": analysis_types,
        "time_axis": time_axis or None,
        "not_used": not_used,
        "classes": None,
        "class_counts": None,
        "target_stats": None,
    }
    if problem_type in CLASSIFICATION_LIKE:
        labels = class_labels(y)
        counts = labels.value_counts()
        if len(counts) < 2:
            raise ConfigError("target", f"target: column {target!r} has only one class "
                              f"({counts.index[0]!r}); classification needs at least two")
        if len(counts) > 0.5 * len(labels) and len(counts) > 100:
            raise ConfigError("target", f"target: column {target!r} has {len(counts)} distinct values "
                              f"in {len(labels)} rows; it looks like a regression target or an identifier")
        classes = sorted(counts.index, key=_class_sort_key)
        meta["classes"] = classes
        meta["class_counts"] = {c: int(counts[c]) for c in classes}
    else:
        numeric = pd.to_numeric(y, errors="coerce") if not pd.api.types.is_bool_dtype(y.dtype) else None
        if numeric is None or numeric.isna().any() or pd.api.types.is_datetime64_any_dtype(y.dtype):
            bad = y[numeric.isna()].iloc[0] if numeric is not None and numeric.isna().any() else y.iloc[0]
            raise ConfigError("target", f"target: a {problem_type} target must be numeric; column "
                              f"{target!r} has values like {str(bad)!r}")
        meta["target_stats"] = {
            "min": float(numeric.min()), "max": float(numeric.max()),
            "mean": float(numeric.mean()), "std": float(numeric.std(ddof=0)),
        }
    return meta


def _class_sort_key(label: str) -> tuple[int, float, str]:
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)
