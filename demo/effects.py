"""The true effect of a retention plan, estimated by Monte Carlo from the saved world.

Users never interact, so a world of only the plan's users behaves like the full one for them.
Each plan user is copied 2 x reps times into one sub-world: the first reps copies all get
their action, the others get nothing; one run over the outcome window then gives reps
independent draws of every user's outcomes under both, from a generator seeded apart from the
world's own (the realized world keeps its stream). Whole arrays of copies instead of a loop
over runs keep it as fast as one simulation of 2 x reps x plan-size users.

The effect is the average over ALL plan users, treatment and control arm alike: that is what
comparing the arms of a randomized holdout estimates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo.actions import Sends
from demo.events import T
from demo.simulate import World

OUTCOMES = ("order", "active", "revenue")
EFFECT_COLUMNS = ["action", "incentive_type", "segment", "users", "true_order_rate_treated",
                  "true_order_rate_untreated", "true_order_uplift", "true_active_uplift",
                  "true_revenue_uplift_per_user", "mc_std_error_order_uplift"]  # fmt: skip
_LOGGED = [T["order"], T["session_start"]]


def expected_outcomes(world: World, sends: Sends, days: int, reps: int, seed: int) -> pd.DataFrame:
    """Per send row: mean outcomes over the next `days` days treated and untreated.

    order / active: chance of at least one order / one session or order; revenue: expected
    order amount. order_uplift_se is the Monte-Carlo standard error of the user's order uplift.
    """
    if reps < 2:
        raise ValueError("reps must be at least 2 for a standard error")
    k = len(sends)
    rows = np.tile(np.arange(k), 2 * reps)
    sub = world.subset(sends.user[rows], np.random.default_rng([seed, 2, world.days]))
    treated = sends.take(rows[: reps * k]).on(np.arange(reps * k))
    ev = sub.run(days, treated, keep=_LOGGED)
    n = 2 * reps * k
    order = ev["type"] == T["order"]
    draws = {
        "order": np.bincount(ev["user"][order], minlength=n) > 0,
        "active": np.bincount(ev["user"], minlength=n) > 0,
        "revenue": np.bincount(ev["user"][order], weights=ev["amount"][order], minlength=n),
    }
    out = {}
    for name, values in draws.items():
        by_arm = values.reshape(2, reps, k).astype(float)  # [treated/untreated, copy, user]
        out[f"{name}_treated"], out[f"{name}_untreated"] = by_arm.mean(axis=1)
        if name == "order":
            var = by_arm.var(axis=1, ddof=1).sum(axis=0) / reps
    frame = pd.DataFrame(out)
    for name in OUTCOMES:
        frame[f"{name}_uplift"] = frame[f"{name}_treated"] - frame[f"{name}_untreated"]
    frame["order_uplift_se"] = np.sqrt(var)
    return frame


def summarize(users: pd.DataFrame) -> pd.DataFrame:
    """Average effects per (action, incentive_type, segment), per (action, incentive_type)
    with segment "all", per action and over the whole plan ("all" for what is pooled)."""
    parts = []
    for keys in (["action", "incentive_type", "segment"], ["action", "incentive_type"],
                 ["action"], []):  # fmt: skip
        frame = users.assign(_all="all", _se2=users["order_uplift_se"] ** 2)
        g = frame.groupby(keys or ["_all"], sort=True)
        part = pd.DataFrame({
            "users": g.size(),
            "true_order_rate_treated": g["order_treated"].mean(),
            "true_order_rate_untreated": g["order_untreated"].mean(),
            "true_order_uplift": g["order_uplift"].mean(),
            "true_active_uplift": g["active_uplift"].mean(),
            "true_revenue_uplift_per_user": g["revenue_uplift"].mean(),
            "mc_std_error_order_uplift": np.sqrt(g["_se2"].sum()) / g.size(),
        }).reset_index()  # fmt: skip
        for col in ("action", "incentive_type", "segment"):
            if col not in keys:
                part[col] = "all"
        parts.append(part[EFFECT_COLUMNS])
    out = pd.concat(parts, ignore_index=True)
    return out.round({c: 5 for c in EFFECT_COLUMNS[4:]})
