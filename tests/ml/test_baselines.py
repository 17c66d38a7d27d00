"""Baselines as rules: the activity-trend baseline, the pyfunc wrapper, and the calibration plan
that small logs fall back to."""

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from synthetic_rows import FEATURES, make_rows

from ml.baselines import fit_baselines, fit_base_rate
from ml.calibration import calibration_plan
from ml.rules import RuleModel
from ml.split import time_split


def test_the_activity_trend_baseline_ranks_falling_activity_as_risk():
    train, valid = time_split(make_rows(n_users=600, trend=True))
    baselines, skipped = fit_baselines(train, horizon_days=30)
    trend = {b.name: b for b in baselines}["activity_trend"]
    assert trend.params["coef"] < 0  # less activity than before: more churn
    assert (valid["activity_trend"] < 0).mean() > 0.5 and valid["activity_trend"].isna().any()
    assert np.isfinite(trend.predict(valid)).all()
    assert roc_auc_score(valid["churned"].astype(int), trend.predict(valid)) > 0.65


def test_the_activity_trend_baseline_is_skipped_when_the_column_is_absent_or_null():
    train, _ = time_split(make_rows(n_users=200))
    assert "no activity_trend column" in fit_baselines(train, horizon_days=30)[1]["activity_trend"]
    train = train.assign(activity_trend=np.nan)
    assert "null on every training row" in fit_baselines(train, 30)[1]["activity_trend"]


def test_a_rule_model_returns_retained_and_churn_columns_like_predict_proba():
    train, valid = time_split(make_rows(n_users=200))
    recency = fit_baselines(train, horizon_days=30)[0][0]
    output = RuleModel(recency.rule).predict(valid[recency.rule.columns])
    assert output.shape == (len(valid), 2)
    assert np.allclose(output[:, 1], recency.predict(valid)) and np.allclose(output.sum(1), 1)


def test_the_base_rate_never_claims_certainty():
    one_class = pd.DataFrame({"churned": [0] * 8})
    assert fit_base_rate(one_class, "x").rule.rate == 1 / 10
    assert fit_base_rate(one_class.head(0), "x").rule.rate == 1 / 2


def test_calibration_takes_fewer_folds_on_few_churners_and_drops_unobserved_columns():
    train, _ = time_split(make_rows(n_users=300, n_dates=4))
    plan = calibration_plan(train, FEATURES, folds=3)
    assert len(plan.splits) == 3 and plan.note == "" and plan.features == FEATURES
    churners = np.flatnonzero(train["churned"].astype(int).to_numpy())
    rare = train.assign(churned=0, one=np.nan)
    rare.iloc[churners[:12], rare.columns.get_loc("churned")] = 1  # 12 churners: 2 folds of 6
    rare.iloc[0, rare.columns.get_loc("one")] = 1.0  # a value in one fold only
    plan = calibration_plan(rare, [*FEATURES, "one"], folds=3)
    assert len(plan.splits) == 2 and "allow 2 folds" in plan.note
    assert plan.dropped == ["one"] and plan.features == FEATURES
