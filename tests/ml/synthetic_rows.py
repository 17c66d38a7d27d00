"""Synthetic training rows with known drivers, shaped like main.churn_training_set."""

import numpy as np
import pandas as pd

SIGNAL_FEATURES = ["days_since_last_activity", "avg_page_load_ms", "orders_30d"]
FEATURES = [*SIGNAL_FEATURES, "noise_0"]
PURCHASE_FEATURES = ["repeat_order_days", "first_to_last_order_days", "first_order_age_days"]


def make_rows(
    n_users=3000, n_dates=8, seed=0, n_noise=1, purchases=False, segments=False, trend=False
):
    """Weekly observation dates; churn rises with recency and slow pages, falls with orders.

    The last date is immature (its label window is still open), so churned is null there.
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2025-01-06", periods=n_dates, freq="7D")
    n = n_users * n_dates
    engagement = np.tile(rng.gamma(2.0, 1.0, n_users), n_dates)
    recency = rng.exponential(10 / engagement)
    page_load = np.tile(rng.normal(1500, 500, n_users), n_dates) + rng.normal(0, 200, n)
    page_load[rng.random(n) < 0.15] = np.nan  # users without page views: feature is null
    orders = rng.poisson(engagement).astype(float)
    logit = -2.0 + 0.08 * recency + 0.0015 * (np.nan_to_num(page_load, nan=1500) - 1500)
    churned = rng.random(n) < 1 / (1 + np.exp(-(logit - 0.4 * orders)))
    as_of = np.repeat(dates.to_numpy(), n_users)
    mature = as_of < dates[-1].to_datetime64()
    rows = pd.DataFrame(
        {
            "user_id": np.tile([f"u{i:06d}" for i in range(n_users)], n_dates),
            "as_of_date": as_of,
            "churned": pd.array(np.where(mature, churned.astype(int), 0), dtype="Int64"),
            "label_mature": mature,
            "days_since_last_activity": recency,
            "avg_page_load_ms": page_load,
            "orders_30d": orders,
        }
    )
    rows.loc[~mature, "churned"] = pd.NA
    for i in range(n_noise):
        rows[f"noise_{i}"] = rng.normal(size=n)
    if purchases:
        rows = rows.assign(**_purchase_history(rng, engagement, recency))
    if segments:
        rows = rows.assign(**_segments(orders, recency))
    if trend:
        rows = rows.assign(activity_trend=_activity_trend(rng, recency))
    return rows


def _activity_trend(rng, recency):
    """(recent - earlier event rate) / (earlier + 1), as in user_features.sql: it falls towards
    -1 as users drift away (and recency grows); null on a few rows to exercise the fill."""
    earlier = rng.gamma(2.0, 1.0, len(recency))
    recent = earlier * rng.gamma(4.0, 0.25, len(recency)) * np.exp(-recency / 15)
    trend = (recent - earlier) / (earlier + 1)
    return np.where(rng.random(len(recency)) < 0.05, np.nan, trend)


def _purchase_history(rng, engagement, recency):
    """Order-day counts that grow with engagement; a quarter of users never ordered (nulls)."""
    age = rng.uniform(10, 180, len(engagement))
    repeats = rng.poisson(engagement * age / 30).astype(float)
    last = np.clip(age - recency, 0, age) * (repeats > 0)
    never = rng.random(len(engagement)) < 0.25
    history = {"repeat_order_days": repeats, "first_to_last_order_days": last}
    history["first_order_age_days"] = age
    return {name: np.where(never, np.nan, values) for name, values in history.items()}


def _segments(orders, recency):
    """A vip tier big enough for metrics, and a 'reactivated' stage too small to get them."""
    tier = np.where(orders >= 4, "vip", np.where(orders >= 1, "regular", "silent"))
    stage = np.where(recency > 20, "declining", "active").astype(object)
    stage[::200] = "reactivated"  # 0.5 % of rows: fewer than 100 validation rows
    return {"value_tier": tier, "lifecycle_stage": stage}
