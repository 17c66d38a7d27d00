"""Customer value: Gamma-Gamma recovers what it simulates, BG/NBD's expected purchases match a
simulation, never-buyers get the population mean value, and tiny data falls back."""

import numpy as np
import pandas as pd
import pytest

from ml.bgnbd import BgNbd
from ml.clv import VALUE_COLUMNS, GammaGamma, customer_value, fit_gamma_gamma

SPEND = GammaGamma(p=2.0, q=4.0, gamma=20.0)
BUYING = BgNbd(r=0.8, alpha=20.0, a=0.8, b=2.5)


def simulate_spend(model: GammaGamma, n: int, seed: int = 0):
    """x repeat orders per customer, nu ~ Gamma(q, rate gamma), each order ~ Gamma(p, rate nu)."""
    rng = np.random.default_rng(seed)
    x = 1 + rng.poisson(3, n)
    nu = rng.gamma(model.q, 1 / model.gamma, n)
    # The mean of x Gamma(p, nu) orders is Gamma(p x, rate nu x): draw it directly.
    return x, rng.gamma(model.p * x, 1 / (nu * x))


def simulate_purchases(model: BgNbd, n: int, horizon: float, seed: int = 0):
    """BG/NBD customers born at 0: (x, t_x) up to T, and their purchases in (T, T + horizon]."""
    rng = np.random.default_rng(seed)
    rate, p = rng.gamma(model.r, 1 / model.alpha, n), rng.beta(model.a, model.b, n)
    T = rng.uniform(30, 180, n)
    x, t_x, future = np.zeros(n), np.zeros(n), np.zeros(n)
    t, alive = np.zeros(n), np.ones(n, dtype=bool)
    while alive.any():  # one purchase per customer per pass, all customers at once
        t = t + rng.exponential(1 / rate)
        alive &= t <= T + horizon
        before = alive & (t <= T)
        x, t_x = x + before, np.where(before, t, t_x)
        future += alive & (t > T)
        alive &= rng.random(n) >= p  # dropping out right after a purchase
    return x, t_x, T, future


def test_gamma_gamma_recovers_simulated_parameters():
    fitted = fit_gamma_gamma(*simulate_spend(SPEND, 5000))
    # p and gamma trade off along a ridge (their ratio sets the mean), so they get more room.
    assert fitted.q == pytest.approx(SPEND.q, rel=0.1)
    assert fitted.p == pytest.approx(SPEND.p, rel=0.2) and fitted.gamma == pytest.approx(SPEND.gamma, rel=0.2)
    assert fitted.population_mean == pytest.approx(SPEND.population_mean, rel=0.03)


def test_gamma_gamma_does_not_depend_on_the_currency_unit():
    x, m_x = simulate_spend(SPEND, 1000)
    cents, euros = fit_gamma_gamma(x, 100 * m_x), fit_gamma_gamma(x, m_x)
    assert cents.population_mean == pytest.approx(100 * euros.population_mean, rel=1e-3)


def test_conditional_order_value_shrinks_towards_the_population_mean():
    mean = SPEND.population_mean
    one, many = SPEND.conditional_expected_order_value([1, 50], [3 * mean, 3 * mean])
    assert mean < one < many < 3 * mean
    assert SPEND.conditional_expected_order_value(0, np.nan) == pytest.approx(mean)
    with pytest.raises(ValueError, match="no finite mean"):
        GammaGamma(p=2.0, q=0.9, gamma=20.0)


def test_expected_purchases_match_a_simulation():
    x, t_x, T, future = simulate_purchases(BUYING, 40_000, horizon=90)
    expected = BUYING.expected_purchases(x, t_x, T, 90)
    # E[future | history] averaged over any group defined by the history is the group's mean.
    for group in [np.ones_like(x, dtype=bool), x == 0, x >= 3]:
        assert expected[group].mean() == pytest.approx(future[group].mean(), rel=0.05)


def test_expected_purchases_against_the_paper_and_in_shape():
    # Fader, Hardie & Lee (2005), CDNOW in weeks: x = 2, t_x = 30.43, T = 38.86, next 39 weeks.
    cdnow = BgNbd(r=0.243, alpha=4.414, a=0.793, b=2.426)
    assert cdnow.expected_purchases(2, 30.43, 38.86, 39) == pytest.approx(1.226, abs=1e-3)
    horizons = [0, 30, 90, 365, 3650]
    curve = [BUYING.expected_purchases(200, 170, 180, h) for h in horizons]  # scipy's 2F1 is NaN here
    assert curve[0] == 0 and np.all(np.isfinite(curve)) and np.all(np.diff(curve) > 0)
    # Same purchases, long quiet since the last: less likely alive, fewer expected purchases.
    assert BUYING.expected_purchases(5, 20, 180, 90) < BUYING.expected_purchases(5, 170, 180, 90)


def purchase_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """Rows shaped like user_features plus mean_order_value; a third never ordered."""
    x, t_x, T, _ = simulate_purchases(BUYING, n, horizon=0, seed=seed)
    _, m_x = simulate_spend(SPEND, n, seed=seed)
    never = np.arange(n) % 3 == 0
    return pd.DataFrame({
        "user_id": [f"u{i}" for i in range(n)],
        "repeat_order_days": np.where(never, np.nan, x),
        "first_to_last_order_days": np.where(never, np.nan, t_x),
        "first_order_age_days": np.where(never, np.nan, T),
        "tenure_days": T + 10,
        "mean_order_value": np.where(never | (x == 0), np.nan, m_x),
    })


def test_customer_value_fits_both_models_and_gives_never_buyers_the_population_mean():
    frame = purchase_frame(3000)
    result = customer_value(frame, horizon_days=180, margin=0.3)
    values = result.values
    assert result.estimator == "bgnbd+gamma_gamma" and result.fallback_reasons == []
    assert list(values.columns) == ["user_id", *VALUE_COLUMNS] and len(values) == len(frame)
    never = frame["repeat_order_days"].isna().to_numpy()
    assert np.allclose(values["expected_order_value"][never], result.params["population_mean_order_value"])
    assert np.allclose(values["p_alive"][never], 1.0)
    assert np.allclose(values["expected_future_value"], 0.3 * values["expected_orders"] * values["expected_order_value"])
    assert (values["expected_future_value"] >= 0).all() and values.notna().all().all()
    assert customer_value(frame).values.equals(values)  # deterministic


def test_customer_value_falls_back_on_tiny_data():
    frame = purchase_frame(30, seed=1)
    result = customer_value(frame, horizon_days=90)
    assert result.estimator == "pooled_rate+empirical_mean" and len(result.fallback_reasons) == 2
    values = result.values
    assert values["p_alive"].isna().all() and values["expected_orders"].nunique() == 1
    known = frame["mean_order_value"].notna()
    x = frame["repeat_order_days"][known]
    empirical = (x * frame["mean_order_value"][known]).sum() / x.sum()
    assert np.allclose(values["expected_order_value"], empirical)
    assert (values["expected_future_value"] > 0).all()
