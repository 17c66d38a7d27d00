"""Which churn label agrees best with a demo world's ground truth: each definition x horizon.

    .venv/bin/python benchmarks/label_choice.py [--definitions no_order no_activity] [--horizons 30 45 60 90]

Run after `make run`; it reads the data folder (CHURN_DATA_DIR overrides) and leaves it as it
is: the warehouse is copied to a temporary folder, and the pipeline's own label models
(user_churn_status, churn_labels) are rebuilt there by dbt with each churn_definition and
churn_horizon_days. On the mature labels it prints the label's churn rate, the true one (gone
by the end of the horizon and not back, demo/truth.py), how often they agree, Cohen's kappa
(agreement beyond chance: the rates are far from 50 %, so agreement alone flatters), and, for
context, the AUC against the truth of plain recency (days since last activity). Then the
definition and horizon that agree best by kappa.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from sklearn.metrics import cohen_kappa_score, roc_auc_score

from demo.truth import load_truth, true_churn
from pipeline.settings import DBT_PROJECT_DIR, load_settings

DBT = Path(sys.executable).with_name("dbt")  # the venv's dbt, beside its python
LABELS = """
    select labels.user_id, labels.as_of_date, labels.churned, labels.churn_definition,
           features.days_since_last_activity
    from main.churn_labels as labels
    inner join main.user_features as features using (user_id, as_of_date)
    where labels.label_mature
"""


def build_labels(work: Path, dbt_vars: str) -> None:
    """dbt run of the two label models in the copied warehouse, rebuilt whole (--full-refresh:
    both are incremental, and a run would only add the dates they lack); everything upstream
    (features, user-days) is read as the pipeline left it."""
    env = {**os.environ, "CHURN_DATA_DIR": str(work), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           # As the pipeline's feature step without a partition: no run window (macro run_var).
           "CHURN_RUN_START_DATE": "", "CHURN_RUN_END_DATE": ""}
    command = [str(DBT), "run", "--select", "user_churn_status", "churn_labels", "--full-refresh", "--vars", dbt_vars,
               "--profiles-dir", ".", "--project-dir", str(DBT_PROJECT_DIR),
               "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    try:
        subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as err:
        print(err.stdout, err.stderr, sep="\n", file=sys.stderr)
        raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--definitions", nargs="+", default=["no_order", "no_activity"])
    parser.add_argument("--horizons", nargs="+", type=int, default=[30, 45, 60, 90])
    args = parser.parse_args()
    settings = load_settings()
    truth = load_truth(settings.root)
    started = time.monotonic()
    results = []
    print(f"{'definition':<12} {'horizon':>7} {'rows':>7} {'dates':>5} {'label rate':>10} {'true rate':>9} "
          f"{'agree':>6} {'kappa':>6} {'recency AUC':>11}")
    with tempfile.TemporaryDirectory(prefix="label_choice_") as tmp:
        work = Path(tmp)
        # One copy serves every run: each dbt run replaces the two label tables in it. The
        # write-ahead log, if any, holds changes not yet in the file.
        for name in ("warehouse.duckdb", "warehouse.duckdb.wal"):
            if (settings.root / name).exists():
                shutil.copy2(settings.root / name, work / name)
        for definition in args.definitions:
            for horizon in args.horizons:
                # The pipeline's own --vars (mapping's reason families and churn keys, then
                # CHURN_DBT_VARS), with this definition and horizon on top.
                build_labels(work, settings.dbt_vars_with(churn_definition=definition, churn_horizon_days=horizon))
                with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
                    rows = con.sql(LABELS).df()
                assert (rows["churn_definition"] == definition).all(), "dbt did not rebuild churn_labels"
                label, real = rows["churned"].astype(int), true_churn(rows, truth, horizon)
                kappa = cohen_kappa_score(label, real)
                recency_auc = roc_auc_score(real, rows["days_since_last_activity"]) if real.nunique() == 2 else float("nan")
                results.append((kappa, definition, horizon))
                print(f"{definition:<12} {horizon:>7} {len(rows):>7} {rows['as_of_date'].nunique():>5} "
                      f"{label.mean():>10.3f} {real.mean():>9.3f} {(label == real).mean():>6.1%} "
                      f"{kappa:>6.3f} {recency_auc:>11.3f}")
    kappa, definition, horizon = max(results)
    print(f"best agreement with the truth: churn_definition {definition}, churn_horizon_days {horizon} "
          f"(kappa {kappa:.3f}); {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
