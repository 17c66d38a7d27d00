"""How fast a retention campaign continues the demo world, and the true effects it has.

    python benchmarks/demo_campaign.py [--users 20000] [--days 120] [--plan-users 3000]
                                       [--reps 30] [--continue-days 14] [--seed 42]

Writes a history to a temporary folder, picks --plan-users random users active in its last 14
days (50% automated_guide/tips_message, 40% incentive/spend_threshold_coupon, 10%
personal_outreach/priority_service; 10% control) and runs `python -m demo.campaign` on them,
timing the whole command (load world, Monte Carlo, realized days, files).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from demo import campaign
from demo.generate import generate, write

MIX = [("automated_guide", "tips_message", "app", 0.5),
       ("incentive", "spend_threshold_coupon", "sms", 0.4),
       ("personal_outreach", "priority_service", "phone", 0.1)]  # fmt: skip


def plan_of_recent_users(events: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    last = events["event_time"].max().normalize()
    seen = events["event_type"].isin(["session_start", "order"])
    seen &= events["event_time"] >= last - pd.Timedelta(days=13)
    rng = np.random.default_rng(seed)
    users = rng.choice(np.sort(events["user_id"][seen].unique()), n, replace=False)
    pick = rng.choice(len(MIX), n, p=[m[3] for m in MIX])
    col = lambda i: np.array([m[i] for m in MIX])[pick]  # noqa: E731
    return pd.DataFrame({
        "user_id": users, "arm": np.where(rng.random(n) < 0.1, "control", "treatment"),
        "action": col(0), "incentive_type": col(1), "channel": col(2),
        "coupon_validity_days": np.where(col(1) == "spend_threshold_coupon", 14, None),
        "send_hour": 10, "segment": rng.choice(["at_risk", "lapsing"], n),
    })  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--users", type=int, default=20_000)
    p.add_argument("--days", type=int, default=120)
    p.add_argument("--plan-users", type=int, default=3000)
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--continue-days", type=int, default=14)
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        began = time.perf_counter()
        demo = generate(a.users, a.days, dt.date(2025, 6, 30), a.seed)
        write(demo, out, bad_row_rate=0.001, seed=a.seed)
        print(f"history: users={a.users} days={a.days} seconds={time.perf_counter() - began:.1f}")
        plan_of_recent_users(demo.events, a.plan_users, a.seed).to_csv(out / "plan.csv", index=False)
        began = time.perf_counter()
        campaign.main(["--out", tmp, "--plan", str(out / "plan.csv"), "--reps", str(a.reps),
                       "--days", str(a.continue_days), "--seed", str(a.seed)])  # fmt: skip
        print(f"campaign: plan={a.plan_users} reps={a.reps} days={a.continue_days} "
              f"seconds={time.perf_counter() - began:.1f}")
        effects = pd.read_csv(out / "demo_truth/action_effects.csv")
        users = pd.read_csv(out / "demo_truth/action_user_effects.csv")
    pd.set_option("display.width", 200)
    print(effects[effects.segment == "all"].iloc[:, 3:].to_string(index=False))
    users["price_sensitivity"] = pd.cut(users["price_sensitivity"], [0, 0.2, 0.4, 0.6, 1])
    for by in ("price_sensitivity", "status"):
        table = users.groupby(["action", by], observed=True)["order_uplift"].agg(["size", "mean"])
        print(table.round(3).unstack(0).to_string())


if __name__ == "__main__":
    main()
