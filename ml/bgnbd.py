"""BG/NBD (Fader, Hardie & Lee 2005): buyers purchase at a Poisson rate until they silently
drop out, with probability p after each repeat purchase; rates ~ Gamma(r, alpha), p ~ Beta(a, b).

Time is in days and a "purchase" is a day with an order, so x = repeat_order_days,
t_x = first_to_last_order_days and T = first_order_age_days.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import gammaln

PURCHASE_COLUMNS = ["repeat_order_days", "first_to_last_order_days", "first_order_age_days"]


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float

    def p_alive(self, x, t_x, T) -> np.ndarray:
        """P(still a customer at T | x repeat purchases, the last at t_x)."""
        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        # For x = 0 the dropout term is absent: one can only drop out after a repeat purchase.
        ratio = np.where(x > 0, self.a / (self.b + np.maximum(x, 1) - 1), 0.0)
        log_term = (self.r + x) * (np.log(self.alpha + T) - np.log(self.alpha + t_x))
        return 1.0 / (1.0 + ratio * np.exp(log_term))

    def p_no_purchase(self, x, t_x, T, horizon: float) -> np.ndarray:
        """P(no purchase in (T, T + horizon]): dead, or alive with no purchase in the window.

        Alive, the rate's posterior is Gamma(r + x, alpha + T), and a customer can drop out only
        right after a purchase, so P(none | alive) = ((alpha + T) / (alpha + T + horizon))^(r + x).
        """
        x, T = np.asarray(x, dtype=float), np.asarray(T, dtype=float)
        shrink = np.log(self.alpha + T) - np.log(self.alpha + T + horizon)
        none_if_alive = np.exp((self.r + x) * shrink)
        return 1.0 - self.p_alive(x, t_x, T) * (1.0 - none_if_alive)


def log_likelihood(params, x, t_x, T) -> np.ndarray:
    """Per-customer log-likelihood (Fader, Hardie & Lee 2005, eq. 6, in log-sum-exp form)."""
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + t_x)
    return a1 + a2 + np.logaddexp(a3, np.where(x > 0, a4, -np.inf))


def fit_bgnbd(x, t_x, T) -> BgNbd:
    """Maximum likelihood on log-parameters; identical (x, t_x, T) rows are fitted once,
    weighted by their count."""
    data = pd.DataFrame({"x": x, "t_x": t_x, "T": T}).astype(float)
    counts = data.value_counts().reset_index(name="n")
    xs, txs, Ts, n = (counts[c].to_numpy() for c in ["x", "t_x", "T", "n"])

    def negative_ll(log_params):
        return -np.sum(n * log_likelihood(np.exp(log_params), xs, txs, Ts)) / n.sum()

    start = np.log([1.0, max(float(np.mean(T)), 1.0), 1.0, 1.0])
    # Bounds keep the optimizer out of overflow when p or the rates run to an extreme.
    found = minimize(negative_ll, start, method="L-BFGS-B", bounds=[(-8.0, 8.0)] * 4)
    if not found.success:
        raise RuntimeError(f"BG/NBD fit did not converge: {found.message}")
    return BgNbd(*(float(v) for v in np.exp(found.x)))
