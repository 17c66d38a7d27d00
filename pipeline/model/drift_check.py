"""Drift: has the score, or a feature the model leans on, moved since training?"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from ml.drift import score_and_feature_drift
from ml.score import churn_probability, load_version
from pipeline.model import training_set
from pipeline.model.tracking import MlflowTracking

TOP_FEATURES = 5
REFERENCE_ROWS = 20_000
REFERENCE_DAYS = 56


class DriftConfig(dg.Config):
    max_psi: float = 0.25  # population stability index above this is a "major shift"


@dg.asset_check(asset="churn_scores", name="score_and_feature_drift",
                description="PSI of the score and of the champion's top features: labelled rows of the 8 weeks before the latest labelled date against the latest date.")
def score_and_feature_drift_check(config: DriftConfig, duckdb: DuckDBResource, mlflow: MlflowTracking) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        scored = con.execute("select as_of_date, any_value(model_version) from ml.churn_scores "
                             "where as_of_date = (select max(as_of_date) from ml.churn_scores) "
                             "group by as_of_date").fetchone()
        if scored is None:  # no user on the spine was scored: no score has moved
            return dg.AssetCheckResult(passed=True, severity=dg.AssetCheckSeverity.WARN,
                                       metadata={"psi": "no scores yet"})
        latest, version = scored
        top = [r[0] for r in con.execute("select feature from ml.feature_importance where model_version = ? "
                                         "order by importance desc limit ?", [version, TOP_FEATURES]).fetchall()]
        # The labelled rows of the 8 weeks before the latest labelled date: about REFERENCE_ROWS
        # of them, a fixed sample of users that every table of the view is filtered to. A
        # reservoir sample of the rows read every labelled row first (8 M at a million users).
        reference, _share = training_set.rows_where(con, "label_mature and as_of_date between ? and ?",
                                                    training_set.labelled_window(con, REFERENCE_DAYS), REFERENCE_ROWS)
        # The latest date as churn_scores scored it, and only the columns compared: predicting
        # every user again and reading every column took most of the check at a million users.
        columns = ", ".join('features."{}"'.format(name.replace('"', '""')) for name in top)
        current = con.execute(f"""
            select scores.churn_probability{', ' if top else ''}{columns}
            from ml.churn_scores as scores
            inner join {training_set.VIEW} as features
                on features.user_id = scores.user_id and features.as_of_date = scores.as_of_date
            where scores.as_of_date = ? and features.as_of_date = ?
        """, [latest, latest]).df()
    reference["churn_probability"] = churn_probability(load_version(mlflow.model_name, version), reference)
    table = score_and_feature_drift(reference, current, top)
    worst = table.iloc[0]
    return dg.AssetCheckResult(
        passed=bool(worst["psi"] <= config.max_psi), severity=dg.AssetCheckSeverity.WARN,
        metadata={"model_version": version, "max_psi": float(worst["psi"]), "most_drifted": str(worst["column"]),
                  "reference_rows": len(reference), "reference_users": int(reference["user_id"].nunique()),
                  "current_rows": len(current),
                  "psi": dg.MetadataValue.md(table.to_markdown(index=False, floatfmt=".3f"))},
    )
