"""Score users with a registered model version, chosen by alias (the champion by default)."""

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.pyfunc import PyFuncModel

from ml.frame import feature_matrix, one_thread


def use_tracking_store(tracking_uri: str) -> MlflowClient:
    """Point the fluent API and a client at one store; the registry lives in the same store."""
    # `models:/` URIs are resolved through the global registry URI, so pin it too rather than
    # letting an MLFLOW_REGISTRY_URI in the environment send us elsewhere.
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def alias_version(client: MlflowClient, model_name: str, alias: str) -> str | None:
    """The version an alias points to, or None when the model or the alias does not exist."""
    try:
        registered = client.get_registered_model(model_name)
    except MlflowException as error:
        if error.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        return None
    version = registered.aliases.get(alias)
    return None if version is None else str(version)


def load_version(model_name: str, version: str) -> PyFuncModel:
    """Load by version number, not alias, so the alias cannot move between resolving and loading."""
    return mlflow.pyfunc.load_model(f"models:/{model_name}/{version}")


def input_columns(model: PyFuncModel) -> list[str] | None:
    """The columns the model was trained on, from its logged signature (None if unsigned)."""
    schema = model.metadata.get_input_schema()
    return None if schema is None else schema.input_names()


def unscorable_reason(model: PyFuncModel, frame: pd.DataFrame) -> str | None:
    """Why the model cannot score these rows, or None if it can."""
    columns = input_columns(model)
    if columns is None:
        return "the model has no input signature, so its feature columns are unknown"
    missing = [column for column in columns if column not in frame.columns]
    return f"the rows lack feature columns the model needs: {missing}" if missing else None


def churn_probability(model: PyFuncModel, frame: pd.DataFrame) -> np.ndarray:
    """P(churn) per row; the model was logged with pyfunc_predict_fn='predict_proba'."""
    if reason := unscorable_reason(model, frame):
        raise ValueError(f"Cannot score: {reason}")
    features = feature_matrix(frame, input_columns(model))
    with one_thread():
        return np.asarray(model.predict(features), dtype=float)[:, 1]


def score(
    features: pd.DataFrame,
    *,
    tracking_uri: str,
    model_name: str = "churn_model",
    alias: str = "champion",
) -> pd.DataFrame:
    """One row per input row: user_id, as_of_date, churn_probability, model_version."""
    client = use_tracking_store(tracking_uri)
    version = alias_version(client, model_name, alias)
    if version is None:
        raise LookupError(
            f"No version of model '{model_name}' has the alias '{alias}' in {tracking_uri}; "
            f"train and register a model first (ml.registry.train_and_register)"
        )
    probability = churn_probability(load_version(model_name, version), features)
    return pd.DataFrame(
        {
            "user_id": features["user_id"].to_numpy(),
            "as_of_date": features["as_of_date"].to_numpy(),
            "churn_probability": probability,
            "model_version": version,
        }
    )
