"""``proj_logit``: the simplex projection and the least-squares logistic classifier."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from firefly_widgets.engine.projlogit import ProjLogitClassifier, project_to_simplex


@pytest.mark.parametrize(("row", "expected"), [
    ([0.5, 0.5], [0.5, 0.5]),            # already on the simplex
    ([2.0, 0.0], [1.0, 0.0]),            # theta = 1
    ([0.6, 0.6, -1.0], [0.5, 0.5, 0.0]),  # theta = 0.1, the negative entry clipped
    ([0.0, 0.0, 0.0, 0.0], [0.25] * 4),  # theta = -0.25
])
def test_simplex_projection_by_hand(row, expected):
    np.testing.assert_allclose(project_to_simplex(np.array([row])), [expected], atol=1e-12)


def test_simplex_projection_is_the_nearest_point():
    rng = np.random.default_rng(1)
    v = rng.normal(scale=2.0, size=(50, 4))
    p = project_to_simplex(v)
    assert (p >= 0).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    others = rng.dirichlet(np.ones(4), size=2000)  # random points of the simplex are never nearer
    for row, proj in zip(v, p, strict=True):
        assert np.linalg.norm(row - proj) <= np.linalg.norm(others - row, axis=1).min() + 1e-12


def _split(loader):
    x, y = loader(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    scaler = StandardScaler().fit(x_tr)
    return scaler.transform(x_tr), scaler.transform(x_te), y_tr, y_te


@pytest.mark.parametrize(("loader", "floor"), [(load_iris, 0.9), (load_digits, 0.9)])
def test_accuracy_on_held_out_rows(loader, floor):
    x_tr, x_te, y_tr, y_te = _split(loader)
    model = ProjLogitClassifier().fit(x_tr, y_tr)
    proba = model.predict_proba(x_te)
    assert proba.shape == (len(x_te), len(np.unique(y_tr)))
    assert (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    assert (model.predict(x_te) == y_te).mean() >= floor


def test_epochs_improve_on_the_plain_least_squares_start():
    # iris's versicolor is not linearly separable from the others by a least-squares fit alone
    x_tr, x_te, y_tr, y_te = _split(load_iris)
    plain = ProjLogitClassifier(max_epochs=0).fit(x_tr, y_tr)
    refined = ProjLogitClassifier(max_epochs=5).fit(x_tr, y_tr)
    assert (refined.predict(x_te) == y_te).mean() > (plain.predict(x_te) == y_te).mean()

    def brier(model):
        return float(np.mean((model.predict_proba(x_tr) - np.eye(3)[y_tr]) ** 2))

    assert brier(refined) < 0.8 * brier(plain)


def test_any_labels_clone_and_missing_values():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 3))
    y = np.where(x[:, 0] > 0, 7, 3)
    model = clone(ProjLogitClassifier(max_epochs=3)).fit(x, y)
    assert list(model.classes_) == [3, 7]
    assert (model.predict(x) == y).mean() > 0.9
    x[0, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        model.predict(x)
