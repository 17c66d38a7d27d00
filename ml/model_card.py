"""The descriptions the MLflow registry shows (as Markdown) on the registered model and on each
version: what the model predicts, for which churn definition and horizon, from which features,
and how @champion moves. Rewritten on each training, so they follow a changed definition."""

from mlflow import MlflowClient

from ml.gate import CHAMPION_ALIAS, Decision
from ml.selection import GATE_METRIC
from ml.tracking import KEY_METRICS

# Var churn_definition (dbt_project/macros/churn_activity.sql) in words.
DEFINITIONS = {
    "no_order": "places no order",
    "no_activity": "takes no action at all (the shop's own sends do not count)",
    "no_event_of": "has no event of the configured types (var churn_event_types)",
    "subscription": "ends their subscription",
}
METRIC_WORDS = {"roc_auc": "ROC-AUC", "pr_auc": "PR-AUC", "brier": "Brier", "ece": "ECE",
                "lift_top_decile": "lift, top decile", "lift_at_capacity": "lift at capacity"}


def describe_model(client: MlflowClient, model_name: str, definition: str | None, horizon: int | None,
                   gates: dict[str, float]) -> None:
    churn = DEFINITIONS.get(definition, f"churns ({definition})") if definition else "churns"
    window = f"the {horizon} days" if horizon else "the horizon"
    # One line per paragraph: the registry UI renders each newline as a line break.
    paragraphs = [
        f"**Predicts** the probability that a user {churn} in {window} after the scoring date "
        f"(churn definition `{definition}`, horizon {horizon} days). Input: one row of the dbt model "
        "`churn_training_set` per user and date; output: `predict_proba`, column 1 is churn.",
        "**Versions.** Each training (weekly, on new features or a new definition, after a drift alert, "
        "or on request) fits candidates (calibrated trees, logistic regression) and baselines (recency, "
        "activity trend, BG/NBD) on earlier dates and validates them on the latest labelled ones; the "
        f"best by validation {GATE_METRIC} among the calibrated ones (ECE <= {gates.get('ece_ceiling')}) "
        "is registered, a baseline included.",
        f"**How @{CHAMPION_ALIAS} moves.** The new version takes @{CHAMPION_ALIAS} only if it beats the "
        f"current champion's {GATE_METRIC} on the same validation rows and is calibrated; with no "
        "champion, or one that can no longer score today's rows, it takes it whatever its figures. "
        f"Below auc_floor {gates.get('auc_floor')} it is promoted with a warning. Scoring always uses "
        f"`models:/{model_name}@{CHAMPION_ALIAS}`; a rollback is `ml.gate.set_champion` (see the README).",
    ]
    client.update_registered_model(model_name, description="\n\n".join(paragraphs))


def describe_version(client: MlflowClient, model_name: str, version: str, *, run_name: str, kind: str,
                     name: str, metrics: dict[str, float], decision: Decision,
                     features: list[str], feature_words: dict[str, str] | None) -> None:
    outcome = "promoted to @champion" if decision.promoted else "not promoted"
    figures = ", ".join(f"{METRIC_WORDS[m]} {metrics[m]:.3f}" for m in KEY_METRICS if m in metrics)
    words = feature_words or {}
    rows = "\n".join(f"| `{f}` | {words.get(f, '')} |" for f in features)
    client.update_model_version(model_name, version, description=f"""\
**{kind} `{name}`**, from the run "{run_name}"; {outcome}: {decision.reason}.

Validation: {figures or 'none (no validation rows)'}. Per-segment figures: the run's `segment_metrics.json`.

| feature the training saw | as a churn reason |
|---|---|
{rows}
""")
