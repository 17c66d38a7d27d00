"""The closed loop on a larger demo, played as the demo's first `make run` plays it
(demo/first_run.py): the pipeline decides who gets what (with a holdout) on the history up to a
decision day, the simulated senders send it and users respond, the pipeline loads the
following days and measures uplift, and the measurement is checked against the simulator's
true effect. After it every published table has rows."""

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from demo import first_run
from demo.uplift_check import measured_vs_true
from pipeline.serving.assets import SERVING_TABLES
from pipeline.settings import DBT_PROJECT_DIR

END = dt.date(2026, 4, 30)  # the decision day
DAYS = 90  # of history up to it
WINDOW = 14
FIRST, LAST = f"{END - dt.timedelta(days=DAYS - 1)}", f"{END}"
# Room for every eligible user and a larger holdout than the default, so each action's
# control group is big enough for a test; the selection logic is the production one. The
# experiment's name has an apostrophe: settings are values, quoted wherever they reach SQL.
VARS = {"capacity_level_1": 100000, "capacity_level_2": 100000, "capacity_level_3": 100000,
        "daily_budget": 1000000, "holdout_share": 0.3, "outcome_window_days": WINDOW,
        "ab_test_name": "Spring '26 test"}


@pytest.fixture(scope="module")
def loop(tmp_path_factory, pipeline_runner):
    data = tmp_path_factory.mktemp("loop")
    runner = pipeline_runner(data, dbt_vars=json.dumps(VARS))
    windows = first_run.windows(runner.settings)  # the test logs' 30-day horizon is the longest
    next_last = END + dt.timedelta(days=windows.after_decision)
    features_before, labels_before = {}, {}
    marks, label_marks, cause_marks = {}, {}, {}

    def decide():  # the pipeline on the history up to the decision day, where `make run` calls pipeline.cli
        assert runner.run(FIRST, LAST, diagnostics=False).success
        features_before.update(per_date_digest(runner.settings.warehouse))
        marks.update(mark_older_rows(runner.settings.warehouse))
        labels_before.update(labels_digest(runner.settings.warehouse))
        label_marks.update(flip_labels(runner.settings.warehouse))
        cause_marks.update(mark_cause_counts(runner.settings.warehouse))

    first_run.play(data, decide, windows, users=6000, days=DAYS + windows.after_decision, end_date=next_last,
                   seed=11)
    assert runner.run(f"{END + dt.timedelta(days=1)}", f"{next_last}", diagnostics=False).success
    still_marked = unmark(runner.settings.warehouse, marks) | unmark_cause_counts(runner.settings.warehouse, cause_marks)
    labels_still_flipped = unflip_labels(runner.settings.warehouse, label_marks)
    plan = serving_of(runner.settings, f"select * from action_assignments where decision_date = '{LAST}'")
    return {"data": data, "plan": plan, "settings": runner.settings, "next_last": f"{next_last}",
            "windows": windows, "features_before": features_before, "marks": marks, "still_marked": still_marked,
            "labels_before": labels_before, "labels_still_flipped": labels_still_flipped}


MARK = -7777


def mark_older_rows(warehouse) -> dict:
    """Overwrite one value of one row of an older date (45 days or more before the latest: still
    on the spine after the later days, and with labels past their 30-day horizon, which the
    later run does not rebuild from user_churn_status) in each per-date table: its first number with
    MARK, or where it has none its first flag with the opposite. A later run that recomputed
    that date would put the real value back. {table: (column, user, date, value, mark)}."""
    marks = {}
    with duckdb.connect(str(warehouse)) as con:
        for table in PER_DATE:
            column = con.execute("select column_name, data_type from information_schema.columns where table_name = ? "
                                 "and data_type in ('INTEGER', 'BIGINT', 'DOUBLE', 'BOOLEAN') "
                                 "order by data_type = 'BOOLEAN', ordinal_position limit 1", [table]).fetchone()
            row = con.execute(f"select user_id, as_of_date, {column[0]} from {table} where {column[0]} is not null "
                              f"and as_of_date <= (select max(as_of_date) from {table}) - 45 "
                              f"order by as_of_date desc, user_id limit 1").fetchone() if column else None
            if row:  # (an event type's column is keyed by user and type: the first type is the one marked)
                mark = (not row[2]) if column[1] == "BOOLEAN" else MARK
                con.execute(f"update {table} set {column[0]} = ? where rowid = (select min(rowid) from {table} "
                            f"where user_id = ? and as_of_date = ? and {column[0]} = ?)", [mark, *row])
                marks[table] = (column[0], *row, mark)
    return marks


def unmark(warehouse, marks) -> dict:
    """Put the real values back; {table: whether the mark had survived the later run}."""
    survived = {}
    with duckdb.connect(str(warehouse)) as con:
        for table, (column, user, day, value, mark) in marks.items():
            found = con.execute(f"select count(*) from {table} where user_id = ? and as_of_date = ? and {column} = ?",
                                [user, day, mark]).fetchone()[0]
            survived[table] = found == 1
            con.execute(f"update {table} set {column} = ? where user_id = ? and as_of_date = ? and {column} = ?",
                        [value, user, day, mark])
    return survived


def labels_digest(warehouse) -> dict:
    """{as_of_date: (rows, digest of every column, all labels mature)} of churn_labels."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select as_of_date, count(*), sum(hash(user_id, churned, label_mature, horizon_days, "
                           "churn_definition)), bool_and(label_mature) from churn_labels group by as_of_date").fetchall()
    return {day: (n, digest, mature) for day, n, digest, mature in rows}


def flip_labels(warehouse) -> dict:
    """Flip `churned` of one user on the latest date whose labels are mature and on the earliest
    immature one: a later run must keep the first (a closed window is never recomputed) and
    recompute the second. {'mature' | 'immature': (user, date, flipped value)}."""
    flipped = {}
    with duckdb.connect(str(warehouse)) as con:
        for which, dates in {"mature": "max(as_of_date) filter (where label_mature)",
                             "immature": "min(as_of_date) filter (where not label_mature)"}.items():
            user, day, churned = con.execute(f"select user_id, as_of_date, churned from churn_labels "
                                             f"where as_of_date = (select {dates} from churn_labels) "
                                             f"order by user_id limit 1").fetchone()
            con.execute("update churn_labels set churned = ? where user_id = ? and as_of_date = ?", [1 - churned, user, day])
            flipped[which] = (user, day, 1 - churned)
    return flipped


def unflip_labels(warehouse, flipped) -> dict:
    """{'mature' | 'immature': whether the flipped label was still flipped}; the mature one set back."""
    with duckdb.connect(str(warehouse)) as con:
        still = {which: con.execute("select count(*) from churn_labels where user_id = ? and as_of_date = ? and churned = ?",
                                    [user, day, value]).fetchone()[0] == 1 for which, (user, day, value) in flipped.items()}
        user, day, value = flipped["mature"]
        con.execute("update churn_labels set churned = ? where user_id = ? and as_of_date = ?", [1 - value, user, day])
    return still


CAUSE_COUNTS, CAUSE_MARK = "int_cause_churn_by_date", 1_000_000


def mark_cause_counts(warehouse) -> dict:
    """As mark_older_rows, for the cause counts (a row per family and date, not per user): the
    users_affected of the latest date whose labels are mature, which a later run keeps. The mark
    is a million more users, not MARK: the diagnosis built from it must still pass its tests."""
    with duckdb.connect(str(warehouse)) as con:
        family, day, value = con.execute(f"select cause_family, as_of_date, users_affected from {CAUSE_COUNTS} "
                                         f"where labels_mature order by as_of_date desc, cause_family limit 1").fetchone()
        con.execute(f"update {CAUSE_COUNTS} set users_affected = ? where cause_family = ? and as_of_date = ?",
                    [value + CAUSE_MARK, family, day])
    return {CAUSE_COUNTS: (family, day, value)}


def unmark_cause_counts(warehouse, marks) -> dict:
    """Put the real value back; {table: whether the mark survived}."""
    family, day, value = marks[CAUSE_COUNTS]
    with duckdb.connect(str(warehouse)) as con:
        survived = con.execute(f"select count(*) from {CAUSE_COUNTS} where cause_family = ? and as_of_date = ? "
                               f"and users_affected = ?", [family, day, value + CAUSE_MARK]).fetchone()[0] == 1
        con.execute(f"update {CAUSE_COUNTS} set users_affected = ? where cause_family = ? and as_of_date = ? "
                    f"and users_affected = ?", [value, family, day, value + CAUSE_MARK])
    return {CAUSE_COUNTS: survived}


def cause_counts(warehouse) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select * from {CAUSE_COUNTS} order by cause_family, as_of_date").df()


# The incremental feature tables (dbt_project/models/features/per_date/), one row set per date.
PER_DATE = sorted(path.stem for path in (DBT_PROJECT_DIR / "models" / "features" / "per_date").glob("*.sql"))


def per_date_digest(warehouse) -> dict:
    """{(table, as_of_date): (rows, digest)} of every incremental feature table: a digest of
    all its columns (doubles to 9 significant digits, as sums may add up in another order)."""
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in PER_DATE:
            columns = con.execute("select column_name, data_type from information_schema.columns "
                                  "where table_name = ? and column_name != 'as_of_date' order by column_name", [table]).fetchall()
            values = ", ".join(f"round({c}, 9 - cast(ceil(log10(abs({c}) + 1e-300)) as int))" if t == "DOUBLE" else c
                               for c, t in columns)
            rows = con.execute(f"select as_of_date, count(*), sum(hash({values})) from {table} group by as_of_date").fetchall()
            out.update({(table, day): (n, digest) for day, n, digest in rows})
    return out


def serving_of(settings, sql) -> pd.DataFrame:
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        return con.execute(sql).df()


def serving(loop, sql) -> pd.DataFrame:
    return serving_of(loop["settings"], sql)


def test_after_the_first_run_every_published_table_has_rows(loop):
    empty = [table for table in SERVING_TABLES if serving(loop, f"select count(*) n from {table}")["n"].iloc[0] == 0]
    assert not empty
    # The ledgers judge the decision day's scores and decisions, whose windows have closed.
    backtest = serving(loop, "select * from score_backtest")
    assert set(backtest["as_of_date"].astype(str)) == {LAST}
    assert serving(loop, "select count(*) n from uplift_report where campaign_week is not null")["n"].iloc[0] > 0


def test_the_first_run_is_played_once(loop):
    state = json.loads((loop["data"] / first_run.STATE_FILE).read_text())
    assert state["step"] == "done" and state["decision_date"] == LAST and state["end_date"] == loop["next_last"]

    def must_not_run():
        raise AssertionError("a finished first run ran the pipeline again")

    first_run.play(loop["data"], must_not_run, loop["windows"], users=6000, days=DAYS, end_date=END, seed=11)
    users = pd.read_csv(loop["data"] / "landing/users/users.csv")  # late signups joined with their days
    assert pd.to_datetime(users["signup_time"]).max() > pd.Timestamp(LAST) + pd.Timedelta(days=1)


def test_plan_is_the_published_assignment_of_the_decision_date(loop):
    plan = loop["plan"]
    assert len(plan) > 400 and set(plan["arm"]) == {"treatment", "control"}  # hundreds: arms big enough to test
    assert (plan["decision_date"].astype(str) == LAST).all()
    control_share = (plan["arm"] == "control").mean()
    assert 0.25 < control_share < 0.35  # holdout_share 0.3 by the stable hash
    assert plan["user_id"].is_unique


def test_sends_come_back_through_the_event_log_and_outcomes_resolve(loop):
    outcomes = serving(loop, f"select * from action_outcomes where decision_date = '{LAST}'")
    assert len(outcomes) == len(loop["plan"])  # every assigned user's window has closed
    contacted = outcomes.groupby("arm")["contacted_on_send_date"].mean()
    assert contacted["treatment"] > 0.95  # the sender's coupon_issued / message_sent events
    assert contacted["control"] < 0.2  # only the shop's unrelated background marketing
    # The new decision excludes users whose experiment window is still open... it closed
    # today, so they may be chosen again, but never twice on one date.
    assignments = serving(loop, "select decision_date, user_id from action_assignments")
    assert not assignments.duplicated().any()
    assert set(assignments["decision_date"].astype(str)) == {LAST, loop["next_last"]}


def test_measured_uplift_interval_covers_the_true_effect_per_action(loop):
    table = measured_vs_true(loop["data"])
    per_action = table[(table["incentive_type"] == "all") & (table["segment"] == "all")]
    assert set(per_action["action"]) == set(loop["plan"]["action"])
    per_action = per_action[~per_action["small_sample"]]
    assert len(per_action) >= 2  # guides and incentives have arms of hundreds
    for row in per_action.itertuples():
        assert row.covered, (f"{row.action}: true {row.true_order_uplift:.4f} outside the measured "
                             f"[{row.order_uplift_ci_low:.4f}, {row.order_uplift_ci_high:.4f}]")
    # The actions work in the simulated world, and the measurement sees it overall.
    overall = serving(loop, "select sum(treated_users) t, sum(control_users) c from uplift_report "
                            "where incentive_type = 'all' and campaign_week is not null")
    assert overall["t"].iloc[0] + overall["c"].iloc[0] == len(loop["plan"])


def test_ab_report_compares_the_playbook_arms(loop):
    report = serving(loop, "select * from ab_test_report")
    assert len(report) == 1
    row = report.iloc[0]
    assert row["experiment"] == "Spring '26 test"
    assert row["arm_a_treated_users"] > 0 and row["arm_b_treated_users"] > 0
    assert row["winner"] in {"A", "B", "no clear winner yet", "not enough users yet"}
    assert row["order_rate_difference_ci_low"] <= row["order_rate_difference_b_minus_a"] <= row["order_rate_difference_ci_high"]
    assert row["verdict"].startswith({"A": "A wins", "B": "B wins", "no clear winner yet": "No clear winner",
                                      "not enough users yet": "Not enough users"}[row["winner"]])
    # Both arms get in on the same terms, so the hash split shows in the selected users too.
    arms = serving(loop, "select variant, count(*) n from action_assignments where experiment is not null group by 1")
    counts = dict(zip(arms["variant"], arms["n"]))
    assert abs(counts["A"] - counts["B"]) < 3 * (counts["A"] + counts["B"]) ** 0.5


def test_a_later_run_adds_feature_rows_for_new_dates_only_and_equals_a_full_build(loop, tmp_path):
    """The later days add the new observation dates (Mondays) and the new scoring date; every
    date computed before and still on the spine keeps its rows untouched; and the incremental
    table equals a full rebuild."""
    before, after = loop["features_before"], per_date_digest(loop["settings"].warehouse)
    next_last = dt.date.fromisoformat(loop["next_last"])
    later = [END + dt.timedelta(days=n) for n in range(1, (next_last - END).days + 1)]
    new_dates = {day for day in later if day.weekday() == 0} | {next_last}
    # The shop has no subscriptions: that table is empty, every other has rows.
    assert {t for t, _ in after} == set(PER_DATE) - {"user_subscription_features"}
    # An old date's rows were not rewritten: a value overwritten by hand between the runs stayed.
    assert set(loop["marks"]) == {t for t, _ in after}
    assert set(loop["still_marked"]) == {t for t, _ in after} | {CAUSE_COUNTS}
    assert all(loop["still_marked"].values()), loop["still_marked"]
    for table in {t for t, _ in after}:
        dates_before = {day for t, day in before if t == table}
        dates_after = {day for t, day in after if t == table}
        assert dates_after - dates_before == new_dates, table
        unchanged = [day for day in dates_before & dates_after if before[table, day] == after[table, day]]
        assert len(unchanged) >= 10 and len(unchanged) == len(dates_before & dates_after), table
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(loop["settings"].warehouse, copy)
    # The rebuild by the other plan (macro per_date_aggregates): range windows over each user's
    # days, where the daily runs joined each date to its window (a small shop's plan).
    subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--select", "path:models/features/per_date", "churn_labels",
                    CAUSE_COUNTS,
                    "--full-refresh", "--profiles-dir", ".", "--vars",
                    loop["settings"].dbt_vars_with(per_date_windows_from_rows=0), "--quiet",
                    "--target-path", str(tmp_path / "target")],
                   cwd=DBT_PROJECT_DIR, env={**os.environ, "CHURN_DATA_DIR": str(tmp_path)}, check=True)
    compiled = Path("compiled", "churn", "models", "features", "per_date", "user_event_type_features.sql")
    assert "range between" in (tmp_path / "target" / compiled).read_text()
    assert "range between" not in (loop["settings"].dbt_target / compiled).read_text()
    assert per_date_digest(copy) == after
    assert labels_digest(copy) == labels_digest(loop["settings"].warehouse)
    pd.testing.assert_frame_equal(cause_counts(copy), cause_counts(loop["settings"].warehouse))


def test_a_later_run_recomputes_only_the_labels_whose_window_was_open(loop):
    """Labels of dates whose horizon had closed are kept as they were (a flipped one stayed
    flipped); the open ones are recomputed (a flipped one was put right) and the new dates added.
    The full rebuild of the test above equals the result."""
    before, after = loop["labels_before"], labels_digest(loop["settings"].warehouse)
    assert loop["labels_still_flipped"] == {"mature": True, "immature": False}
    closed = [day for day, (_, _, mature) in before.items() if mature]
    assert len(closed) >= 5 and all(after[day] == before[day] for day in closed)
    still_open = [day for day, (_, _, mature) in before.items() if not mature]
    assert still_open and any(after[day] != before[day] for day in still_open)
    assert set(after) - set(before), "the later days add observation dates"
