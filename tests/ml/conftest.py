import pytest


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    """One sqlite store per session (creating its tables takes seconds); tests use own models."""
    root = tmp_path_factory.mktemp("mlflow")
    return {
        "tracking_uri": f"sqlite:///{root}/mlflow.db",
        "artifact_location": str(root / "mlartifacts"),
    }
