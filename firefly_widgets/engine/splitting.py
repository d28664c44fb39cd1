"""Holdout and cross-validation splits honouring the task's splitting strategy.

- ``stratified``: every part keeps the class proportions (classes with too few rows to be split fall
  back to a shuffled assignment).
- ``shuffled``: a seeded random permutation.
- ``time_order``: rows in time order (by the time axis, else file order); train first, then
  validation, then test (the most recent rows), so no model is validated on the past.

Every class present in the data is guaranteed at least one training row (a row is moved from
validation or test into train when needed), so that every model learns every class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Split", "cv_folds", "holdout_split"]


@dataclass(frozen=True)
class Split:
    """Row positions of the train, validation and test parts."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray


def _counts(n: int, train: float, validation: float, test: float) -> tuple[int, int, int]:
    n_test = int(round(n * test))
    n_val = int(round(n * validation))
    n_train = min(n - n_val - n_test, int(round(n * train)))
    if validation > 0:
        n_val = max(n_val, 1)
    if test > 0:
        n_test = max(n_test, 1)
    n_train = max(1, min(n_train, n - n_val - n_test))
    return n_train, n_val, n_test


def _stratified_order(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A permutation where each class's rows are spread evenly, so any prefix is stratified."""
    keys = np.empty(len(y))
    for c in np.unique(y):
        rows = np.nonzero(y == c)[0]
        rng.shuffle(rows)
        # position of each row of the class spread uniformly over [0, 1), jittered
        keys[rows] = (np.arange(len(rows)) + rng.random(len(rows))) / len(rows)
    return np.argsort(keys, kind="stable")


def holdout_split(n: int, *, strategy: str, train: float, validation: float, test: float, seed: int,
                  y: np.ndarray | None = None, time_order: np.ndarray | None = None) -> Split:
    """Split ``n`` rows into train, validation and test positions.

    Args:
        n: number of rows.
        strategy: ``stratified``, ``shuffled`` or ``time_order``.
        train: fraction of rows for training.
        validation: fraction for validation.
        test: fraction for the test part (never seen by the search).
        seed: the random seed.
        y: class indices (for stratification and the every-class-in-train rule), else None.
        time_order: row positions sorted by time (for ``time_order``); None means file order.

    Returns:
        The three parts as sorted arrays of row positions.
    """
    rng = np.random.default_rng(seed)
    n_train, n_val, n_test = _counts(n, train, validation, test)
    if strategy == "time_order":
        order = np.asarray(time_order) if time_order is not None else np.arange(n)
        # the most recent rows are the test part, before them validation, before them train
        test_rows = order[n - n_test:]
        val_rows = order[n - n_test - n_val: n - n_test]
        train_rows = order[max(0, n - n_test - n_val - n_train): n - n_test - n_val]
    elif strategy == "stratified" and y is not None:
        test_rows, val_rows, train_rows = _spread(np.asarray(y), n_train, n_val, n_test, rng)
    else:
        order = rng.permutation(n)
        test_rows = order[:n_test]
        val_rows = order[n_test:n_test + n_val]
        train_rows = order[n_test + n_val:n_test + n_val + n_train]
    if y is not None:
        train_rows, val_rows, test_rows = _every_class_in_train(np.asarray(y), train_rows, val_rows, test_rows)
    return Split(np.sort(train_rows), np.sort(val_rows), np.sort(test_rows))


def _spread(y: np.ndarray, n_train: int, n_val: int, n_test: int,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Assign parts class by class, each class split in the parts' proportions."""
    n = len(y)
    fractions = np.array([n_test, n_val, n_train], dtype=float) / n
    parts: list[list[int]] = [[], [], []]
    for c in np.unique(y):
        rows = np.nonzero(y == c)[0]
        rng.shuffle(rows)
        cut = np.floor(np.cumsum(fractions) * len(rows) + rng.random()).astype(int)
        cut = np.clip(cut, 0, len(rows))
        start = 0
        for i in range(3):
            parts[i].extend(rows[start:cut[i]])
            start = cut[i]
    return tuple(np.asarray(p, dtype=int) for p in parts)  # type: ignore[return-value]


def _every_class_in_train(y: np.ndarray, train: np.ndarray, val: np.ndarray,
                          test: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    present = set(np.unique(y[train]).tolist()) if len(train) else set()
    train, val, test = list(train), list(val), list(test)
    for c in np.unique(y):
        if c in present:
            continue
        for part in (val, test):
            rows = [r for r in part if y[r] == c]
            if rows:
                part.remove(rows[0])
                train.append(rows[0])
                break
    return np.asarray(train, dtype=int), np.asarray(val, dtype=int), np.asarray(test, dtype=int)


def cv_folds(rows: np.ndarray, *, n_folds: int, strategy: str, seed: int, y: np.ndarray | None = None,
             fold_size: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cross-validation folds over ``rows`` (positions, in time order for ``time_order``).

    For ``time_order`` the folds are expanding windows: fold ``i`` validates on the ``i``-th block of
    ``fold_size`` rows (default: an equal share) and trains on every row before it. Otherwise the
    rows are shuffled (stratified by class when asked) into ``n_folds`` folds.

    Returns:
        ``(train_positions, validation_positions)`` per fold.
    """
    rows = np.asarray(rows)
    rng = np.random.default_rng(seed)
    if strategy == "time_order":
        size = fold_size or max(1, len(rows) // (n_folds + 1))
        folds = []
        for i in range(n_folds):
            end = len(rows) - (n_folds - 1 - i) * size
            start = end - size
            if start < 1:
                continue
            folds.append((rows[:start], rows[start:end]))
        return folds
    if strategy == "stratified" and y is not None:
        order = _stratified_order(np.asarray(y)[rows], rng)
    else:
        order = rng.permutation(len(rows))
    assignment = np.empty(len(rows), dtype=int)
    assignment[order] = np.arange(len(rows)) % n_folds
    return [(np.sort(rows[assignment != k]), np.sort(rows[assignment == k])) for k in range(n_folds)]
