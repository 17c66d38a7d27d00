"""Metrics of churn probabilities: ranking, calibration, contact lists, segments."""

import numpy as np
import pandas as pd
import pytest

from ml.metrics import (
    capacity_metrics,
    classification_metrics,
    expected_calibration_error,
    validation_metrics,
)
from ml.segments import segment_metrics


def test_classification_metrics_reward_ranking_and_calibration():
    y = np.array([0, 0, 1, 1])
    good = classification_metrics(y, [0.1, 0.2, 0.8, 0.9])
    bad = classification_metrics(y, [0.9, 0.8, 0.2, 0.1])
    assert good["roc_auc"] == 1.0 and good["pr_auc"] == 1.0
    assert good["brier"] < bad["brier"] and good["log_loss"] < bad["log_loss"]
    assert good["ece"] < bad["ece"]


def test_expected_calibration_error_is_the_gap_between_said_and_seen():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=50_000)
    calibrated = rng.random(p.size) < p
    assert expected_calibration_error(calibrated, p) < 0.01
    assert expected_calibration_error(calibrated, np.clip(p + 0.2, 0, 1)) > 0.15
    # One bin: says 0.3, half churn.
    assert expected_calibration_error([0, 1, 0, 1], [0.3] * 4) == pytest.approx(0.2)


def test_top_decile_lift_and_recall_of_a_perfect_and_a_flat_score():
    y = np.array([1] * 20 + [0] * 80)
    perfect = classification_metrics(y, np.linspace(1, 0, 100))
    assert perfect["lift_top_decile"] == pytest.approx(5.0)  # 10/10 churners vs 20 % base rate
    assert perfect["recall_top_decile"] == pytest.approx(0.5)
    # All tied: the top decile holds the base rate in expectation, not whatever rows come first.
    flat = classification_metrics(y, np.full(100, 0.5))
    assert flat["lift_top_decile"] == pytest.approx(1.0)


def test_capacity_counts_users_per_date_or_a_share():
    y = [1, 0, 0, 0, 1, 1, 0, 0]
    p = [0.9, 0.1, 0.2, 0.3, 0.8, 0.7, 0.1, 0.0]
    dates = ["d1"] * 4 + ["d2"] * 4
    one_each = capacity_metrics(y, p, dates, capacity=1)
    assert one_each["recall_at_capacity"] == pytest.approx(2 / 3)
    assert one_each["lift_at_capacity"] == pytest.approx(1 / (3 / 8))
    assert capacity_metrics(y, p, dates, capacity=0.5)["recall_at_capacity"] == pytest.approx(1.0)


def test_validation_metrics_hold_every_overall_metric():
    frame = pd.DataFrame({"churned": [0, 1, 0, 1], "as_of_date": ["d1", "d1", "d2", "d2"]})
    names = set(validation_metrics(frame, [0.2, 0.7, 0.4, 0.6], capacity=1))
    assert names == {
        "roc_auc", "pr_auc", "brier", "log_loss", "ece", "lift_top_decile",
        "recall_top_decile", "lift_at_capacity", "recall_at_capacity",
    }


def test_segment_metrics_skip_small_and_single_class_groups():
    rng = np.random.default_rng(1)
    n = 1000
    frame = pd.DataFrame(
        {
            "churned": rng.integers(0, 2, n),
            "value_tier": np.where(np.arange(n) < 500, "VIP tier", "regular"),
            "lifecycle_stage": np.where(np.arange(n) < 50, "new", "mature"),
        }
    )
    frame.loc[frame["value_tier"] == "regular", "churned"] = 0  # one class: no AUC
    metrics = segment_metrics(frame, rng.uniform(size=n), min_rows=100)
    assert "roc_auc__value_tier__vip_tier" in metrics
    assert "ece__lifecycle_stage__mature" in metrics
    assert not any("regular" in name or "__new" in name for name in metrics)
    assert segment_metrics(frame.drop(columns=["value_tier", "lifecycle_stage"]), [0.5] * n) == {}
