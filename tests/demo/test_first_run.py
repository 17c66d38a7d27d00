"""The demo's first run as a sequence of steps that resumes where it stopped (the whole run with
the real pipeline: tests/integration/test_action_loop.py)."""

import datetime as dt
import json

import duckdb
import pandas as pd
import pytest

from demo import first_run
from demo.generate import generate, write

END = dt.date(2025, 6, 30)
USERS, DAYS, SEED = 300, 40, 5
WINDOWS = first_run.Windows(churn_horizon_days=25, outcome_window_days=14)
DECIDED = END - dt.timedelta(days=25)


def landing_days(out) -> list[str]:
    return sorted(p.name.removeprefix("date=") for p in (out / "landing/events").iterdir())


def step(out) -> str:
    return json.loads((out / first_run.STATE_FILE).read_text())["step"]


def play(out, run_pipeline):
    first_run.play(out, run_pipeline, WINDOWS, users=USERS, days=DAYS, end_date=END, seed=SEED, reps=2)


def killed_pipeline():
    raise RuntimeError("the pipeline died")


def pipeline_deciding_nothing(out):
    """Stands in for the pipeline: publishes an empty action_assignments."""

    def run():
        with duckdb.connect(str(out / "serving.duckdb")) as con:
            con.execute("create or replace table action_assignments (decision_date date, user_id varchar, "
                        "arm varchar, action varchar, incentive_type varchar, segment varchar)")

    return run


def test_a_killed_first_run_resumes_and_without_decisions_lives_the_one_part_history(tmp_path):
    with pytest.raises(RuntimeError):
        play(tmp_path, killed_pipeline)
    assert step(tmp_path) == "decide"  # the history is written, the decision still to make
    days = landing_days(tmp_path)
    assert len(days) == DAYS - 25 and days[-1] == str(DECIDED)
    users = pd.read_csv(tmp_path / "landing/users/users.csv", parse_dates=["signup_time"])
    assert users["signup_time"].max() < pd.Timestamp(DECIDED + dt.timedelta(days=1))  # no user from the future

    play(tmp_path, pipeline_deciding_nothing(tmp_path))
    assert step(tmp_path) == "done"
    days = landing_days(tmp_path)
    assert len(days) == DAYS and days[-1] == str(END)
    # With nothing sent, the world is the one demo.generate simulates in one go: same truth.
    whole = tmp_path / "whole"
    write(generate(USERS, DAYS, END, SEED), whole, bad_row_rate=0.001, seed=SEED)
    for name in ("demo_truth/ground_truth.csv", "landing/users/users.csv"):
        assert (tmp_path / name).read_bytes() == (whole / name).read_bytes(), name

    play(tmp_path, killed_pipeline)  # done: nothing runs again
    assert landing_days(tmp_path) == days


def test_windows_that_leave_no_history_are_refused(tmp_path):
    with pytest.raises(ValueError, match="no history before the decision day"):
        first_run.play(tmp_path, killed_pipeline, first_run.Windows(60, 14), users=50, days=60, end_date=END, seed=1)
