"""Who holds the champion alias: the gates the best model must pass, and a hand-set rollback.

The best model of a training (ml/selection.py: candidate or baseline) replaces the champion only
if it beats it on the same validation rows and is calibrated. With no champion, or one that can
no longer score these rows, it becomes champion whatever its figures: scoring must go on, and
the best honest model beats none. auc_floor only labels a model weak; it no longer blocks.
"""

from dataclasses import dataclass

import mlflow
import pandas as pd
from mlflow import MlflowClient

from ml.compare import RunResult
from ml.metrics import validation_metrics
from ml.score import (
    alias_version,
    churn_probability,
    load_version,
    unscorable_reason,
    use_tracking_store,
)
from ml.selection import GATE_METRIC, versus_the_other_kind
from ml.tracking import grouped

CHAMPION_ALIAS = "champion"
KIND_TAG = "model_kind"  # on each registered version: "candidate" or "baseline"
# On the run of each version that held the alias: "current", or "replaced by vN" once it moved on.
CHAMPION_RUN_TAG = "champion"


@dataclass(frozen=True)
class Decision:
    promoted: bool
    reason: str
    failed_gates: tuple[str, ...]  # "ece_ceiling", "beats_champion"
    champion_version: str | None  # the champion before this training
    champion_metrics: dict[str, float] | None  # the champion on the same validation rows
    champion_kind: str  # the kind of model that holds the alias after this decision
    warnings: tuple[str, ...] = ()  # e.g. a weak model: below auc_floor


def decide(
    client: MlflowClient,
    model_name: str,
    valid: pd.DataFrame,
    best: RunResult,
    results: list[RunResult],
    gates: dict[str, float],
    capacity: float,
) -> Decision:
    """Promote the best model if it beats the champion on the same rows and is calibrated; with
    no usable champion, promote it whatever its figures."""
    failures = _calibration_failure(best.metrics, gates)
    champion = alias_version(client, model_name, CHAMPION_ALIAS)
    note, champion_metrics = "no champion yet", None
    if champion is not None:
        note, champion_metrics = _against_champion(model_name, champion, valid, best, capacity)
        if champion_metrics and best.metrics[GATE_METRIC] <= champion_metrics[GATE_METRIC]:
            failures["beats_champion"] = note
    promoted = champion_metrics is None or not failures
    failed = [f"gate {k} failed: {v}" for k, v in failures.items()]
    lead = f"{note}, so promoted despite " if promoted and failed else ""
    reason = f"{lead}{'; '.join(failed) or note}; {versus_the_other_kind(best, results)}"
    kind = best.kind if promoted else version_kind(client, model_name, champion)
    return Decision(promoted, reason, tuple(failures), champion, champion_metrics, kind,
                    _weak(best.metrics, gates))


def decide_unvalidated(
    client: MlflowClient, model_name: str, rows: pd.DataFrame, best: RunResult
) -> Decision:
    """Without validation rows nothing can be shown to beat a champion: keep one that can still
    score these rows, else promote the fallback."""
    champion = alias_version(client, model_name, CHAMPION_ALIAS)
    fitted = f"{best.name} ({best.kind}) fitted without validation"
    if champion is None:
        return Decision(True, f"no champion yet; {fitted}", (), None, None, best.kind)
    if unusable := unscorable_reason(load_version(model_name, champion), rows):
        note = f"champion v{champion} cannot be scored: {unusable}; {fitted}"
        return Decision(True, note, (), champion, None, best.kind)
    note = f"no validation rows to show that {best.name} beats champion v{champion}, which stays"
    kind = version_kind(client, model_name, champion)
    return Decision(False, note, ("beats_champion",), champion, None, kind)


def version_kind(client: MlflowClient, model_name: str, version: str) -> str:
    """Versions registered before baselines could win carry no kind tag: they are candidates."""
    return client.get_model_version(model_name, version).tags.get(KIND_TAG, "candidate")


def _against_champion(model_name, champion: str, valid, best: RunResult, capacity):
    """(note, the champion's metrics on the best model's validation rows or None if unscorable)."""
    champion_model = load_version(model_name, champion)
    # A champion built on features that no longer exist must not block a new feature set.
    if unusable := unscorable_reason(champion_model, valid):
        return f"champion v{champion} cannot be scored: {unusable}", None
    champion_metrics = validation_metrics(valid, churn_probability(champion_model, valid), capacity)
    new, incumbent = best.metrics[GATE_METRIC], champion_metrics[GATE_METRIC]
    note = (
        f"{best.name} {GATE_METRIC} {new:.4f} {'>' if new > incumbent else '<='} "
        f"champion v{champion} {incumbent:.4f} on the same {len(valid)} validation rows"
    )
    return note, champion_metrics


def _calibration_failure(metrics: dict[str, float], gates: dict[str, float]) -> dict[str, str]:
    if metrics["ece"] > gates["ece_ceiling"]:
        return {"ece_ceiling": f"ece {metrics['ece']:.4f} > ceiling {gates['ece_ceiling']}"}
    return {}


def _weak(metrics: dict[str, float], gates: dict[str, float]) -> tuple[str, ...]:
    """auc_floor no longer blocks: the best honest model beats none, but it is worth a warning."""
    value, floor = metrics[GATE_METRIC], gates["auc_floor"]
    return (f"weak model: {GATE_METRIC} {value:.4f} < auc_floor {floor}",) if value < floor else ()


def record_decision(
    client: MlflowClient,
    run_id: str,
    model_name: str,
    version: str,
    metrics: dict[str, float],
    decision: Decision,
) -> None:
    """Move the alias first, then tag the run and the version so both tell the same story, and
    name the registered model's run for the outcome."""
    if decision.promoted:
        _move_alias(client, model_name, version, decision.champion_version)
    if decision.champion_metrics is not None:
        mlflow.log_metrics(grouped("champion", decision.champion_metrics))
    winner = client.get_run(client.get_model_version(model_name, version).run_id)
    outcome = f"champion v{version}" if decision.promoted else f"v{version}, not promoted"
    client.update_run(winner.info.run_id, name=f"{winner.info.run_name} ({outcome})")
    tags = {
        "champion_decision": "promoted" if decision.promoted else "rejected",
        "champion_reason": decision.reason,
        "failed_gates": ",".join(decision.failed_gates) or "none",
        "warnings": "; ".join(decision.warnings) or "none",
        "previous_champion_version": decision.champion_version or "none",
    }
    run_tags = {**tags, "model_version": version, "champion_kind": decision.champion_kind}
    for key, value in run_tags.items():
        client.set_tag(run_id, key, value)
    if GATE_METRIC in metrics:
        tags[f"validation_{GATE_METRIC}"] = f"{metrics[GATE_METRIC]:.6f}"
    for key, value in tags.items():
        client.set_model_version_tag(model_name, version, key, value)


def _move_alias(client: MlflowClient, model_name: str, version: str, previous: str | None) -> None:
    """Point @champion at `version` and say so on the runs of both versions."""
    client.set_registered_model_alias(model_name, CHAMPION_ALIAS, version)
    if previous is not None and previous != version:
        old_run = client.get_model_version(model_name, previous).run_id
        client.set_tag(old_run, CHAMPION_RUN_TAG, f"replaced by v{version}")
    client.set_tag(client.get_model_version(model_name, version).run_id, CHAMPION_RUN_TAG, "current")


def set_champion(tracking_uri: str, model_name: str, version: str) -> str | None:
    """Point the champion alias at `version` by hand (a rollback); returns the previous one."""
    client = use_tracking_store(tracking_uri)
    version = str(client.get_model_version(model_name, str(version)).version)  # must exist
    previous = alias_version(client, model_name, CHAMPION_ALIAS)
    _move_alias(client, model_name, version, previous)
    client.set_model_version_tag(
        model_name, version, "champion_reason", f"set by hand, replacing v{previous or 'none'}"
    )
    return previous
