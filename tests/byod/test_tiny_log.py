"""A tiny log (50 users, 12 days, every user active every day: one class, no matured label)
still publishes segments and actions, scored by a fallback model, with the data state named."""

import datetime as dt

import duckdb
import pandas as pd

from ml.score import use_tracking_store
from pipeline.settings import DEFAULT_MAPPING_FILE

END, DAYS = dt.date(2026, 3, 31), 12


def land_tiny_log(data_dir) -> None:
    for offset in range(DAYS):
        day = END - dt.timedelta(days=DAYS - 1 - offset)
        folder = data_dir / "landing" / "events" / f"date={day}"
        folder.mkdir(parents=True)
        pd.DataFrame({
            "user_id": [f"u{i}" for i in range(50)],
            "event_time": [f"{day} {8 + i % 12:02d}:00:00" for i in range(50)],
            "event_type": ["session_start" if i % 3 else "page_view" for i in range(50)],
        }).to_csv(folder / "events.csv", index=False)


def test_a_tiny_one_class_log_publishes_with_the_not_enough_data_state(tmp_path, pipeline_runner):
    land_tiny_log(tmp_path)
    runner = pipeline_runner(tmp_path, mapping_file=DEFAULT_MAPPING_FILE)
    result = runner.run(f"{END - dt.timedelta(days=DAYS - 1)}", f"{END}", diagnostics=False)
    assert result.success
    with duckdb.connect(str(runner.settings.serving_db), read_only=True) as con:
        segments = con.execute("select churn_probability from user_segments").df()
    assert len(segments) == 50 and segments["churn_probability"].between(0, 1).all()
    client = use_tracking_store(runner.settings.mlflow_tracking_uri)
    champion = client.get_model_version_by_alias("churn_model", "champion")
    experiment = client.get_run(champion.run_id).info.experiment_id
    runs = client.search_runs([experiment], filter_string="tags.data_state = 'not_enough_data'")
    assert runs and runs[0].data.tags["data_message"], "the training run names the state and says why"
    gate = [c for c in result.get_asset_check_evaluations() if c.check_name == "champion_gate"][0]
    assert gate.metadata["data_state"].value == "not_enough_data"
