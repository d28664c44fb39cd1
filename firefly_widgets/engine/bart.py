"""Bayesian additive regression trees (BART), written in numpy.

The model of Chipman, George & McCulloch (2010), "BART: Bayesian additive regression trees",
Ann. Appl. Stat. 4(1): ``y = f_1(x) + ... + f_m(x) + e``, every ``f_j`` a regression tree kept small
by its prior, fitted by Bayesian backfitting MCMC:

- tree prior: a node at depth ``d`` splits with probability ``alpha (1 + d)^-beta`` (zero when no
  split is available in it); the split variable is uniform among the variables that vary in the node,
  the cut uniform among the quantile cut points (at most ``n_cuts`` per variable) that leave rows on
  both sides. Proposals GROW, PRUNE and CHANGE (the rule of a node whose children are leaves), accepted
  with the Metropolis-Hastings ratio; the leaf values are integrated out of that ratio.
- leaf prior ``mu ~ N(0, sigma_mu^2)``: regression targets are scaled to ``[-0.5, 0.5]`` and
  ``sigma_mu = 0.5 / (k sqrt(m))``; probit classification uses ``sigma_mu = 3 / (k sqrt(m))``.
- noise prior ``sigma^2 ~ nu lambda / chi2_nu`` with ``lambda`` set so that ``P(sigma < sigma_hat) = q``,
  ``sigma_hat`` the residual sd of a least squares fit (the sd of ``y`` when there are too few rows).
- classification: probit BART with the Albert-Chib latent variable ``z ~ N(f(x), 1)``; like the R
  package BART's ``pbart``, ``f`` is offset by ``Phi^-1(mean(y))``.

Predictions are posterior means over the ``n_draws`` sweeps kept after ``n_burn`` burn-in sweeps:
of the sum of trees for regression, of ``Phi(f(x))`` for classification.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special, stats
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from firefly_widgets.engine.training import FitTimeout

__all__ = ["BARTClassifier", "BARTRegressor"]

_P_CHANGE = 0.2   # probability of a CHANGE proposal when the tree has a node whose children are leaves
_CHUNK_CELLS = 1 << 20   # rows x kept draws of the sums of trees held at once when predicting
_FEW_ROWS = 64   # up to this many rows, all stored trees are walked together


@dataclass(frozen=True)
class _Settings:
    n_trees: int
    n_burn: int
    n_draws: int
    alpha: float
    beta: float
    tau: float   # sigma_mu, the prior sd of a leaf value


@dataclass(frozen=True)
class _BinnedFeatures:
    """Features as bin codes: row ``i`` goes left of cut ``c`` of variable ``v`` iff ``codes[v, i] <= c``,
    which is ``x[i, v] <= cuts[v][c]``. ``groups`` numbers the distinct code rows (a node with a single
    group has no split available)."""

    codes: np.ndarray
    cuts: list[np.ndarray]
    groups: np.ndarray


def _bin_features(X: np.ndarray, n_cuts: int) -> _BinnedFeatures:
    cuts = []
    for column in X.T:
        values = np.unique(column)
        if len(values) - 1 <= n_cuts:
            cuts.append((values[:-1] + values[1:]) / 2)
        else:
            cuts.append(np.unique(np.quantile(column, np.arange(1, n_cuts + 1) / (n_cuts + 1))))
    dtype = np.uint8 if max(len(c) for c in cuts) <= 255 else np.uint16
    codes = np.empty((X.shape[1], X.shape[0]), dtype=dtype)
    for v, column in enumerate(X.T):
        codes[v] = np.searchsorted(cuts[v], column, side="left")
    groups = np.unique(codes.T, axis=0, return_inverse=True)[1].reshape(-1)
    return _BinnedFeatures(codes, cuts, groups)


class _Tree:
    """One tree of the chain. Node fields are Python lists (trees are small); ``rows`` holds each node's
    training rows and ``node_of`` the leaf of every training row, updated on each accepted move."""

    def __init__(self, node_of: np.ndarray, rows: np.ndarray, weight: float, growable: bool):
        self.var, self.cut, self.left, self.right = [-1], [-1], [-1], [-1]
        self.parent, self.depth = [-1], [0]
        self.rows, self.weight, self.growable = [rows], [weight], [growable]
        self.free: list[int] = []
        self.mu = np.zeros(8)
        self.node_of = node_of
        self.version = 0
        self.n_leaves = 1

    def add_node(self, parent: int, rows: np.ndarray, weight: float, growable: bool) -> int:
        fields = (-1, -1, -1, -1, parent, self.depth[parent] + 1, rows, weight, growable)
        lists = (self.var, self.cut, self.left, self.right, self.parent, self.depth, self.rows, self.weight,
                 self.growable)
        if self.free:
            k = self.free.pop()
            for values, value in zip(lists, fields, strict=True):
                values[k] = value
            return k
        for values, value in zip(lists, fields, strict=True):
            values.append(value)
        if len(self.var) > len(self.mu):
            self.mu = np.concatenate([self.mu, np.zeros(len(self.mu))])
        return len(self.var) - 1

    def remove_node(self, k: int) -> None:
        self.rows[k] = None
        self.free.append(k)

    def shape(self) -> tuple[list[int], list[int]]:
        """The leaves and the nodes whose two children are leaves ("nogs")."""
        leaves, nogs, stack = [], [], [0]
        left, right = self.left, self.right
        while stack:
            k = stack.pop()
            if left[k] < 0:
                leaves.append(k)
            else:
                stack += (left[k], right[k])
                if left[left[k]] < 0 and left[right[k]] < 0:
                    nogs.append(k)
        return leaves, nogs

    def compact(self, cuts: list[np.ndarray]) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Nodes in breadth-first order as arrays for prediction; a leaf points to itself and never goes right."""
        order = [0]
        for k in order:
            if self.left[k] >= 0:
                order += (self.left[k], self.right[k])
        local = {k: i for i, k in enumerate(order)}
        feat = np.zeros(len(order), dtype=np.intp)
        thr = np.full(len(order), np.inf)
        left = np.arange(len(order), dtype=np.intp)
        right = left.copy()
        for i, k in enumerate(order):
            if self.left[k] >= 0:
                feat[i], thr[i] = self.var[k], cuts[self.var[k]][self.cut[k]]
                left[i], right[i] = local[self.left[k]], local[self.right[k]]
        return order, feat, thr, left, right


class _SplitProbability:
    """``alpha (1 + d)^-beta`` by depth, computed once per depth."""

    def __init__(self, alpha: float, beta: float):
        self.alpha, self.beta, self.values = alpha, beta, []

    def __getitem__(self, depth: int) -> float:
        while len(self.values) <= depth:
            self.values.append(self.alpha * (1.0 + len(self.values)) ** -self.beta)
        return self.values[depth]


def _move_probabilities(n_growable: int, n_nogs: int) -> tuple[float, float, float]:
    """Probabilities of GROW, PRUNE and CHANGE for a tree with these many growable leaves and nogs."""
    if n_nogs == 0:
        return (1.0, 0.0, 0.0) if n_growable else (0.0, 0.0, 0.0)
    if n_growable == 0:
        return 0.0, 1.0 - _P_CHANGE, _P_CHANGE
    return (1.0 - _P_CHANGE) / 2, (1.0 - _P_CHANGE) / 2, _P_CHANGE


class _Chain:
    """The backfitting MCMC over ``m`` trees for a Gaussian (``probit=False``) or probit target."""

    def __init__(self, data: _BinnedFeatures, y: np.ndarray, weights: np.ndarray | None, settings: _Settings,
                 rng: np.random.Generator, *, probit: bool, sigma2: float = 1.0, nu: float = 3.0, lam: float = 1.0,
                 offset: float = 0.0):
        self.data, self.y, self.w, self.s = data, y, weights, settings
        self.rng, self.probit = rng, probit
        self.sigma2, self.nu, self.lam, self.offset = sigma2, nu, lam, offset
        n = len(y)
        rows = np.arange(n, dtype=np.intp)
        root_weight = float(n) if weights is None else float(weights.sum())
        root_growable = self._growable(rows)
        self.node_of = np.zeros((settings.n_trees, n), dtype=np.int32)
        self.trees = [_Tree(self.node_of[j], rows, root_weight, root_growable) for j in range(settings.n_trees)]
        self.split_prob = _SplitProbability(settings.alpha, settings.beta)

    # -- pieces of a proposal ----------------------------------------------------------------------

    def _growable(self, rows: np.ndarray) -> bool:
        if len(rows) < 2:
            return False
        groups = self.data.groups[rows]
        return bool((groups != groups[0]).any())

    def _weight(self, rows: np.ndarray) -> float:
        return float(len(rows)) if self.w is None else float(self.w[rows].sum())

    def _log_lik(self, weight: float, total: float) -> float:
        """Log marginal likelihood of a leaf (up to terms shared by all trees), its value integrated out."""
        inv_s2, tau2 = 1.0 / self.sigma2, self.s.tau ** 2
        b = total * inv_s2
        return -0.5 * math.log1p(tau2 * weight * inv_s2) + 0.5 * b * b / (1.0 / tau2 + weight * inv_s2)

    def _log_keep(self, depth: int, growable: bool) -> float:
        """Log prior probability that a node at this depth stays a leaf."""
        return math.log1p(-self.split_prob[depth]) if growable else 0.0

    def _draw_rule(self, rows: np.ndarray) -> tuple[int, np.ndarray, int]:
        """A variable uniform among those that vary in ``rows``, its codes there and a cut uniform among
        those leaving rows on both sides (tries random variables first, then lists the available ones)."""
        codes, rng = self.data.codes, self.rng
        for _ in range(8):
            v = int(rng.random() * len(codes))
            b = codes[v, rows]
            lo, hi = int(b.min()), int(b.max())
            if hi > lo:
                return v, b, lo + int(rng.random() * (hi - lo))
        sub = codes[:, rows]
        lows, highs = sub.min(axis=1), sub.max(axis=1)
        available = np.flatnonzero(highs > lows)
        v = int(available[int(rng.random() * len(available))])
        lo, hi = int(lows[v]), int(highs[v])
        return v, sub[v], lo + int(rng.random() * (hi - lo))

    # -- the three moves ----------------------------------------------------------------------------

    def _grow(self, t: _Tree, sums: list[float], wr: np.ndarray, growable: list[int], n_nogs: int,
              p_grow: float) -> None:
        eta = growable[int(self.rng.random() * len(growable))]
        rows = t.rows[eta]
        v, b, c = self._draw_rule(rows)
        goes_left = b <= c
        rows_l, rows_r = rows[goes_left], rows[~goes_left]
        sum_l = float(wr[rows_l].sum())
        sum_r = sums[eta] - sum_l
        weight_l = self._weight(rows_l)
        weight_r = t.weight[eta] - weight_l
        grow_l, grow_r = self._growable(rows_l), self._growable(rows_r)
        d, parent = t.depth[eta], t.parent[eta]
        log_prior = (math.log(self.split_prob[d]) - math.log1p(-self.split_prob[d])
                     + self._log_keep(d + 1, grow_l) + self._log_keep(d + 1, grow_r))
        sibling_is_leaf = parent >= 0 and t.left[t.left[parent] if t.right[parent] == eta else t.right[parent]] < 0
        n_nogs_after = n_nogs + 1 - int(sibling_is_leaf)
        n_growable_after = len(growable) - 1 + grow_l + grow_r
        p_prune_after = _move_probabilities(n_growable_after, n_nogs_after)[1]
        log_q = math.log(p_prune_after / n_nogs_after) - math.log(p_grow / len(growable))
        log_lik = self._log_lik(weight_l, sum_l) + self._log_lik(weight_r, sum_r) - self._log_lik(t.weight[eta],
                                                                                                 sums[eta])
        if math.log(self.rng.random()) >= log_lik + log_prior + log_q:
            return
        left = t.add_node(eta, rows_l, weight_l, grow_l)
        right = t.add_node(eta, rows_r, weight_r, grow_r)
        t.var[eta], t.cut[eta], t.left[eta], t.right[eta] = v, c, left, right
        t.node_of[rows_l], t.node_of[rows_r] = left, right
        sums.extend([0.0] * (len(t.mu) - len(sums)))
        sums[left], sums[right] = sum_l, sum_r
        t.version += 1
        t.n_leaves += 1

    def _prune(self, t: _Tree, sums: list[float], growable: list[int], nogs: list[int], p_prune: float) -> None:
        eta = nogs[int(self.rng.random() * len(nogs))]
        left, right, d, parent = t.left[eta], t.right[eta], t.depth[eta], t.parent[eta]
        grow_l, grow_r = t.growable[left], t.growable[right]
        log_prior = -(math.log(self.split_prob[d]) - math.log1p(-self.split_prob[d])
                      + self._log_keep(d + 1, grow_l) + self._log_keep(d + 1, grow_r))
        sibling_is_leaf = parent >= 0 and t.left[t.left[parent] if t.right[parent] == eta else t.right[parent]] < 0
        n_nogs_after = len(nogs) - 1 + int(sibling_is_leaf)
        n_growable_after = len(growable) - grow_l - grow_r + 1
        p_grow_after = _move_probabilities(n_growable_after, n_nogs_after)[0]
        log_q = math.log(p_grow_after / n_growable_after) - math.log(p_prune / len(nogs))
        total = sums[left] + sums[right]
        log_lik = (self._log_lik(t.weight[eta], total) - self._log_lik(t.weight[left], sums[left])
                   - self._log_lik(t.weight[right], sums[right]))
        if math.log(self.rng.random()) >= log_lik + log_prior + log_q:
            return
        t.node_of[t.rows[eta]] = eta
        t.remove_node(left)
        t.remove_node(right)
        t.var[eta] = t.cut[eta] = t.left[eta] = t.right[eta] = -1
        sums[eta] = total
        t.version += 1
        t.n_leaves -= 1

    def _change(self, t: _Tree, sums: list[float], wr: np.ndarray, nogs: list[int]) -> None:
        eta = nogs[int(self.rng.random() * len(nogs))]
        rows, left, right, d = t.rows[eta], t.left[eta], t.right[eta], t.depth[eta]
        v, b, c = self._draw_rule(rows)
        goes_left = b <= c
        rows_l, rows_r = rows[goes_left], rows[~goes_left]
        sum_l = float(wr[rows_l].sum())
        sum_r = sums[left] + sums[right] - sum_l
        weight_l = self._weight(rows_l)
        weight_r = t.weight[eta] - weight_l
        grow_l, grow_r = self._growable(rows_l), self._growable(rows_r)
        log_prior = (self._log_keep(d + 1, grow_l) + self._log_keep(d + 1, grow_r)
                     - self._log_keep(d + 1, t.growable[left]) - self._log_keep(d + 1, t.growable[right]))
        log_lik = (self._log_lik(weight_l, sum_l) + self._log_lik(weight_r, sum_r)
                   - self._log_lik(t.weight[left], sums[left]) - self._log_lik(t.weight[right], sums[right]))
        if math.log(self.rng.random()) >= log_lik + log_prior:
            return
        t.var[eta], t.cut[eta] = v, c
        t.rows[left], t.weight[left], t.growable[left] = rows_l, weight_l, grow_l
        t.rows[right], t.weight[right], t.growable[right] = rows_r, weight_r, grow_r
        t.node_of[rows_l], t.node_of[rows_r] = left, right
        sums[left], sums[right] = sum_l, sum_r
        t.version += 1

    # -- sweeps -------------------------------------------------------------------------------------

    def _update_tree(self, t: _Tree, residual: np.ndarray) -> None:
        """One Metropolis-Hastings move on ``t`` given its partial residual, then its leaf values."""
        wr = residual if self.w is None else residual * self.w
        sums = np.bincount(t.node_of, weights=wr, minlength=len(t.mu)).tolist()
        leaves, nogs = t.shape()
        growable = [k for k in leaves if t.growable[k]]
        p_grow, p_prune, p_change = _move_probabilities(len(growable), len(nogs))
        version, u = t.version, self.rng.random()
        if u < p_grow:
            self._grow(t, sums, wr, growable, len(nogs), p_grow)
        elif u < p_grow + p_prune:
            self._prune(t, sums, growable, nogs, p_prune)
        elif u < p_grow + p_prune + p_change:
            self._change(t, sums, wr, nogs)
        if t.version != version:
            leaves = t.shape()[0]
        inv_s2 = 1.0 / self.sigma2
        precision = 1.0 / self.s.tau ** 2 + np.array([t.weight[k] for k in leaves]) * inv_s2
        mean = np.array([sums[k] for k in leaves]) * inv_s2 / precision
        t.mu[leaves] = mean + self.rng.standard_normal(len(leaves)) / np.sqrt(precision)

    def _draw_latent(self, fit: np.ndarray) -> np.ndarray:
        """Albert-Chib: the latent noise ``z - f`` of each row given its class, ``z`` on the side of 0 the
        class says (inverse-CDF draws from the truncated normal, in log space to stay finite). A row of
        weight ``w`` stands for ``w`` copies: its draw is shrunk towards the truncated normal's mean by
        ``1 / sqrt(w)``, which gives the mean and variance of the average of ``w`` copies' latents."""
        sign = 2.0 * self.y - 1.0
        f = fit + self.offset
        noise = -sign * special.ndtri_exp(np.log(self.rng.random(len(fit))) + special.log_ndtr(sign * f))
        if self.w is None:
            return noise
        mean = sign * np.exp(-0.5 * f * f - 0.5 * math.log(2 * math.pi) - special.log_ndtr(sign * f))
        return mean + (noise - mean) / np.sqrt(self.w)

    def run(self, deadline: float | None) -> tuple[list[tuple[Any, ...]], np.ndarray, np.ndarray]:
        """Burn-in, then ``n_draws`` kept sweeps. Returns the stored tree structures (see
        :class:`_PosteriorForest`), the kept draws of sigma (scaled units) and the mean leaf count per tree."""
        s, rng, n = self.s, self.rng, len(self.y)
        residual_all = self.y.astype(float)   # trees start at zero
        fit = np.zeros(n)
        stored: list[tuple[Any, ...]] = []
        current: list[_StructureRun | None] = [None] * s.n_trees
        sigmas, leaf_counts = np.empty(s.n_draws), np.empty(s.n_draws)
        for sweep in range(s.n_burn + s.n_draws):
            if self.probit:
                residual_all = self._draw_latent(fit)
                latent = fit + residual_all
            for t in self.trees:
                if deadline is not None and time.monotonic() > deadline:
                    raise FitTimeout("training did not finish before its deadline")
                partial = residual_all + t.mu[t.node_of]
                self._update_tree(t, partial)
                residual_all = partial - t.mu[t.node_of]
            if self.probit:
                fit = latent - residual_all
            else:
                weighted = residual_all if self.w is None else residual_all * self.w
                self.sigma2 = (self.nu * self.lam + float(weighted @ residual_all)) / rng.chisquare(self.nu + n)
            draw = sweep - s.n_burn
            if draw >= 0:
                sigmas[draw] = math.sqrt(self.sigma2)
                leaf_counts[draw] = np.mean([t.n_leaves for t in self.trees])
                self._store(draw, stored, current)
        stored += [run.finish(s.n_draws) for run in current]
        return stored, sigmas, leaf_counts

    def _store(self, draw: int, stored: list[tuple[Any, ...]], current: list[_StructureRun | None]) -> None:
        """Keep this sweep's leaf values; a tree's structure is stored once while it does not change."""
        for j, t in enumerate(self.trees):
            run = current[j]
            if run is None or run.version != t.version:
                if run is not None:
                    stored.append(run.finish(draw))
                order, *arrays = t.compact(self.data.cuts)
                is_leaf = np.array([t.left[k] < 0 for k in order])
                run = current[j] = _StructureRun(t.version, draw, np.array(order), is_leaf, tuple(arrays))
            run.values.append(np.where(run.is_leaf, t.mu[run.order], 0.0))


@dataclass
class _StructureRun:
    """One tree structure over the consecutive kept draws that share it, with each draw's leaf values."""

    version: int
    start: int
    order: np.ndarray   # the tree's node ids in compact order
    is_leaf: np.ndarray
    arrays: tuple[np.ndarray, ...]   # feat, thr, left, right
    values: list[np.ndarray] = field(default_factory=list)

    def finish(self, end: int) -> tuple[Any, ...]:
        """``(feat, thr, left, right, values (nodes x draws), start, end)`` for :class:`_PosteriorForest`."""
        return (*self.arrays, np.stack(self.values, axis=1), self.start, end)


class _PosteriorForest:
    """The kept posterior draws of a sum of trees, for fast prediction: every stored tree structure with
    its leaf values in the draws ``[start, end)`` during which it did not change. All structures form one
    set of node arrays (a leaf points to itself), walked together over a block of rows for the posterior
    mean, or one structure at a time over a larger block when every draw's sum is needed."""

    def __init__(self, stored: list[tuple[Any, ...]], n_draws: int):
        sizes = [len(rec[0]) for rec in stored]
        self.roots = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        self.feat = np.concatenate([rec[0] for rec in stored])
        self.thr = np.concatenate([rec[1] for rec in stored])
        self.left = np.concatenate([rec[2] + off for rec, off in zip(stored, self.roots, strict=True)])
        self.right = np.concatenate([rec[3] + off for rec, off in zip(stored, self.roots, strict=True)])
        self.values = [rec[4] for rec in stored]
        self.spans = [(rec[5], rec[6]) for rec in stored]
        self.mean_value = np.concatenate([rec[4].sum(axis=1) for rec in stored]) / n_draws
        self.depths = self._depths(sizes)
        self.n_draws = n_draws

    def _depths(self, sizes: list[int]) -> np.ndarray:
        """The depth of every stored structure."""
        depth = np.zeros(len(self.feat), dtype=np.intp)
        for k in range(len(self.feat)):   # breadth-first order: parents come first
            if self.left[k] != k:
                depth[self.left[k]] = depth[self.right[k]] = depth[k] + 1
        return np.maximum.reduceat(depth, self.roots) if sizes else np.zeros(0, dtype=np.intp)

    def _walk(self, block: np.ndarray, node: np.ndarray, depth: int) -> np.ndarray:
        for _ in range(depth):
            x = np.take_along_axis(block, self.feat[node], axis=1) if node.ndim == 2 else block[
                np.arange(len(block)), self.feat[node]]
            node = np.where(x <= self.thr[node], self.left[node], self.right[node])
        return node

    def mean(self, X: np.ndarray) -> np.ndarray:
        """Posterior mean of the sum of trees at each row of ``X``."""
        if len(X) > _FEW_ROWS:   # one structure at a time: a few numpy calls per structure and level
            out = np.zeros(len(X))
            for root, depth in zip(self.roots, self.depths, strict=True):
                out += self.mean_value[self._walk(X, np.full(len(X), root), depth)]
            return out
        depth = int(self.depths.max(initial=0))
        node = self._walk(X, np.broadcast_to(self.roots, (len(X), len(self.roots))), depth)
        return self.mean_value[node].sum(axis=1)

    def mean_probit(self, X: np.ndarray, offset: float) -> np.ndarray:
        """Posterior mean of ``Phi(offset + sum of trees)`` at each row of ``X``."""
        out = np.empty(len(X))
        step = max(1, _CHUNK_CELLS // self.n_draws)
        for start in range(0, len(X), step):
            block = X[start:start + step]
            fits = np.full((len(block), self.n_draws), offset)
            for root, depth, values, (lo, hi) in zip(self.roots, self.depths, self.values, self.spans,
                                                     strict=True):
                node = self._walk(block, np.full(len(block), root), depth)
                fits[:, lo:hi] += values[node - root]
            out[start:start + len(block)] = special.ndtr(fits).mean(axis=1)
        return out


# -- the scikit-learn estimators -------------------------------------------------------------------

def _check_X(X: Any) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-d array of features, got {X.ndim} dimension(s)")
    if not np.isfinite(X).all():
        raise ValueError("BART needs finite features: X has NaN or infinite values (impute them first)")
    return X


def _check_fit_input(X: Any, y: Any, sample_weight: Any, *, numeric: bool
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Checked ``X, y, weights``; rows of weight 0 are dropped and weights rescaled to mean 1."""
    X = _check_X(X)
    y = np.asarray(y, dtype=np.float64 if numeric else None).reshape(-1)
    if len(y) != len(X) or len(y) == 0 or (numeric and not np.isfinite(y).all()):
        raise ValueError(f"y must hold {len(X)} " + ("finite numbers" if numeric else "labels"))
    if sample_weight is None:
        return X, y, None
    w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    if len(w) != len(y) or not np.isfinite(w).all() or (w < 0).any() or not (w > 0).any():
        raise ValueError(f"sample_weight must hold {len(y)} finite non-negative numbers, not all zero")
    keep = w > 0
    return X[keep], y[keep], w[keep] / w[keep].mean()


class _BARTBase(BaseEstimator):
    """Parameters shared by the regressor and the classifier (see the module docstring)."""

    def __init__(self, n_trees: int = 50, n_burn: int = 100, n_draws: int = 100, alpha: float = 0.95,
                 beta: float = 2.0, k: float = 2.0, nu: float = 3.0, q: float = 0.9, n_cuts: int = 100,
                 random_state: int | None = 0):
        self.n_trees = n_trees
        self.n_burn = n_burn
        self.n_draws = n_draws
        self.alpha = alpha
        self.beta = beta
        self.k = k
        self.nu = nu
        self.q = q
        self.n_cuts = n_cuts
        self.random_state = random_state

    def _settings(self, leaf_range: float) -> _Settings:
        checks = {"n_trees": self.n_trees >= 1, "n_burn": self.n_burn >= 0, "n_draws": self.n_draws >= 1,
                  "alpha": 0 < self.alpha < 1, "beta": self.beta >= 0, "k": self.k > 0, "nu": self.nu > 0,
                  "q": 0 < self.q < 1, "n_cuts": 1 <= self.n_cuts <= 65535}
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"{type(self).__name__}: invalid {name}={getattr(self, name)!r}")
        tau = leaf_range / (self.k * math.sqrt(self.n_trees))
        return _Settings(int(self.n_trees), int(self.n_burn), int(self.n_draws), float(self.alpha),
                         float(self.beta), tau)

    def _check_predict_X(self, X: Any) -> np.ndarray:
        X = _check_X(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, the model was fitted on {self.n_features_in_}")
        return X


class BARTRegressor(RegressorMixin, _BARTBase):
    """BART regression (Chipman, George & McCulloch 2010), fitted by Bayesian backfitting MCMC.

    ``y`` is scaled to ``[-0.5, 0.5]``; predictions are the posterior mean of the sum of trees over the
    kept draws, in the units of ``y``. Row weights act as precision weights: row ``i`` has noise
    variance ``sigma^2 / w_i``, as ``w_i`` copies of it would give (weights rescaled to mean 1; rows of
    weight 0 are left out).

    Args:
        n_trees: number of trees ``m``.
        n_burn: burn-in sweeps, discarded.
        n_draws: kept sweeps; the posterior mean averages over them.
        alpha, beta: tree prior, a node at depth ``d`` splits with probability ``alpha (1 + d)^-beta``.
        k: leaf prior width, ``sigma_mu = 0.5 / (k sqrt(m))``; larger ``k`` shrinks more.
        nu, q: noise prior ``sigma^2 ~ nu lambda / chi2_nu`` with ``P(sigma < sigma_hat) = q``.
        n_cuts: at most this many quantile cut points per feature.
        random_state: seed of the chain (an int, None or a numpy Generator).

    Attributes:
        sigma_draws_: the kept draws of the noise sd, in the units of ``y``.
        leaf_counts_: the mean number of leaves per tree in each kept draw.

    Example:
        >>> import numpy as np
        >>> X = np.random.default_rng(0).uniform(size=(200, 2))
        >>> model = BARTRegressor(n_trees=20, n_burn=50, n_draws=50).fit(X, 3 * (X[:, 0] > 0.5))
        >>> bool(abs(model.predict([[0.9, 0.5]])[0] - 3) < 0.3)
        True
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None, deadline: float | None = None) -> BARTRegressor:
        """Run the chain on ``X, y``.

        Args:
            X: finite features, ``(n, p)``.
            y: numeric targets, ``(n,)``.
            sample_weight: optional non-negative row weights (precision weights).
            deadline: a ``time.monotonic()`` value; checked before every tree update.

        Returns:
            self.

        Raises:
            ValueError: non-finite features or targets, bad weights or parameters.
            FitTimeout: the deadline passed.
        """
        X, y, w = _check_fit_input(X, y, sample_weight, numeric=True)
        settings = self._settings(0.5)
        self.n_features_in_ = X.shape[1]
        self.y_low_, y_high = float(y.min()), float(y.max())
        self.y_scale_ = y_high - self.y_low_ if y_high > self.y_low_ else 1.0
        scaled = (y - self.y_low_) / self.y_scale_ - 0.5
        sigma_hat = _residual_sd(X, scaled, w)
        lam = sigma_hat ** 2 * stats.chi2.ppf(1.0 - self.q, self.nu) / self.nu
        chain = _Chain(_bin_features(X, int(self.n_cuts)), scaled, w, settings, np.random.default_rng(
            self.random_state), probit=False, sigma2=sigma_hat ** 2, nu=float(self.nu), lam=lam)
        stored, sigmas, self.leaf_counts_ = chain.run(deadline)
        self.forest_ = _PosteriorForest(stored, settings.n_draws)
        self.sigma_draws_ = sigmas * self.y_scale_
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Posterior mean prediction for each row of ``X``."""
        X = self._check_predict_X(X)
        return (self.forest_.mean(X) + 0.5) * self.y_scale_ + self.y_low_


def _residual_sd(X: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> float:
    """Residual sd of a (weighted) least squares fit with intercept; the sd of ``y`` when ``p + 1 >= n``."""
    n, p = X.shape
    root_w = np.ones(n) if w is None else np.sqrt(w)
    if n > p + 1:
        design = np.column_stack([np.ones(n), X]) * root_w[:, None]
        coef = np.linalg.lstsq(design, y * root_w, rcond=None)[0]
        resid = (y * root_w - design @ coef)
        sd = math.sqrt(float(resid @ resid) / (n - p - 1))
    else:
        mean = np.average(y, weights=root_w ** 2)
        sd = math.sqrt(float(np.average((y - mean) ** 2, weights=root_w ** 2)))
    return sd if sd > 1e-12 else 1e-3


class BARTClassifier(ClassifierMixin, _BARTBase):
    """Probit BART classification (Chipman, George & McCulloch 2010, section 4).

    Two classes: ``P(y = classes_[1] | x)`` is the posterior mean of ``Phi(f(x))``, ``f`` a sum of trees
    offset by ``Phi^-1`` of the positive rate, fitted with the Albert-Chib latent variable. More classes:
    one binary probit BART per class against the rest, the probabilities normalized to sum to 1.
    Row weights count as replications (weights rescaled to mean 1, rows of weight 0 left out): row ``i``
    enters the leaf posteriors with precision ``w_i`` and a latent value with the mean and variance of
    the average latent of ``w_i`` copies of it (exact for ``w_i = 1``), so class-balancing weights
    balance the predicted probabilities as a weighted likelihood would.

    Args: as :class:`BARTRegressor`, with ``sigma_mu = 3 / (k sqrt(m))`` (``nu`` and ``q`` unused).

    Attributes:
        classes_: the labels seen in ``fit``.
        leaf_counts_: the mean number of leaves per tree in each kept draw (of the first binary model).
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None, deadline: float | None = None) -> BARTClassifier:
        """Run one chain per binary problem (see the class docstring).

        Args:
            X: finite features, ``(n, p)``.
            y: class labels, ``(n,)``.
            sample_weight: optional non-negative row weights.
            deadline: a ``time.monotonic()`` value; checked before every tree update.

        Returns:
            self.

        Raises:
            ValueError: non-finite features, bad labels, weights or parameters.
            FitTimeout: the deadline passed.
        """
        X, y, w = _check_fit_input(X, y, sample_weight, numeric=False)
        settings = self._settings(3.0)
        self.n_features_in_ = X.shape[1]
        self.classes_, codes = np.unique(y, return_inverse=True)
        self.forests_, self.offsets_ = [], []
        if len(self.classes_) < 2:
            self.leaf_counts_ = np.ones(settings.n_draws)
            return self
        data = _bin_features(X, int(self.n_cuts))
        positives = [1] if len(self.classes_) == 2 else range(len(self.classes_))
        seeds = np.random.default_rng(self.random_state).integers(2 ** 63, size=len(positives))
        for i, positive in enumerate(positives):
            target = (codes == positive).astype(np.float64)
            rate = float(np.average(target, weights=w))
            offset = float(special.ndtri(min(max(rate, 1e-4), 1 - 1e-4)))
            chain = _Chain(data, target, w, settings, np.random.default_rng(seeds[i]), probit=True, offset=offset)
            stored, _, leaf_counts = chain.run(deadline)
            if i == 0:
                self.leaf_counts_ = leaf_counts
            self.forests_.append(_PosteriorForest(stored, settings.n_draws))
            self.offsets_.append(offset)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        X = self._check_predict_X(X)
        if not self.forests_:
            return np.ones((len(X), 1))
        probs = np.column_stack([f.mean_probit(X, off) for f, off in zip(self.forests_, self.offsets_,
                                                                        strict=True)])
        if len(self.classes_) == 2:
            return np.column_stack([1.0 - probs[:, 0], probs[:, 0]])
        return probs / probs.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row of ``X``."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
