"""Occlusion re-predicts only the trees that split on the replaced features: the same
probabilities as predicting the replaced frame whole, for every kind of model it reads, and
a plain whole prediction for the others."""

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.impute import SimpleImputer

from ml.occlusion import Occlusion

COLUMNS = ["slow_pages", "late_deliveries", "recency", "constant", "noise"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    n = 3000
    x = pd.DataFrame({
        "slow_pages": rng.uniform(0, 1, n),
        "late_deliveries": rng.poisson(0.5, n).astype(float),
        "recency": rng.exponential(10, n),
        "constant": 1.0,  # no tree can split on it
        "noise": rng.normal(size=n),
    })
    x.loc[rng.random(n) < 0.2, "late_deliveries"] = np.nan
    logit = 2 * x["slow_pages"] + 0.8 * x["late_deliveries"].fillna(0) + 0.05 * x["recency"] - 2.5
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    return x, y


def _tree_models(x, y):
    trees = dict(max_iter=40, random_state=0)
    return {
        "sigmoid-calibrated trees": CalibratedClassifierCV(HistGradientBoostingClassifier(**trees), method="sigmoid", cv=3).fit(x, y),
        "isotonic-calibrated trees": CalibratedClassifierCV(HistGradientBoostingClassifier(**trees), method="isotonic", cv=3).fit(x, y),
        "trees alone": HistGradientBoostingClassifier(**trees).fit(x, y),
    }


def _replacements(x):
    rng = np.random.default_rng(5)
    some = rng.random(len(x)) < 0.4
    return [
        (some, {"slow_pages": 0.1}),
        (np.ones(len(x), dtype=bool), {"late_deliveries": np.nan}),  # to null: the trees' missing branch
        (some, {"late_deliveries": 0.0, "recency": rng.uniform(0, 5, some.sum())}),  # one value per row
        (~some, {"constant": 7.0}),  # read by no tree
        (np.flatnonzero(some)[:10], {"noise": 0.0}),  # row positions instead of a mask
    ]


def test_tree_models_give_the_whole_prediction_of_the_replaced_rows(data):
    x, y = data
    for name, model in _tree_models(x, y).items():
        occlusion = Occlusion(model, x)
        assert occlusion._parts, f"{name}: not read as trees"
        np.testing.assert_allclose(occlusion.base, model.predict_proba(x)[:, 1], rtol=0, atol=1e-12, err_msg=name)
        for rows, values in _replacements(x):
            whole = model.predict_proba(x.iloc[np.flatnonzero(rows) if rows.dtype == bool else rows].assign(**values))[:, 1]
            np.testing.assert_allclose(occlusion.replaced(rows, values), whole, rtol=0, atol=1e-12,
                                       err_msg=f"{name}, {sorted(values)}")


def test_values_on_the_split_thresholds_go_where_the_model_sends_them(data):
    """Replacements are found on binned rows: a value equal to a threshold, beyond every one
    or null lands on the same side of each split as in the model's own prediction."""
    x, y = data
    for name, model in _tree_models(x, y).items():
        occlusion = Occlusion(model, x)
        thresholds = np.concatenate([part.model._bin_mapper.bin_thresholds_[x.columns.get_loc("recency")]
                                     for part in occlusion._parts])
        values = np.random.default_rng(7).choice(np.append(thresholds, [-np.inf, -1e9, 1e9, np.inf, np.nan]), len(x))
        rows = np.ones(len(x), dtype=bool)
        whole = model.predict_proba(x.assign(recency=values))[:, 1]
        np.testing.assert_allclose(occlusion.replaced(rows, {"recency": values}), whole, rtol=0, atol=1e-12, err_msg=name)


def test_a_feature_no_tree_reads_leaves_the_probability_as_it_was(data):
    x, y = data
    model = _tree_models(x, y)["sigmoid-calibrated trees"]
    occlusion = Occlusion(model, x)
    assert all(x.columns.get_loc("constant") not in part.trees_on for part in occlusion._parts)
    rows = np.ones(len(x), dtype=bool)
    assert np.array_equal(occlusion.replaced(rows, {"constant": 0.0}), occlusion.base)  # exactly: nothing predicted


def test_other_models_are_predicted_whole(data):
    x, y = data
    logistic = make_pipeline(SimpleImputer(), LogisticRegression()).fit(x, y)

    class PythonModel:  # what the pyfunc of a baseline's python model does
        def get_raw_model(self):
            raise NotImplementedError("`get_raw_model` is not implemented by the underlying model")

        def predict(self, frame):
            return logistic.predict_proba(frame)[:, 1]

    trees = _tree_models(x, y)["trees alone"]

    class Shifted:  # a wrapper whose scores are not its raw model's: its own are kept
        def get_raw_model(self):
            return trees

        def predict(self, frame):
            return trees.predict_proba(frame)[:, 1] * 0.5

    rows, values = _replacements(x)[2]
    for model, predict in ((logistic, lambda f: logistic.predict_proba(f)[:, 1]),
                           (PythonModel(), lambda f: logistic.predict_proba(f)[:, 1]),
                           (Shifted(), lambda f: trees.predict_proba(f)[:, 1] * 0.5)):
        occlusion = Occlusion(model, x)
        assert not occlusion._parts
        np.testing.assert_allclose(occlusion.base, predict(x), rtol=0, atol=1e-12)
        np.testing.assert_allclose(occlusion.replaced(rows, values), predict(x[rows].assign(**values)), rtol=0, atol=1e-12)


def test_an_occlusion_is_reused_only_for_its_own_rows_and_columns(data):
    x, y = data
    occlusion = Occlusion(_tree_models(x, y)["trees alone"], x)
    assert Occlusion.of(occlusion, x) is occlusion
    with pytest.raises(ValueError, match="other rows or columns"):
        Occlusion.of(occlusion, x.iloc[:10])
