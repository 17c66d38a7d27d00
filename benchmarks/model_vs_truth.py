"""Score the champion and the baselines against a demo world's ground truth.

    .venv/bin/python benchmarks/model_vs_truth.py [--world shop|community|subscription]

Run after `make run` (or `WORLD=community make run`, ...); it reads that world's data folder
(CHURN_DATA_DIR overrides). On the validation observation dates (the latest matured ones, as
in training) it prints how often the pipeline's label agrees with the truth (the user really
churned within the horizon and had not come back), the AUC against the label and against the
truth of the champion and of each baseline (refitted on the training dates, as in training),
and how often the top reason's cause family names the true driver's family.
"""

import argparse
import os

import duckdb
import pandas as pd
from sklearn.metrics import roc_auc_score

from demo.truth import load_truth, true_churn
from ml.baselines import fit_baselines
from ml.explain import top_reasons
from ml.score import alias_version, churn_probability, input_columns, load_version, use_tracking_store
from ml.split import time_split
from pipeline.settings import REPO_ROOT, load_settings


def reason_match(valid, leaving, truth, model, words) -> tuple[float, float, int]:
    """Among users who truly leave within the horizon, with a driver that has a cause family
    (not natural churn): top reason's family right, and right within the top 3."""
    churners = valid[leaving == 1].merge(truth[["user_id", "driver_family"]], on="user_id")
    churners = churners[churners["driver_family"].notna() & (churners["driver_family"] != "other")]
    if churners.empty:
        return float("nan"), float("nan"), 0
    reasons = top_reasons(model, churners, input_columns(model), words=words)
    expected = churners["driver_family"].to_numpy()
    top1 = reasons["family_1"].to_numpy() == expected
    top3 = top1 | (reasons["family_2"].to_numpy() == expected) | (reasons["family_3"].to_numpy() == expected)
    return float(top1.mean()), float(top3.mean()), len(churners)


def auc(y, p) -> str:
    return f"{roc_auc_score(y, p):.3f}" if y.nunique() == 2 else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--world", choices=["shop", "community", "subscription"], default="shop")
    world = parser.parse_args().world
    if world != "shop" and "CHURN_DATA_DIR" not in os.environ:
        os.environ["CHURN_DATA_DIR"] = str(REPO_ROOT / "data" / "worlds" / world)
    settings = load_settings()
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.sql("select * from main.churn_training_set").df()
        horizon, definition = con.execute(
            "select any_value(horizon_days), any_value(churn_definition) from main.churn_labels").fetchone()
        words = {f: (w, fam) for f, w, fam in con.execute("select feature, words, family from main.feature_catalog").fetchall()}
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
    leaving = true_churn(valid, truth, horizon, new_only=True)
    top1, top3, n = reason_match(valid, leaving, truth, model, words)
    print(f"top reason names the true driver's family for {top1:.1%} of {n} users leaving within the "
          f"horizon for a reason other than natural churn ({top3:.1%} within the top 3)")


if __name__ == "__main__":
    main()
