"""Where MLflow keeps runs and models: a small resource instead of the legacy dagster-mlflow."""

import dagster as dg


class MlflowTracking(dg.ConfigurableResource):
    tracking_uri: str  # sqlite:///<data>/mlflow.db
    artifact_location: str  # <data>/mlartifacts
    experiment_name: str = "churn"
    model_name: str = "churn_model"
