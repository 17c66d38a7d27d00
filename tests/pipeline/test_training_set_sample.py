"""Training-set reads past a row budget: a fixed sample of users, each with every date."""

import datetime as dt

import duckdb
import pytest

from pipeline.model import training_set
from tests.view_reads import ViewReads


@pytest.fixture()
def con():
    con = duckdb.connect()
    dates = [dt.date(2026, 1, 1) + dt.timedelta(weeks=w) for w in range(4)]
    con.execute("create table churn_labels (user_id varchar, as_of_date date, label_mature boolean, churned int)")
    con.execute("create table user_features (user_id varchar, as_of_date date, visits int)")
    for i in range(2000):
        for w, day in enumerate(dates):
            con.execute("insert into churn_labels values (?, ?, ?, ?)", [f"u{i}", day, w < 3, i % 3 == 0])
    con.execute("insert into user_features select user_id, as_of_date, 1 from churn_labels")
    con.execute(f"create view {training_set.VIEW} as select * from churn_labels join user_features using (user_id, as_of_date)")
    return con


def test_under_the_budget_every_row_is_read(con):
    rows, share = training_set.rows_where(con, max_rows=10_000)
    assert (len(rows), share) == (8000, 1.0)


def test_past_the_budget_a_fixed_share_of_users_with_all_their_dates(con):
    rows, share = training_set.rows_where(con, max_rows=2000)
    assert share == pytest.approx(0.25)
    assert 1500 < len(rows) < 2500  # a hash picks about a quarter of the users
    assert (rows.groupby("user_id")["as_of_date"].nunique() == 4).all()  # a sampled user keeps every date
    again, _ = training_set.rows_where(con, max_rows=2000)
    assert set(again["user_id"]) == set(rows["user_id"])  # the same users on every read


def test_the_condition_counts_against_the_budget(con):
    last = dt.date(2026, 1, 15)
    rows, share = training_set.rows_where(con, "label_mature and churned = 0 and as_of_date between ? and ?",
                                          [last - dt.timedelta(days=7), last], max_rows=1000)
    matched = 2 * sum(1 for i in range(2000) if i % 3 != 0)  # two mature dates in the window, non-churners
    assert share == pytest.approx(1000 / matched)
    assert (rows["churned"] == 0).all() and rows["label_mature"].all()
    assert set(rows["as_of_date"].astype(str)) == {"2026-01-08", "2026-01-15"}


def test_the_columns_with_a_value_on_a_date_are_counted_in_the_order_asked(con):
    # "pages" has a value on the first date only, "visits" on every date, "no_such" is not in the view.
    con.execute("alter table user_features add column pages int")
    con.execute("update user_features set pages = 3 where as_of_date = '2026-01-01' and user_id = 'u7'")
    names = ["pages", "no_such", "visits"]
    assert training_set.columns_with_values(con, names, dt.date(2026, 1, 1)) == ["pages", "visits"]
    assert training_set.columns_with_values(con, names, dt.date(2026, 1, 8)) == ["visits"]
    assert training_set.columns_with_values(con, names, None) == []


@pytest.mark.parametrize("max_rows", [None, 2000])
def test_duckdb_gets_less_memory_while_a_frame_is_read_and_its_limit_back_after(con, max_rows):
    con.execute("set memory_limit = '100MiB'")
    limits = []
    rows, _ = training_set.rows_where(ViewReads(con, memory_limit, limits), max_rows=max_rows)
    frame = len(rows) * 5 * 8 / 2**20  # rows x the view's 5 columns x 8 bytes, in MiB
    assert len(limits) == 1 and mib(limits[0]) < 100 and mib(limits[0]) == pytest.approx(100 - frame, abs=0.1)
    assert memory_limit(con) == "100.0 MiB"


def memory_limit(con) -> str:
    return con.execute("select current_setting('memory_limit')").fetchone()[0]


def mib(setting: str) -> float:
    value, unit = setting.split()
    return float(value) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[unit]


def test_a_read_out_of_memory_under_the_lowered_limit_runs_again_under_the_whole_one(con):
    con.execute("set memory_limit = '100MiB'")
    limits = []

    def read():
        limits.append(memory_limit(con))
        if len(limits) == 1:
            raise duckdb.OutOfMemoryException("could not allocate block")
        return con.execute("select 1 as one").df()

    # A frame of 60 MiB would leave DuckDB 40: it keeps half its limit.
    frame = training_set._read_frame(con, 60 * 2**20, read)
    assert limits == ["50.0 MiB", "100.0 MiB"] and len(frame) == 1
    assert memory_limit(con) == "100.0 MiB"


def test_a_date_read_in_user_order_is_sorted_by_user_id(con):
    rows = training_set.rows_on(con, dt.date(2026, 1, 8), order_by_user=True)
    assert len(rows) == 2000 and rows["user_id"].tolist() == sorted(f"u{i}" for i in range(2000))
    assert rows.index.tolist() == list(range(2000))  # tiers break ties by position
