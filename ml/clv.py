"""Expected future value per user: BG/NBD for how many order days a user will have in a horizon,
Gamma-Gamma for what one is worth (Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-value
Curves"; Fader & Hardie, "The Gamma-Gamma Model of Monetary Value").

The action layer prices acting on a user as churn probability x expected_future_value x save
rate - cost; expected_future_value = expected order days x expected value per order day x gross
margin, the money at stake that can pay for an incentive.

A "purchase" is a day with an order (as in ml.bgnbd), so values are per order day, and m_x is the
mean over the x repeat order days: the first is left out as in the paper, because the model
predicts repeat purchases and first orders are often unlike later ones.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import gammaln

from ml.bgnbd import fit_bgnbd

MIN_REPEAT_BUYERS = 20  # below this the two fits are too noisy to trust: use the simple estimates
VALUE_COLUMNS = ["p_alive", "expected_orders", "expected_order_value", "expected_future_revenue",
                 "expected_future_value"]


@dataclass(frozen=True)
class GammaGamma:
    """A customer's order values ~ Gamma(shape p, rate nu); across customers nu ~ Gamma(q, gamma)."""

    p: float
    q: float
    gamma: float

    def __post_init__(self):
        if not self.q > 1:
            raise ValueError(f"Gamma-Gamma q = {self.q:.3f} <= 1: order values have no finite mean "
                             "(too heavy a tail), so there is no population mean to shrink towards")

    @property
    def population_mean(self) -> float:
        return self.p * self.gamma / (self.q - 1)

    def conditional_expected_order_value(self, x, m_x) -> np.ndarray:
        """E[value of an order | x repeat orders averaging m_x] = p (gamma + m_x x) / (p x + q - 1):
        a weighted mean of the population mean and m_x, trusting m_x more as x grows. x = 0, or
        a missing m_x, gives the population mean."""
        x, m_x = np.asarray(x, dtype=float), np.asarray(m_x, dtype=float)
        seen = (x > 0) & np.isfinite(m_x)
        x, m_x = np.where(seen, x, 0.0), np.where(seen, np.maximum(m_x, 0.0), 0.0)
        return self.p * (self.gamma + m_x * x) / (self.p * x + self.q - 1)


def gamma_gamma_log_likelihood(params, x, m_x) -> np.ndarray:
    """Per-customer log density of the mean m_x of x order values (Fader & Hardie's note, eq. 4)."""
    p, q, gamma = params
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma)
            + (px - 1) * np.log(m_x) + px * np.log(x) - (px + q) * np.log(gamma + m_x * x))


def fit_gamma_gamma(x, m_x) -> GammaGamma:
    """Maximum likelihood on customers with x >= 1 repeat orders of positive mean value m_x.

    Values are divided by their mean first, so the log-parameter bounds (as in fit_bgnbd) fit any
    currency unit; gamma, a rate on the value scale, is multiplied back. Raises ValueError when
    the fit has q <= 1."""
    x, m_x = np.asarray(x, dtype=float), np.asarray(m_x, dtype=float)
    keep = (x >= 1) & np.isfinite(m_x) & (m_x > 0)
    x, m_x = x[keep], m_x[keep]
    if len(x) == 0:
        raise ValueError("no customer with a repeat order of positive value to fit Gamma-Gamma on")
    scale = float(m_x.mean())

    def negative_ll(log_params):
        return -np.mean(gamma_gamma_log_likelihood(np.exp(log_params), x, m_x / scale))

    # Start at p = 1, q = 2, gamma = 1: population mean 1 on the scaled values.
    found = minimize(negative_ll, np.log([1.0, 2.0, 1.0]), method="L-BFGS-B", bounds=[(-8.0, 8.0)] * 3)
    if not found.success:
        raise RuntimeError(f"Gamma-Gamma fit did not converge: {found.message}")
    p, q, gamma = (float(v) for v in np.exp(found.x))
    return GammaGamma(p=p, q=q, gamma=gamma * scale)


@dataclass
class CustomerValue:
    values: pd.DataFrame  # user_id and VALUE_COLUMNS, one row per input row, in input order
    params: dict  # fitted parameters (NaN where a model was not fitted) and counts
    estimator: str  # "<frequency>+<value>", e.g. "bgnbd+gamma_gamma"
    fallback_reasons: list[str] = field(default_factory=list)


def customer_value(frame: pd.DataFrame, horizon_days: float = 180, margin: float = 0.3,
                   min_repeat_buyers: int = MIN_REPEAT_BUYERS) -> CustomerValue:
    """Expected orders, order value, revenue and margin (value) per user in the next horizon_days.

    frame: user_id, repeat_order_days (x; null if never ordered), first_to_last_order_days (t_x),
    first_order_age_days (T), tenure_days, mean_order_value (mean value of the repeat order days,
    null without repeat orders).

    BG/NBD is fitted on buyers only. Users who never ordered are scored with x = 0, t_x = 0 and
    T = tenure_days: first activity stands in for the first purchase ("birth"), so the longer they
    have been around without ordering, the lower their expected rate. BG/NBD lets customers drop
    out only after a repeat purchase, so p_alive is 1 for anyone with x = 0 (never-buyers and
    one-order buyers); their expected_orders still shrink with T. Never-buyers, and buyers without
    repeat orders, get the Gamma-Gamma population mean order value.

    With fewer than min_repeat_buyers repeat buyers (or a fit that fails), each model falls back on
    its own, named in `estimator` and explained in `fallback_reasons`:
    - frequency "pooled_rate": horizon_days x (all order days / all tenure days), the same for
      every user; p_alive is then NaN.
    - value "empirical_mean": the mean value of all repeat order days (NaN if no order has a value).
    """
    buyer = frame["repeat_order_days"].notna().to_numpy()
    x, t_x, T = _history(frame, buyer)
    m_x = frame["mean_order_value"].astype("float64").to_numpy()
    reasons: list[str] = []
    p_alive, orders, frequency_params, frequency = _expected_orders(
        frame, buyer, x, t_x, T, horizon_days, min_repeat_buyers, reasons)
    order_value, value_params, value = _expected_order_value(x, m_x, min_repeat_buyers, reasons)
    revenue = orders * order_value
    values = pd.DataFrame({"user_id": frame["user_id"].to_numpy(), "p_alive": p_alive,
                           "expected_orders": orders, "expected_order_value": order_value,
                           "expected_future_revenue": revenue, "expected_future_value": revenue * margin})
    params = {**frequency_params, **value_params, "horizon_days": horizon_days, "margin": margin,
              "users": len(frame), "buyers": int(buyer.sum()), "repeat_buyers": int((x[buyer] >= 1).sum())}
    return CustomerValue(values, params, f"{frequency}+{value}", reasons)


def _history(frame: pd.DataFrame, buyer: np.ndarray):
    """(x, t_x, T) for BG/NBD: buyers' own, never-buyers (0, 0, tenure); clipped to 0 <= t_x <= T."""
    def column(name):
        return frame[name].astype("float64").fillna(0).clip(lower=0).to_numpy()

    tenure = column("tenure_days")
    x = np.where(buyer, column("repeat_order_days"), 0.0)
    T = np.where(buyer, column("first_order_age_days"), tenure)
    t_x = np.where(buyer, np.minimum(column("first_to_last_order_days"), T), 0.0)
    return x, t_x, T


def _expected_orders(frame, buyer, x, t_x, T, horizon, min_repeat_buyers, reasons):
    repeat_buyers = int((x[buyer] >= 1).sum())
    nan_params = {name: float("nan") for name in ("r", "alpha", "a", "b")}
    if repeat_buyers < min_repeat_buyers:
        reasons.append(f"BG/NBD: only {repeat_buyers} repeat buyers (need {min_repeat_buyers})")
    else:
        try:
            model = fit_bgnbd(x[buyer], t_x[buyer], T[buyer])
            return (model.p_alive(x, t_x, T), model.expected_purchases(x, t_x, T, horizon),
                    {**vars(model), "order_days_per_day": float("nan")}, "bgnbd")
        except (RuntimeError, ValueError) as err:
            reasons.append(f"BG/NBD: {err}")
    order_days = float(np.sum(x[buyer] + 1))
    exposure = float(frame["tenure_days"].astype("float64").fillna(0).clip(lower=0).sum())
    rate = order_days / exposure if exposure > 0 else 0.0
    return (np.full(len(x), np.nan), np.full(len(x), rate * horizon),
            {**nan_params, "order_days_per_day": rate}, "pooled_rate")


def _expected_order_value(x, m_x, min_repeat_buyers, reasons):
    fitted_on = int(np.sum((x >= 1) & np.isfinite(m_x) & (m_x > 0)))
    nan_params = {name: float("nan") for name in ("p", "q", "gamma")}
    if fitted_on < min_repeat_buyers:
        reasons.append(f"Gamma-Gamma: only {fitted_on} repeat buyers with order values (need {min_repeat_buyers})")
    else:
        try:
            model = fit_gamma_gamma(x, m_x)
            return (model.conditional_expected_order_value(x, m_x),
                    {**vars(model), "population_mean_order_value": model.population_mean}, "gamma_gamma")
        except (RuntimeError, ValueError) as err:
            reasons.append(f"Gamma-Gamma: {err}")
    known = (x >= 1) & np.isfinite(m_x)
    mean = float(np.sum(x[known] * m_x[known]) / np.sum(x[known])) if known.any() else float("nan")
    return np.full(len(x), mean), {**nan_params, "population_mean_order_value": mean}, "empirical_mean"
