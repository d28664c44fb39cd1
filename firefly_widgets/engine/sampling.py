"""Training-set reshaping for classification: balancing weights and synthetic minority rows.

These are the ``balancing`` and ``auto_sample_generation`` pipeline steps. Both are choices of the
search (a trial may use them or not) when the task allows them, and only ever touch training rows.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.class_weight import compute_sample_weight

__all__ = ["balanced_weights", "synthesize_minority"]


def balanced_weights(y: np.ndarray) -> np.ndarray:
    """Row weights that give every class the same total weight."""
    return compute_sample_weight("balanced", y)


def synthesize_minority(x: np.ndarray, y: np.ndarray, *, seed: int = 0,
                        share: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Add synthetic rows to small classes (SMOTE-like interpolation between two rows of the class).

    Every class with fewer rows than ``share`` times the largest class (and at least 2 rows) grows to
    that size, or to 5 times its size if that is smaller. Synthetic rows lie on segments between two
    random rows of the same class.

    Returns:
        ``(x, y)`` with the synthetic rows appended after the real ones.
    """
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    target = int(share * counts.max())
    new_x, new_y = [x], [y]
    for c, n in zip(classes, counts, strict=True):
        if n < 2 or n >= target:
            continue
        m = min(target, 5 * n) - n
        rows = np.nonzero(y == c)[0]
        a = x[rng.choice(rows, m)]
        b = x[rng.choice(rows, m)]
        new_x.append(a + rng.random((m, 1)) * (b - a))
        new_y.append(np.full(m, c, dtype=y.dtype))
    return np.vstack(new_x), np.concatenate(new_y)
