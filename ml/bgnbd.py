"""BG/NBD (Fader, Hardie & Lee 2005): buyers purchase at a Poisson rate until they silently
drop out, with probability p after each repeat purchase; rates ~ Gamma(r, alpha), p ~ Beta(a, b).

Time is in days and a "purchase" is a day with an order, so x = repeat_order_days,
t_x = first_to_last_order_days and T = first_order_age_days.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

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

    def expected_purchases(self, x, t_x, T, horizon: float) -> np.ndarray:
        """E[purchases in (T, T + horizon] | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10).

        Eq. 10 has (1 - z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z) with z = horizon / (alpha+T+horizon):
        for frequent buyers a huge 2F1 times a tiny power. Euler's transformation rewrites it as
        (1 - z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z), whose upper parameters do not grow with x.
        """
        x, T = np.asarray(x, dtype=float), np.asarray(T, dtype=float)
        # a = 1 is a removable singularity of the closed form (0/0); step just off it.
        a = self.a if abs(self.a - 1.0) > 1e-6 else 1.0 + 1e-6
        c = a + self.b + x - 1.0
        log_one_minus_z = np.log(self.alpha + T) - np.log(self.alpha + T + horizon)
        z = -np.expm1(log_one_minus_z)
        tail = np.exp((a - 1.0) * log_one_minus_z) * _hyp2f1(a + self.b - 1.0 - self.r, a - 1.0, c, z)
        # Clipped at 0: at horizon 0 round-off can leave -0.0 or -1e-17.
        return np.maximum(c / (a - 1.0) * (1.0 - tail) * self.p_alive(x, t_x, T), 0.0)


def _hyp2f1(a, b, c, z) -> np.ndarray:
    """scipy's 2F1, summed as a power series where scipy gives NaN: it does for c above ~150
    with z above ~0.9 (buyers with many order days, long horizons). There the terms shrink
    like (a)_k (b)_k / (c)_k k! z^k, so a few dozen terms reach machine precision."""
    a, b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, c, z)))
    value = np.array(hyp2f1(a, b, c, z), dtype=float)
    bad = ~np.isfinite(value)
    if bad.any():
        a, b, c, z = a[bad], b[bad], c[bad], z[bad]
        term, total = np.ones_like(z), np.ones_like(z)
        for k in range(100_000):
            term = term * (a + k) * (b + k) / ((c + k) * (k + 1)) * z
            total += term
            if np.all(np.abs(term) <= 1e-16 * np.abs(total)):
                break
        value[bad] = total
    return value


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
