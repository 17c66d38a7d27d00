"""The counterfactual shop behind the benchmark's true excess churn per driver."""

import datetime as dt

import numpy as np
import pandas as pd

from demo.counterfactual import churners, true_excess
from demo.population import draw_population
from demo.simulate import DRIVERS, World

START = pd.Timestamp("2026-01-01")


def _world(without=(), seed=3, users=400, days=120):
    pop = draw_population(users, days, np.random.default_rng(seed))
    world = World(pop, START, np.random.default_rng([seed, 0]))
    world.ctx.without = without
    return world


def test_a_switched_off_driver_never_drives_churn_and_fewer_users_leave():
    late = list(DRIVERS).index("delivery")
    actual, without = _world(), _world((late,))
    dates = [dt.date(2026, 2, 1) + dt.timedelta(days=7 * i) for i in range(4)]
    n_actual, n_without = churners(actual, 120, dates, 30), churners(without, 120, dates, 30)
    assert not (without.st.driver == late).any()
    assert (actual.st.driver == late).any()
    assert n_without < n_actual


def test_true_excess_has_one_row_per_driver_family_most_first():
    dates = [dt.date(2026, 3, 1), dt.date(2026, 3, 8)]
    excess = true_excess(300, 120, dt.date(2026, 4, 30), 5, dates, 30, reps=2)
    assert set(excess["cause_family"]) == {"experience", "service", "logistics", "trust", "value_or_price"}
    assert excess["true_excess_churners"].is_monotonic_decreasing
    assert excess["std_error"].notna().all()
