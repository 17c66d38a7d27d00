"""One nested MLflow run per candidate and per baseline, so they compare side by side; each
logs its model, so whichever wins can be registered."""

from dataclasses import dataclass

import mlflow
import pandas as pd
from mlflow.models import infer_signature

from ml.baselines import FittedBaseline
from ml.calibration import CalibrationPlan
from ml.candidates import CandidateSpec, fit_calibrated, predict_churn
from ml.config import TrainingConfig
from ml.diagnostics import importance, log_curves, log_importance, shuffle_importance
from ml.frame import feature_matrix, labels, one_thread
from ml.metrics import validation_metrics
from ml.rules import log_rule
from ml.segments import segment_metrics
from ml.tracking import child_run_name, log_validation

# MLflow 3 saves sklearn models with skops, which refuses types not on an allow-list; these are
# what the calibrated candidates hold (the list is stored with the model and used to load it).
SKOPS_TRUSTED_TYPES = [
    "numpy.dtype",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
]


@dataclass(frozen=True)
class RunResult:
    name: str
    kind: str  # "candidate" or "baseline"
    run_id: str
    metrics: dict[str, float]  # overall, on all validation rows; empty without validation
    segments: dict[str, float]  # `{metric}__{column}__{group}`
    model_uri: str
    importance: pd.Series | None = None  # with diagnostics (candidates) or always (baselines)


def run_candidate(
    spec: CandidateSpec, train, valid, plan: CalibrationPlan, config: TrainingConfig
) -> RunResult:
    with _child_run("candidate", spec.name) as run:
        calibration = {"method": config.calibration_method, "folds": len(plan.splits)}
        mlflow.log_params(
            {**_prefixed("model", spec.params), **_prefixed("calibration", calibration)}
        )
        model = fit_calibrated(spec, train, plan, config.calibration_method)
        p = predict_churn(model, valid, plan.features)
        metrics, segments = _log_metrics(valid, p, config)
        model_uri = _log_model(model, train, plan.features)
        drops = None
        if config.diagnostics:
            log_curves(labels(valid), p, spec.name)
            drops = importance(model, valid, plan.features)
            log_importance(drops, spec.name)
    return RunResult(spec.name, "candidate", run.info.run_id, metrics, segments, model_uri, drops)


def run_baseline(baseline: FittedBaseline, valid, rows, config: TrainingConfig) -> RunResult:
    """`valid` None: fitted as a fallback with nothing to validate on; `rows` give the example."""
    with _child_run("baseline", baseline.name) as run:
        mlflow.log_params(_prefixed("baseline", baseline.params))
        metrics, segments, drops = {}, {}, None
        if valid is not None:
            metrics, segments = _log_metrics(valid, baseline.predict(valid), config)
            drops = shuffle_importance(baseline.predict, valid, baseline.rule.columns)
        model_uri = log_rule(baseline.rule, rows)
    run_id = run.info.run_id
    return RunResult(baseline.name, "baseline", run_id, metrics, segments, model_uri, drops)


def _child_run(kind: str, name: str):
    """A run nested in the active parent, in the parent's experiment (a nested run otherwise
    lands in whatever experiment is globally active, usually "Default"). The tags `kind` and
    `model` say what it is whatever its display name becomes."""
    experiment_id = mlflow.active_run().info.experiment_id
    return mlflow.start_run(run_name=child_run_name(kind, name), nested=True, experiment_id=experiment_id,
                            tags={"kind": kind, "model": name})


def _log_metrics(valid: pd.DataFrame, p, config: TrainingConfig):
    metrics = validation_metrics(valid, p, config.capacity)
    segments = segment_metrics(valid, p, config.segment_columns, config.min_segment_rows)
    log_validation(metrics, segments)
    return metrics, segments


def _log_model(model, train: pd.DataFrame, features: list[str]) -> str:
    """Log with a signature so scoring (and the next gate) knows the model's input columns."""
    example = feature_matrix(train, features).head(5)
    with one_thread():
        output = model.predict_proba(example)
    info = mlflow.sklearn.log_model(
        model,
        name="model",
        signature=infer_signature(example, output),
        input_example=example,
        pyfunc_predict_fn="predict_proba",
        skops_trusted_types=SKOPS_TRUSTED_TYPES,
        # Explicit requirements skip MLflow's inference, which re-imports the model in a
        # subprocess (~10 s per run) and picks up whatever else the process has imported.
        pip_requirements=mlflow.sklearn.get_default_pip_requirements(include_skops=True),
    )
    return info.model_uri


def _prefixed(prefix: str, values: dict) -> dict:
    return {f"{prefix}.{key}": value for key, value in values.items()}
