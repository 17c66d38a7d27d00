"""Continue the demo world past its history, with the pipeline's retention plan sent.

python -m demo.campaign [--out data] [--days 14] [--plan PATH] [--reps 30] [--seed 42]
                        [--horizon DAYS] [--bad-row-rate 0.001]

Loads OUT/demo_truth/world.pkl (saved by demo.generate or an earlier campaign). The plan is
the pipeline's `action_assignments` for the decision date = the last simulated day, read from
OUT/serving.duckdb, unless --plan names a CSV or Parquet file. The plan's treatment rows are
sent on the first new day (demo/actions.py); then `days` days are simulated and written as
landing day folders next to the existing ones, with the updated ground truth and world, and
the true effect of the plan (demo/effects.py) over the first `horizon` new days (default:
`days`) in demo_truth/action_effects.csv and action_user_effects.csv. Those two files keep
the rows of other decision dates, so daily one-day continuations build up a history.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from demo import actions, landing
from demo.effects import EFFECT_COLUMNS, expected_outcomes, summarize
from demo.generate import WORLD_FILE, truth_frame, users_so_far
from demo.simulate import World

_PLAN_COLUMNS = ["user_id", "arm", "action", "incentive_type", "segment"]
_USER_COLUMNS = ["status", "price_sensitivity", "engagement", "value", "order_treated",
                 "order_untreated", "active_treated", "active_untreated", "revenue_treated",
                 "revenue_untreated", "order_uplift", "order_uplift_se"]  # fmt: skip
_WINDOW = ["decision_date", "outcome_start", "outcome_end"]


@dataclass
class CampaignResult:
    events: pd.DataFrame  # the new days' events, the raw-event contract, clean
    truth: pd.DataFrame  # ground truth over the whole window so far (as in DemoData)
    effects: pd.DataFrame  # true average effects: _WINDOW + EFFECT_COLUMNS
    user_effects: pd.DataFrame  # per plan user: _WINDOW + _PLAN_COLUMNS + _USER_COLUMNS
    first_day: int  # day index of the first new day (day 0 = the first landing day)


def decision_date(world: World) -> pd.Timestamp:
    """The last simulated day: the day a plan for the next day's sends is decided on."""
    return world.start + pd.Timedelta(days=world.days - 1)


def continue_world(world: World, days: int, plan: pd.DataFrame, reps: int = 30,
                   seed: int = 42, horizon: int | None = None) -> CampaignResult:  # fmt: skip
    """Advance `world` (in place) by `days` days with the plan's treatment rows sent on the
    first, and estimate the plan's true effect over the first `horizon` new days by Monte
    Carlo with `reps` runs per arm (the world's own generator is not touched by that)."""
    horizon = days if horizon is None else horizon
    plan = actions.normalize_plan(plan)
    sends = actions.sends_from_plan(plan, world)
    decided, first = decision_date(world), world.days
    window = {"decision_date": decided.date(),
              "outcome_start": (decided + pd.Timedelta(days=1)).date(),
              "outcome_end": (decided + pd.Timedelta(days=horizon)).date()}  # fmt: skip
    users = plan[_PLAN_COLUMNS].assign(status=_status(world, sends.user))
    for trait in ("price_sensitivity", "engagement", "value"):
        users[trait] = getattr(world.pop, trait)[sends.user].round(4)
    if len(plan):
        users = pd.concat([users, expected_outcomes(world, sends, horizon, reps, seed)], axis=1)
        effects = summarize(users)
    else:
        users = users.reindex(columns=_PLAN_COLUMNS + _USER_COLUMNS)
        effects = pd.DataFrame(columns=EFFECT_COLUMNS)
    treated = (plan["arm"] == "treatment").to_numpy()
    events = world.frame(world.run(days, sends.take(treated)))
    return CampaignResult(events, truth_frame(world), _with_window(effects, window),
                          _with_window(users.round(5), window), first)  # fmt: skip


def _status(world: World, user: np.ndarray) -> np.ndarray:
    """Where each plan user stands when the plan goes out."""
    st, d = world.st, world.days
    gone = ~st.active[user] & (st.churn_day[user] >= 0)
    away = st.active[user] & (st.away_until[user] >= d)
    return np.select([gone, away, st.active[user]], ["churned", "on_break", "active"],
                     "not_joined")  # fmt: skip


def _with_window(frame: pd.DataFrame, window: dict) -> pd.DataFrame:
    return frame.assign(**window)[list(window) + [c for c in frame.columns if c not in window]]


def load_plan(out_dir: Path, world: World, path: Path | None = None) -> pd.DataFrame:
    """The plan from a CSV / Parquet file, or the published assignments of the decision date."""
    if path is not None:
        path = Path(path)
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype={"user_id": str, "segment": str, "channel": str})
    day = decision_date(world).date()
    with duckdb.connect(str(Path(out_dir) / "serving.duckdb"), read_only=True) as con:
        sql = "select * from action_assignments where cast(decision_date as date) = ?"
        return con.execute(sql, [day]).df()


def write(result: CampaignResult, world: World, out_dir: Path, bad_row_rate: float,
          seed: int) -> int:  # fmt: skip
    """Add the new landing days (earlier days untouched), replace users, ground truth and world,
    and merge the effects into the effect files; returns the number of event rows written."""
    out_dir = Path(out_dir)
    rng = np.random.default_rng([seed, 1, result.first_day])  # same continuation, same dirt
    rows = landing.write_events(result.events, out_dir, bad_row_rate, rng)
    # Users who signed up in the new days join the export (demo/first_run.py's history stops
    # before the last signups; after a full history it is the same file again).
    landing.write_table(users_so_far(world), out_dir / "landing/users/users.csv", "%Y-%m-%d %H:%M:%S")
    truth_dir = out_dir / "demo_truth"
    landing.write_table(result.truth, truth_dir / "ground_truth.csv", "%Y-%m-%d")
    for name, frame in [("action_effects.csv", result.effects),
                        ("action_user_effects.csv", result.user_effects)]:  # fmt: skip
        _merge(frame, truth_dir / name)
    world.save(out_dir / WORLD_FILE)
    return rows


def _merge(frame: pd.DataFrame, path: Path) -> None:
    """Replace this decision date's rows in the file, keep the other dates'."""
    if path.exists():
        old = pd.read_csv(path, dtype=str, keep_default_na=False)
        mine = frame["decision_date"].astype(str).iloc[0] if len(frame) else None
        frame = pd.concat([old[old["decision_date"] != mine], frame], ignore_index=True)
    landing.write_table(frame, path, "%Y-%m-%d")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m demo.campaign", description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=Path("data"))
    p.add_argument("--days", type=int, default=14, help="days to add to the world")
    p.add_argument("--plan", type=Path, help="CSV or Parquet plan instead of serving.duckdb")
    p.add_argument("--reps", type=int, default=30, help="Monte-Carlo runs per arm (>= 2)")
    p.add_argument("--horizon", type=int, help="outcome days of the true effect (default --days)")
    p.add_argument("--seed", type=int, default=42, help="for the Monte Carlo and the dirt")
    p.add_argument("--bad-row-rate", type=float, default=0.001)
    a = p.parse_args(argv)
    if a.days < 1 or a.reps < 2 or (a.horizon is not None and a.horizon < 1):
        p.error("--days and --horizon must be >= 1, --reps >= 2")
    if not (a.out / WORLD_FILE).exists():
        p.error(f"no saved world at {a.out / WORLD_FILE}: run python -m demo.generate first")
    began = time.perf_counter()
    world = World.load(a.out / WORLD_FILE)
    decided = decision_date(world).date()
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    if decided + dt.timedelta(days=a.days) > yesterday:
        p.error(f"the demo world ends on {decided}; {a.days} more days would pass yesterday ({yesterday}), "
                f"and the pipeline's daily partitions stop at yesterday. Use fewer --days, or regenerate "
                f"an earlier history: python -m demo.generate --end-date YYYY-MM-DD")
    plan = load_plan(a.out, world, a.plan)
    result = continue_world(world, a.days, plan, a.reps, a.seed, a.horizon)
    rows = write(result, world, a.out, a.bad_row_rate, a.seed)
    treated = int((plan["arm"] == "treatment").sum()) if len(plan) else 0
    print(f"decision_date={decided} plan={len(plan)} treated={treated} days={a.days} "
          f"rows={rows} seconds={time.perf_counter() - began:.1f}")
    overall = result.effects[result.effects["incentive_type"] == "all"]
    if len(overall):
        shown = ["action", "users", "true_order_uplift", "mc_std_error_order_uplift",
                 "true_active_uplift", "true_revenue_uplift_per_user"]  # fmt: skip
        print(overall[shown].to_string(index=False))


if __name__ == "__main__":
    main()
