"""Score the champion and the baselines against a demo world's ground truth.

    .venv/bin/python benchmarks/model_vs_truth.py [--world shop|community|subscription]

Run after `make run` (or `WORLD=community make run`, ...); it reads that world's data folder
(CHURN_DATA_DIR overrides). On the validation observation dates (the latest matured ones, as
in training) it prints how often the pipeline's label agrees with the truth (the user really
churned within the horizon and had not come back), the AUC against the label and against the
truth of the champion and of each baseline (refitted on the training dates, as in training),
how often the main cause names the true driver's family, and churn_cause_diagnosis's excess
churners against the shop's true excess churn per driver (demo/counterfactual.py).
"""

import argparse
import datetime as dt
import json
import os
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from demo import first_run
from demo.counterfactual import true_excess
from demo.truth import left_recently, load_truth, true_churn
from ml.baselines import fit_baselines
from ml.causes import evidence_by_family, explain_causes, retained_references
from ml.reasons import FALLING_ENGAGEMENT
from ml.score import alias_version, churn_probability, input_columns, load_version, use_tracking_store
from ml.split import time_split
from pipeline.model.assets import cause_evidence, feature_catalog
from pipeline.model.scoring import reasons_in_order
from pipeline.settings import REPO_ROOT, load_settings


def cause_match(rows, churners_mask, truth, model, words, evidence, references, retained) -> dict:
    """Among the masked rows' users whose driver has a family (not natural churn): how often
    the main cause, the top 3 causes (drivers other than engagement) and the top 3 reasons
    (the causes, then the symptom; every driver) name the true driver's family."""
    churners = rows[churners_mask].merge(truth[["user_id", "driver_family"]], on="user_id")
    churners = churners[churners["driver_family"].notna() & (churners["driver_family"] != "other")]
    if churners.empty:
        return {"n": 0}
    causes = explain_causes(model, churners, input_columns(model), words=words, evidence=evidence, references=references,
                            retained=retained)
    reasons = reasons_in_order(causes)
    expected = churners["driver_family"].to_numpy()
    cause = expected != FALLING_ENGAGEMENT
    top1 = causes["cause_1"].to_numpy() == expected
    top3 = top1 | (causes["cause_2"].to_numpy() == expected) | (causes["cause_3"].to_numpy() == expected)
    in_reasons = np.column_stack([reasons[f"reason_family_{i}"].to_numpy() == expected for i in (1, 2, 3)]).any(axis=1)
    # A cause is named only with the user's evidence: churners whose grievance comes after the
    # date cannot be named on it by any method, so the share with evidence is the ceiling.
    shown = evidence_by_family(churners, evidence)
    evidenced = np.array([f in shown and pd.notna(shown[f].at[i, "sentence"]) for i, f in zip(churners.index, expected)])
    with_evidence = cause & evidenced
    # Per true driver family: how often it is named, and what the main cause says instead.
    named = pd.DataFrame({"driver": expected, "top1": top1, "top3": top3,
                          "main_cause": causes["cause_1"].fillna("(none)").to_numpy()})[cause]
    by_family = named.groupby("driver").agg(churners=("top1", "size"), top1=("top1", "mean"), top3=("top3", "mean"))
    missed = named[~named["top1"]].groupby("driver")["main_cause"].agg(_most_named)
    by_family["named_instead"] = missed.reindex(by_family.index, fill_value="-")
    return {"n": int(cause.sum()), "top1": top1[cause].mean(), "top3": top3[cause].mean(),
            "n_all": len(churners), "reasons_top3": in_reasons.mean(), "ceiling": with_evidence.sum() / cause.sum(),
            "top1_evidenced": top1[with_evidence].mean() if with_evidence.any() else np.nan, "by_family": by_family}


def _most_named(main_causes: pd.Series) -> str:
    """The main causes named in place of the true one, most frequent first: "service 80, logistics 33"."""
    return ", ".join(f"{name} {count}" for name, count in main_causes.value_counts().head(3).items())


def auc(y, p) -> str:
    return f"{roc_auc_score(y, p):.3f}" if y.nunique() == 2 else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--world", choices=["shop", "community", "subscription"], default="shop")
    parser.add_argument("--reps", type=int, default=20, help="pairs of worlds for the shop's true excess churn")
    args = parser.parse_args()
    world, reps = args.world, args.reps
    if world != "shop" and "CHURN_DATA_DIR" not in os.environ:
        os.environ["CHURN_DATA_DIR"] = str(REPO_ROOT / "data" / "worlds" / world)
    settings = load_settings()
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.sql("select * from main.churn_training_set").df()
        horizon, definition = con.execute(
            "select any_value(horizon_days), any_value(churn_definition) from main.churn_labels").fetchone()
        words, evidence = feature_catalog(con), cause_evidence(con)
        diagnosis = con.sql("""
            select cause_family, sum(excess_churners) as excess_churners, sum(users_affected) as users_affected
            from main.churn_cause_diagnosis where labels_mature group by cause_family order by excess_churners desc
        """).df()
    train, valid = time_split(rows)
    truth = load_truth(settings.root)
    version = alias_version(use_tracking_store(settings.mlflow_tracking_uri), "churn_model", "champion")
    model = load_version("churn_model", version)
    label, real = valid["churned"].astype(int), true_churn(valid, truth, horizon)
    print(f"world {world}: churn_definition {definition}, horizon {horizon} days; champion v{version}")
    print(f"validation rows {len(valid)} over {valid['as_of_date'].nunique()} dates")
    print(f"label rate {label.mean():.3f}; true churn rate {real.mean():.3f}; "
          f"label agrees with truth on {(label == real).mean():.1%}")
    p = churn_probability(model, valid)
    print(f"{'champion':<16} AUC vs label {auc(label, p)}   vs truth {auc(real, p)}")
    baselines, skipped = fit_baselines(train, horizon)
    for baseline in baselines:
        q = baseline.predict(valid)
        print(f"{baseline.name:<16} AUC vs label {auc(label, q)}   vs truth {auc(real, q)}")
    for name, why in skipped.items():
        print(f"{name:<16} skipped: {why}")
    references = retained_references(train, input_columns(model))
    for group, mask in (("who left in the 30 days before the date", left_recently(valid, truth)),
                        ("leaving within 7 days after the date", true_churn(valid, truth, 7, new_only=True) == 1),
                        ("leaving within the horizon after the date", true_churn(valid, truth, horizon, new_only=True) == 1)):
        m = cause_match(valid, mask, truth, model, words, evidence, references, train)
        if not m["n"]:
            print(f"no true churners {group} with a cause driver")
            continue
        print(f"true churners {group}: the main cause names the true driver's family for {m['top1']:.1%} "
              f"of {m['n']} with a cause driver (not engagement, not natural churn), {m['top3']:.1%} within the "
              f"top 3 causes; the top 3 reasons (causes, then the symptom) name it for {m['reasons_top3']:.1%} "
              f"of {m['n_all']} with any driver but natural churn")
        print(f"  {m['ceiling']:.1%} of them had evidence of their true driver on the date (the most any method "
              f"naming evidenced causes can reach); among those the main cause names it for {m['top1_evidenced']:.1%}")
        print("  by true driver: churners, main cause names it, within the top 3, main cause named instead")
        for family, row in m["by_family"].iterrows():
            print(f"    {family:<16} {row.churners:5d}   {row.top1:6.1%}   {row.top3:6.1%}   {row.named_instead}")
    mature_dates = sorted(rows.loc[rows["label_mature"], "as_of_date"].dt.date.unique())
    print("churn_cause_diagnosis (mature dates), excess churners by cause against the truth:")
    truth_excess = true_excess_of(settings.root, world, mature_dates, horizon, reps)
    if truth_excess is not None:
        print(f"  truth: the shop simulated again without each driver ({reps} pairs of worlds), churners counted as the "
              f"{definition} label on the same dates (standard error in brackets)")
        truth_side = {r.cause_family: f"{r.true_excess_churners:8.1f} ({r.std_error:.0f})" for r in truth_excess.itertuples()}
        print("  true order:   " + true_order(truth_excess) + "   (≈: within 2 standard errors of the difference)")
        print("  diagnosis:    " + " > ".join(diagnosis["cause_family"]))
    else:  # the other worlds have no counterfactual simulator: their churners leaving by driver
        mature = rows[rows["label_mature"]]
        leaving = mature[true_churn(mature, truth, horizon, new_only=True) == 1].merge(truth[["user_id", "driver_family"]], on="user_id")
        truth_side = {k: f"{v:8d} leaving" for k, v in leaving["driver_family"].value_counts().items()}
    for row in diagnosis.itertuples():
        print(f"  {row.cause_family:<16} excess {row.excess_churners:8.1f}   affected {row.users_affected:7.0f}   "
              f"truth: {truth_side.get(row.cause_family, '-')}")


def true_order(excess: pd.DataFrame) -> str:
    """The drivers by true excess churn, largest first, "≈" between neighbours whose difference is
    within 2 standard errors (sqrt(se1² + se2²)): an order the simulations do not settle."""
    rows = list(excess.itertuples())
    text = rows[0].cause_family
    for before, after in zip(rows, rows[1:]):
        tied = before.true_excess_churners - after.true_excess_churners < 2 * np.hypot(before.std_error, after.std_error)
        text += (" ≈ " if tied else " > ") + after.cause_family
    return text


def true_excess_of(data_dir, world: str, dates: list, horizon: int, reps: int) -> pd.DataFrame | None:
    """The shop's true excess churn per driver family (demo/counterfactual.py), from the
    first run's own arguments; None for the other worlds."""
    state_file = Path(data_dir) / first_run.STATE_FILE
    if world != "shop" or not state_file.exists():
        return None
    state = json.loads(state_file.read_text())
    return true_excess(state["users"], state["days"], dt.date.fromisoformat(state["end_date"]), state["seed"],
                       dates, horizon, reps=reps)

if __name__ == "__main__":
    main()
