"""Who holds the champion alias: gates a candidate must pass, and a hand-set rollback."""

from dataclasses import dataclass

import mlflow
import pandas as pd
from mlflow import MlflowClient

from ml.metrics import validation_metrics
from ml.score import (
    alias_version,
    churn_probability,
    load_version,
    unscorable_reason,
    use_tracking_store,
)

CHAMPION_ALIAS = "champion"
GATE_METRIC = "roc_auc"


@dataclass(frozen=True)
class Decision:
    promoted: bool
    reason: str
    failed_gates: tuple[str, ...]  # "auc_floor", "ece_ceiling", "beats_champion"
    champion_version: str | None
    champion_metrics: dict[str, float] | None  # the champion on the same validation rows


def decide(
    client: MlflowClient,
    model_name: str,
    valid: pd.DataFrame,
    metrics: dict[str, float],
    gates: dict[str, float],
    capacity: float,
) -> Decision:
    """Promote only if the candidate clears the floors and beats the champion on the same rows."""
    failures = _threshold_failures(metrics, gates)
    champion = alias_version(client, model_name, CHAMPION_ALIAS)
    note, champion_metrics = "no champion yet", None
    if champion is not None:
        note, champion_metrics = _against_champion(model_name, champion, valid, metrics, capacity)
        unscorable = champion_metrics is None
        if not unscorable and metrics[GATE_METRIC] <= champion_metrics[GATE_METRIC]:
            failures["beats_champion"] = note
    reason = "; ".join(f"gate {k} failed: {v}" for k, v in failures.items()) or note
    return Decision(not failures, reason, tuple(failures), champion, champion_metrics)


def _against_champion(model_name, champion: str, valid, metrics, capacity):
    """(note, the champion's metrics on the candidate's validation rows or None if unscorable)."""
    champion_model = load_version(model_name, champion)
    # A champion built on features that no longer exist must not block a new feature set.
    if unusable := unscorable_reason(champion_model, valid):
        return f"champion v{champion} cannot be scored: {unusable}", None
    champion_metrics = validation_metrics(valid, churn_probability(champion_model, valid), capacity)
    candidate, incumbent = metrics[GATE_METRIC], champion_metrics[GATE_METRIC]
    note = (
        f"candidate {GATE_METRIC} {candidate:.4f} {'>' if candidate > incumbent else '<='} "
        f"champion v{champion} {incumbent:.4f} on the same {len(valid)} validation rows"
    )
    return note, champion_metrics


def _threshold_failures(metrics: dict[str, float], gates: dict[str, float]) -> dict[str, str]:
    failures = {}
    if metrics["roc_auc"] < gates["auc_floor"]:
        failures["auc_floor"] = f"roc_auc {metrics['roc_auc']:.4f} < floor {gates['auc_floor']}"
    if metrics["ece"] > gates["ece_ceiling"]:
        failures["ece_ceiling"] = f"ece {metrics['ece']:.4f} > ceiling {gates['ece_ceiling']}"
    return failures


def record_decision(
    client: MlflowClient,
    run_id: str,
    model_name: str,
    version: str,
    metrics: dict[str, float],
    decision: Decision,
) -> None:
    """Move the alias first, then tag the run and the version so both tell the same story."""
    if decision.promoted:
        client.set_registered_model_alias(model_name, CHAMPION_ALIAS, version)
    if decision.champion_metrics is not None:
        mlflow.log_metrics({f"champion_{k}": v for k, v in decision.champion_metrics.items()})
    tags = {
        "champion_decision": "promoted" if decision.promoted else "rejected",
        "champion_reason": decision.reason,
        "failed_gates": ",".join(decision.failed_gates) or "none",
        "previous_champion_version": decision.champion_version or "none",
    }
    for key, value in {**tags, "model_version": version}.items():
        client.set_tag(run_id, key, value)
    for key, value in {**tags, f"validation_{GATE_METRIC}": f"{metrics[GATE_METRIC]:.6f}"}.items():
        client.set_model_version_tag(model_name, version, key, value)


def set_champion(tracking_uri: str, model_name: str, version: str) -> str | None:
    """Point the champion alias at `version` by hand (a rollback); returns the previous one."""
    client = use_tracking_store(tracking_uri)
    version = str(client.get_model_version(model_name, str(version)).version)  # must exist
    previous = alias_version(client, model_name, CHAMPION_ALIAS)
    client.set_registered_model_alias(model_name, CHAMPION_ALIAS, version)
    client.set_model_version_tag(
        model_name, version, "champion_reason", f"set by hand, replacing v{previous or 'none'}"
    )
    return previous
