"""BG/NBD: recovers the parameters it simulates, and serves as a baseline only with purchases."""

import numpy as np
import pytest
from synthetic_rows import make_rows

from ml.baselines import fit_baselines
from ml.bgnbd import BgNbd, fit_bgnbd
from ml.split import time_split

TRUE = BgNbd(r=0.8, alpha=20.0, a=0.8, b=2.5)


def simulate(model: BgNbd, n: int, seed: int = 0):
    """Customers from the BG/NBD story: Poisson purchases, dropping out after each with p."""
    rng = np.random.default_rng(seed)
    rate, p = rng.gamma(model.r, 1 / model.alpha, n), rng.beta(model.a, model.b, n)
    age = rng.uniform(30, 180, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = rng.exponential(1 / rate[i])
        while t <= age[i]:
            x[i], t_x[i] = x[i] + 1, t
            if rng.random() < p[i]:
                break
            t += rng.exponential(1 / rate[i])
    return x, t_x, age


def test_fit_recovers_simulated_parameters():
    fitted = fit_bgnbd(*simulate(TRUE, 4000))
    for name in ["r", "alpha", "a", "b"]:
        assert getattr(fitted, name) == pytest.approx(getattr(TRUE, name), rel=0.25), name


def test_p_alive_and_no_purchase_behave():
    # No repeat purchase yet: alive for sure (dropout only follows a purchase).
    assert TRUE.p_alive(0, 0, 100) == pytest.approx(1.0)
    # Same history, longer silence since the last purchase: less likely alive.
    assert TRUE.p_alive(5, 60, 70) > TRUE.p_alive(5, 20, 70)
    quiet = TRUE.p_no_purchase(np.array([5, 5]), np.array([60, 20]), np.array([70, 70]), 30)
    assert 0 < quiet[0] < quiet[1] < 1


def test_bgnbd_baseline_scores_buyers_and_falls_back_for_the_rest():
    train, valid = time_split(make_rows(n_users=600, purchases=True))
    baselines, skipped = fit_baselines(train, horizon_days=30)
    assert [b.name for b in baselines] == ["recency", "bgnbd"] and list(skipped) == ["activity_trend"]
    bgnbd = baselines[1]
    score = bgnbd.predict(valid)
    never = valid["repeat_order_days"].isna().to_numpy()
    assert np.all((score > 0) & (score < 1))
    assert np.allclose(score[never], bgnbd.params["no_order_score"])
    assert {"r", "alpha", "a", "b", "horizon_days"} <= set(bgnbd.params)


def test_bgnbd_is_skipped_with_a_reason_without_purchases_or_buyers():
    train, _ = time_split(make_rows(n_users=300))
    _, skipped = fit_baselines(train, horizon_days=30)
    assert "no purchase-history columns" in skipped["bgnbd"]
    train, _ = time_split(make_rows(n_users=300, purchases=True))
    _, skipped = fit_baselines(train, horizon_days=30, min_buyers=1000)
    assert "users with orders" in skipped["bgnbd"]
