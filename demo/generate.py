"""Generate a demo event history with known churn causes, and write it as landing files.

python -m demo.generate [--world shop] [--users 5000] [--days 180] [--end-date YYYY-MM-DD]
                        [--seed 42] [--bad-row-rate 0.001] [--out data]

--world picks the simulated business: the shop (default) or one of demo/worlds/ (community,
subscription), which log under their own event names and have their own ground truth.

Besides the landing files and the ground truth it saves the world as it is at the end of the
history (demo_truth/world.pkl), so demo/campaign.py can continue it with retention actions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from demo import landing, worlds
from demo.events import COLUMNS
from demo.population import draw_population, users_frame
from demo.simulate import DRIVERS, World

WORLD_FILE = "demo_truth/world.pkl"


ROOM_FOR_CAMPAIGN_DAYS = 14


@dataclass
class DemoData:
    events: pd.DataFrame  # the raw-event contract, clean (no bad rows, no duplicates)
    users: pd.DataFrame  # user_id, signup_time, channel, city_tier
    truth: pd.DataFrame  # one row per user: churn/return dates, driver, hidden traits
    world: World | None = None  # the world at the end of the history, to continue from
    subscriptions: pd.DataFrame | None = None  # subscription world: one row per spell


def generate(n_users: int, n_days: int, end_date: dt.date, seed: int,
             simulate_days: int | None = None) -> DemoData:
    """Simulate n_days ending on end_date (inclusive, UTC); the seed fixes everything.

    simulate_days: simulate only the first so many of the n_days; the users still sign up over
    all n_days, so demo.campaign continuing the world to end_date gives the same population
    (demo/first_run.py)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(end_date) - pd.Timedelta(days=n_days - 1)
    pop = draw_population(n_users, n_days, rng)
    world = World(pop, start, rng)
    events = world.frame(world.run(n_days if simulate_days is None else simulate_days))
    return DemoData(events, users_so_far(world), truth_frame(world), world)


def users_so_far(world: World) -> pd.DataFrame:
    """The shop's user export as of the last simulated day: users signed up by then."""
    users = users_frame(world.pop, world.start)
    return users[world.pop.signup_day < world.days].reset_index(drop=True)


def truth_frame(world: World) -> pd.DataFrame:
    """churn_date is the first day without the user; returners keep it and get returned_date.

    The *_response columns say how strongly the user answers retention actions
    (demo/actions.py): coupon_response is the relative rise of their order chance while they
    hold a full coupon, perk_response the same for priority service / exclusive perks, and
    message_open_p their chance to open a message when not on a break.
    """
    pop = world.pop
    churn_day, driver, return_day = world.churned()

    def day(d: np.ndarray) -> pd.Series:
        days = pd.Series(np.where(d == -1, np.nan, d))  # -1 means "never"
        return world.start + pd.to_timedelta(days, unit="D")

    churned = driver >= 0
    return pd.DataFrame(
        {
            "user_id": pop.user_ids,
            "signup_date": day(pop.signup_day),
            "churn_date": day(churn_day),
            "churn_driver": pd.Series(np.where(churned, DRIVERS[driver], None), dtype="str"),
            "returned_date": day(return_day),
            "engagement": pop.engagement.round(4),
            "price_sensitivity": pop.price_sensitivity.round(4),
            "value": pop.value.round(4),
            "coupon_response": (1.2 * pop.price_sensitivity).round(4),
            "perk_response": (0.6 * (1 - pop.price_sensitivity)).round(4),
            "message_open_p": (0.15 + 0.3 * np.minimum(pop.engagement, 1.0)).round(4),
        }
    )


def write(demo: DemoData, out_dir: Path, bad_row_rate: float, seed: int) -> int:
    """Replace the demo folders under out_dir (and save the world to continue from);
    returns the number of event rows written."""
    out_dir = Path(out_dir)
    landing.clear(out_dir)
    # A separate stream from the simulation's, so the same demo gets the same dirt.
    rng = np.random.default_rng([seed, 1])
    # The shop's export is the raw-event contract; the other worlds write times as such
    # exports usually do, ISO 8601 with a Z.
    shop = list(demo.events.columns) == COLUMNS
    rows = landing.write_events(demo.events, out_dir, bad_row_rate, rng,
                                time_format=None if shop else "%Y-%m-%dT%H:%M:%SZ")
    landing.write_table(demo.users, out_dir / "landing/users/users.csv", "%Y-%m-%d %H:%M:%S")
    landing.write_table(demo.truth, out_dir / "demo_truth/ground_truth.csv", "%Y-%m-%d")
    if demo.subscriptions is not None:
        path = out_dir / "landing/subscriptions/subscriptions.csv"
        landing.write_table(demo.subscriptions, path, "%Y-%m-%d")
    if demo.world is not None:
        demo.world.save(out_dir / WORLD_FILE)
    return rows


def default_end_date() -> dt.date:
    """Two weeks before yesterday: `make demo-loop` continues the world by 14 days, and the
    daily partitions only go up to yesterday (there is no data from the future)."""
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1 + ROOM_FOR_CAMPAIGN_DAYS)


def main(argv: list[str] | None = None) -> None:
    default_end = default_end_date()
    p = argparse.ArgumentParser(prog="python -m demo.generate", description=__doc__.split("\n")[0])
    p.add_argument("--world", choices=worlds.WORLDS, default="shop")
    p.add_argument("--users", type=int, default=5000)
    p.add_argument("--days", type=int, default=180)
    p.add_argument("--end-date", type=dt.date.fromisoformat, default=default_end,
                   help=f"last day, UTC (default: {ROOM_FOR_CAMPAIGN_DAYS} days before yesterday)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--bad-row-rate", type=float, default=None,
                   help="share of spoiled rows (default: 0.001 for the shop, 0 for other worlds)")
    p.add_argument("--out", type=Path, default=Path("data"))
    a = p.parse_args(argv)
    began = time.perf_counter()
    if a.world == "shop":
        demo = generate(a.users, a.days, a.end_date, a.seed)
    else:
        demo = worlds.generate(a.world, a.users, a.days, a.end_date, a.seed)
    bad_row_rate = a.bad_row_rate
    if bad_row_rate is None:
        bad_row_rate = 0.001 if a.world == "shop" else 0.0
    write(demo, a.out, bad_row_rate, a.seed)
    secs = time.perf_counter() - began
    n = len(demo.events)
    print(f"users={a.users} events={n} days={a.days} seconds={secs:.1f} events/s={n / secs:,.0f}")


if __name__ == "__main__":
    main()
