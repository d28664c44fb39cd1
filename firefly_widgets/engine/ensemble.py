"""Greedy ensemble selection (Caruana et al., 2004) over the models' validation predictions.

Starting from the best single model, each round adds (with replacement) the model whose addition
gives the best ensemble score; the ensemble is the weighted average of its members' predictions
(class probabilities or numbers), a member's weight being how often it was picked. At most
``max_size`` distinct models are used; the best ensemble seen over the rounds is kept, so it is never
worse than the best single model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from firefly_widgets.engine.metrics import MetricContext, compute_metric, sign

__all__ = ["EnsembleChoice", "blend", "select_ensemble"]


@dataclass(frozen=True)
class EnsembleChoice:
    """The members of an ensemble, their weights (summing to 1) and its validation score."""

    model_ids: tuple[int, ...]
    weights: tuple[float, ...]
    score: float


def blend(predictions: list[np.ndarray], weights: list[float]) -> np.ndarray:
    """The weighted average of members' predictions."""
    total = sum(weights)
    out = np.zeros_like(np.asarray(predictions[0], dtype=float))
    for p, w in zip(predictions, weights, strict=True):
        out += np.asarray(p, dtype=float) * (w / total)
    return out


def select_ensemble(predictions: Mapping[int, np.ndarray], y_true: np.ndarray, *, metric: str,
                    ctx: MetricContext, max_size: int, rounds: int = 25, max_candidates: int = 25,
                    patience: int = 5, latency: Mapping[int, float] | None = None,
                    max_latency: float | None = None,
                    scorer: Callable[[np.ndarray], float] | None = None) -> EnsembleChoice | None:
    """Choose an ensemble by greedy forward selection with replacement.

    Args:
        predictions: validation predictions by model id (same rows, same shape for every model).
        y_true: the validation targets.
        metric: the target metric.
        ctx: what the metric needs (classes, cost matrix).
        max_size: at most this many distinct models.
        rounds: how many picks at most.
        max_candidates: only the best this many single models are considered.
        patience: stop after this many picks without improvement.
        latency: seconds per row of each model's prediction (for ``max_latency``).
        max_latency: an ensemble's latency (the sum of its members') may not exceed this.
        scorer: override of the metric computation (for tests).

    Returns:
        The chosen ensemble, or None if there is no usable model.
    """
    score_of = scorer or (lambda p: compute_metric(metric, y_true, p, ctx))
    s = sign(metric)

    def fits(ids: set[int]) -> bool:
        if max_latency is None or latency is None:
            return True
        return sum(latency.get(i, 0.0) for i in ids) <= max_latency

    singles: list[tuple[float, int]] = []
    for mid, pred in predictions.items():
        if not fits({mid}):
            continue
        try:
            value = score_of(pred)
        except ValueError:
            continue
        if np.isfinite(value):
            singles.append((s * value, mid))
    if not singles:
        return None
    singles.sort(key=lambda t: (-t[0], t[1]))
    candidates = [mid for _, mid in singles[:max_candidates]]
    best_single_value, best_single = singles[0]
    if max_size <= 1 or len(candidates) == 1:
        return EnsembleChoice((best_single,), (1.0,), s * best_single_value)

    counts: dict[int, int] = {best_single: 1}
    total = np.asarray(predictions[best_single], dtype=float).copy()
    best_value, best_counts = best_single_value, dict(counts)
    stale = 0
    for r in range(1, rounds):
        pick_value, pick = -np.inf, None
        for mid in candidates:
            if mid not in counts and (len(counts) >= max_size or not fits(set(counts) | {mid})):
                continue
            trial = (total + predictions[mid]) / (r + 1)
            try:
                value = s * score_of(trial)
            except ValueError:
                continue
            if value > pick_value:
                pick_value, pick = value, mid
        if pick is None:
            break
        counts[pick] = counts.get(pick, 0) + 1
        total += predictions[pick]
        if pick_value > best_value + 1e-12:
            best_value, best_counts = pick_value, dict(counts)
            stale = 0
        else:
            stale += 1
            if stale >= patience:
                break
    ids = tuple(sorted(best_counts, key=lambda m: (-best_counts[m], m)))
    n = sum(best_counts.values())
    weights = tuple(best_counts[m] / n for m in ids)
    return EnsembleChoice(ids, weights, s * best_value)
