"""Measured against true uplift: the pipeline's published uplift_report beside the demo's
true effects (demo_truth/action_effects.csv, written by demo.campaign).

python -m demo.uplift_check [--out data]

Both sides describe the same users: the true effect is the average over every assigned user
(treatment and control), which is what the pipeline's randomized holdout estimates. A week's
true effect is the user-weighted mean over the decision dates in that week.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
import pandas as pd

KEYS = ["campaign_week", "action", "incentive_type", "segment"]


def measured_vs_true(out_dir: Path) -> pd.DataFrame:
    """One row per campaign week x action x incentive type x segment (with the 'all' roll-ups)
    that both sides have: measured uplift and interval, true uplift, and whether it is covered."""
    out_dir = Path(out_dir)
    with duckdb.connect(str(out_dir / "serving.duckdb"), read_only=True) as con:
        measured = con.execute("select * from uplift_report where campaign_week is not null").df()
    truth = pd.read_csv(out_dir / "demo_truth" / "action_effects.csv", parse_dates=["decision_date"])
    truth["campaign_week"] = truth["decision_date"] - pd.to_timedelta(truth["decision_date"].dt.day_of_week, unit="D")
    weighted = truth.assign(
        order_x=truth["true_order_uplift"] * truth["users"],
        revenue_x=truth["true_revenue_uplift_per_user"] * truth["users"],
        se2_x=(truth["mc_std_error_order_uplift"] * truth["users"]) ** 2,
    ).groupby(KEYS, as_index=False)[["users", "order_x", "revenue_x", "se2_x"]].sum()
    weighted["true_order_uplift"] = weighted["order_x"] / weighted["users"]
    weighted["true_revenue_uplift_per_user"] = weighted["revenue_x"] / weighted["users"]
    weighted["true_order_uplift_mc_se"] = weighted["se2_x"] ** 0.5 / weighted["users"]
    measured["campaign_week"] = pd.to_datetime(measured["campaign_week"])
    both = measured.merge(weighted, on=KEYS, how="inner")
    both["covered"] = both["order_uplift_ci_low"].le(both["true_order_uplift"]) & both[
        "order_uplift_ci_high"].ge(both["true_order_uplift"])  # fmt: skip
    columns = KEYS + ["treated_users", "control_users", "small_sample", "order_uplift", "order_uplift_ci_low",
                      "order_uplift_ci_high", "true_order_uplift", "true_order_uplift_mc_se", "covered",
                      "revenue_uplift_per_user", "true_revenue_uplift_per_user"]  # fmt: skip
    return both[columns].sort_values(KEYS, ignore_index=True)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m demo.uplift_check", description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=Path("data"))
    a = p.parse_args(argv)
    table = measured_vs_true(a.out)
    if table.empty:
        print("No measured uplift yet: run demo.campaign and then the pipeline (make demo-loop).")
        return
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_rows", 200):
        print(table[table["segment"] == "all"].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    sized = table[~table["small_sample"]]
    print(f"\nThe true effect is inside the measured interval on {sized['covered'].mean():.0%} of the "
          f"{len(sized)} rows not flagged small_sample (segments included; {len(table) - len(sized)} "
          f"small-sample rows left out).")


if __name__ == "__main__":
    main()
