"""The true excess churn of each driver: the demo shop simulated again without it.

A driver's excess churn is how many more churners there are because it exists: churners in
the shop as it is minus churners in the same shop where that driver adds no hazard (and no
strain), counted the way the pipeline counts them. That is what churn_cause_diagnosis
estimates from the log, so it is the truth its ranking is checked against; counting churners
by their largest hazard instead says who left while a driver was the biggest, not how many
left because of it (every user who abandoned a checkout lately has some price hazard, for one).

Both worlds have the demo's population (drawn from its seed) and share each repetition's
random stream, so the difference is the driver's and not noise; retention sends are left out
(both worlds get none). Counted per observation date as the pipeline's no_activity label:
users with an action in the horizon before the date (churn_status 'active') and none in the
horizon after it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from demo.population import DAY, draw_population
from demo.simulate import DRIVERS, SENDS, World
from demo.truth import SHOP_DRIVER_FAMILY


def churners(world: World, days: int, dates: list[dt.date], horizon: int) -> int:
    """Run `world` for `days` and count (user, date) pairs active in the horizon before the
    date and without any action in the horizon after it, over all dates."""
    ev = world.run(days)
    seen = world.present(ev) & ~np.isin(ev["type"], SENDS)  # the user's own actions, as the log shows them
    active = np.zeros((world.pop.size, days), bool)
    active[ev["user"][seen], ev["t"][seen] // DAY] = True
    first_day = world.start.date()
    total = 0
    for date in dates:
        d = (date - first_day).days
        before = active[:, max(0, d - horizon + 1): d + 1].any(axis=1)
        after = active[:, d + 1: d + 1 + horizon].any(axis=1)
        total += int((before & ~after).sum())
    return total


def true_excess(users: int, days: int, end_date: dt.date, seed: int, dates: list[dt.date],
                horizon: int, reps: int = 10) -> pd.DataFrame:
    """Per driver family: mean excess churners over `reps` pairs of worlds, with its standard
    error. `dates` must have their whole horizon within the simulated days."""
    start = pd.Timestamp(end_date) - pd.Timedelta(days=days - 1)
    pop = draw_population(users, days, np.random.default_rng(seed))
    drivers = [i for i, name in enumerate(DRIVERS) if name in SHOP_DRIVER_FAMILY]
    diffs = np.zeros((reps, len(drivers)))
    for rep in range(reps):
        def count(without: tuple[int, ...]) -> int:
            world = World(pop, start, np.random.default_rng([seed, rep]))
            world.ctx.without = without
            return churners(world, days, dates, horizon)

        actual = count(())
        diffs[rep] = [actual - count((i,)) for i in drivers]
    return pd.DataFrame({
        "cause_family": [SHOP_DRIVER_FAMILY[DRIVERS[i]] for i in drivers],
        "true_excess_churners": diffs.mean(axis=0),
        "std_error": diffs.std(axis=0, ddof=1) / np.sqrt(reps) if reps > 1 else np.nan,
    }).sort_values("true_excess_churners", ascending=False, ignore_index=True)
