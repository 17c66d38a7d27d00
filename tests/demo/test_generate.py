"""Behaviour of the demo generator: files, dirt, and the churn story the model must find."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from demo.events import COLUMNS, EVENT_TYPES
from demo.generate import generate, main, write

END = dt.date(2025, 6, 30)
BAD_RATE = 0.01  # higher than the default so a small run has enough dirt to measure


@pytest.fixture(scope="module")
def small():
    return generate(300, 40, END, seed=7)


@pytest.fixture(scope="module")
def written(small, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    write(small, out, bad_row_rate=BAD_RATE, seed=7)
    return out


@pytest.fixture(scope="module")
def landed(written) -> pd.DataFrame:
    """Every landing row as text, with the folder it came from."""
    frames = []
    for f in sorted((written / "landing/events").glob("date=*/events.csv")):
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        frames.append(df.assign(folder=f.parent.name.removeprefix("date=")))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def big():
    """Large enough for churn rates to be compared without flakiness (fixed seed anyway)."""
    return generate(3000, 90, END, seed=11)


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*.csv"))}  # fmt: skip


def test_same_seed_same_files_other_seed_differs(small, written, tmp_path):
    write(generate(300, 40, END, seed=7), tmp_path / "again", BAD_RATE, seed=7)
    write(generate(300, 40, END, seed=8), tmp_path / "other", BAD_RATE, seed=8)
    assert _digest(tmp_path / "again") == _digest(written)
    assert _digest(tmp_path / "other") != _digest(written)


def test_events_stay_in_window_and_in_their_day_file(small, landed):
    first = pd.Timestamp(END) - pd.Timedelta(days=39)
    assert small.events.event_time.min() >= first
    assert small.events.event_time.max() < pd.Timestamp(END) + pd.Timedelta(days=1)
    times = pd.to_datetime(landed.event_time, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    parsed = times.notna()
    assert (times[parsed].dt.strftime("%Y-%m-%d") == landed.folder[parsed]).all()


def test_file_header_and_clean_frame_contract(small, written):
    a_file = next((written / "landing/events").glob("date=*/events.csv"))
    assert a_file.read_text(encoding="utf-8").splitlines()[0] == ",".join(COLUMNS)
    ev = small.events
    assert list(ev.columns) == COLUMNS
    assert ev[["event_id", "user_id", "event_time", "event_type", "channel"]].notna().all().all()
    assert ev.event_id.is_unique and ev.event_time.is_monotonic_increasing
    assert set(ev.event_type) <= set(EVENT_TYPES)
    assert set(ev.channel) <= {"app", "mini_program", "web", "offline"}


def test_measures_sit_on_their_event_types(small):
    ev = small.events
    required = {"amount": ["order", "refund"], "page_load_ms": ["page_view", "product_view"],
                "response_seconds": ["cs_contact", "complaint"], "delivery_minutes": ["delivery"],
                "rating": ["review"], "text": ["complaint"]}  # fmt: skip
    for col, types in required.items():
        on = ev.event_type.isin(types)
        assert ev.loc[on, col].notna().all(), col
        if col != "text":  # reviews may carry text too
            assert ev.loc[~on, col].isna().all(), col
    assert (ev.amount[ev.event_type == "order"] > 0).all()
    assert (ev.amount[ev.event_type == "refund"] < 0).all()
    assert ev.rating.dropna().between(1, 5).all()
    offline_orders = ev.order_id[(ev.event_type == "order") & (ev.channel == "offline")]
    assert not ev.order_id[ev.event_type == "delivery"].isin(offline_orders).any()


def test_bad_rows_are_injected_at_the_rate_and_really_bad(small, landed):
    n = len(small.events)
    no_user = landed.user_id == ""
    bad_time = pd.to_datetime(landed.event_time, format="%Y-%m-%d %H:%M:%S", errors="coerce").isna()
    bad_amount = (landed.amount != "") & pd.to_numeric(landed.amount, errors="coerce").isna()
    bad = no_user | bad_time | bad_amount
    assert bad.sum() == pytest.approx(BAD_RATE * n, rel=0.05)
    assert no_user.any() and bad_time.any() and bad_amount.any()
    # Each bad row is a spoiled copy: its event_id also exists as a clean row.
    assert landed.event_id[bad].isin(small.events.event_id).all()
    dup_rows = landed[~bad].duplicated().sum()
    assert dup_rows == pytest.approx(BAD_RATE / 2 * n, rel=0.05)
    assert len(landed) - bad.sum() - dup_rows == n


def test_bad_experiences_raise_churn(big):
    ev, truth = big.events, big.truth.set_index("user_id")
    churned = truth.churn_date.notna()
    loads = ev.groupby("user_id").page_load_ms.median()
    replies = ev[ev.event_type == "cs_contact"].groupby("user_id").response_seconds.median()
    late = (ev[ev.event_type == "delivery"].delivery_minutes > 2880).groupby(ev.user_id).mean()
    for slow, fine in [(loads > 3000, loads < 1500), (replies > 180, replies <= 180),
                       (late > 0.3, late < 0.1)]:  # fmt: skip
        rate_slow = churned[slow[slow].index].mean()
        rate_fine = churned[fine[fine].index].mean()
        assert rate_slow > rate_fine + 0.1, (rate_slow, rate_fine)
    drivers = set(truth.churn_driver.dropna())
    assert {"page_load", "service", "delivery", "complaint", "never_converted"} <= drivers


def test_price_churners_turned_down_the_total_at_checkout_first(big):
    """Price-driven churn leaves a trace like the other drivers: abandoned checkouts, which
    price-sensitive users without a recent discount leave, and which the price hazard follows."""
    ev, truth = big.events, big.truth.set_index("user_id")
    balks = ev[ev.event_type == "checkout_abandoned"]
    assert balks.session_id.notna().all() and balks.item_id.notna().all() and balks.amount.isna().all()
    price = truth[truth.churn_driver == "price"]
    assert len(price) >= 30
    # Every price churner balked before leaving, and as the hazard fades like a bad week's,
    # nearly all within the two weeks before (a break in between can stretch that).
    before = balks.merge(price.churn_date.rename("churn_date"), left_on="user_id", right_index=True)
    before = before[before.event_time < before.churn_date]
    assert set(before.user_id) == set(price.index)
    recent = before.event_time >= before.churn_date - pd.Timedelta(days=14)
    assert before.user_id[recent].nunique() >= 0.9 * len(price), (before.user_id[recent].nunique(), len(price))
    # ... and balking is a price-sensitive habit: those who balk most are the most sensitive.
    per_user = balks.groupby("user_id").size().reindex(truth.index, fill_value=0)
    sensitivity = truth.price_sensitivity
    assert sensitivity[per_user >= 3].mean() > sensitivity[per_user == 0].mean() + 0.15


def test_new_users_without_an_order_in_a_week_mostly_vanish(big):
    ev, truth = big.events, big.truth.set_index("user_id")
    first_day = pd.Timestamp(END) - pd.Timedelta(days=89)
    last_day = pd.Timestamp(END) - pd.Timedelta(days=14)  # their first week is fully seen
    new = truth[(truth.signup_date >= first_day) & (truth.signup_date <= last_day)]
    orders = ev[ev.event_type == "order"].groupby("user_id").event_time.min()
    week_end = new.signup_date + pd.Timedelta(days=7)
    ordered = orders.reindex(new.index) < week_end
    gone = new.churn_date.notna() & (new.churn_date <= week_end)
    assert gone[~ordered].mean() > 0.6
    assert gone[ordered].mean() < 0.2


def test_churned_users_are_silent_until_they_return(big):
    truth = big.truth.set_index("user_id")
    ev = big.events.join(truth[["churn_date", "returned_date"]], on="user_id")
    after_churn = ev.event_time >= ev.churn_date
    before_return = ev.returned_date.isna() | (ev.event_time < ev.returned_date)
    assert not (after_churn & before_return).any()
    returned = truth.returned_date.notna()
    assert 0 < returned.sum() < 0.2 * truth.churn_date.notna().sum()
    back = ev[ev.returned_date.notna() & (ev.event_time >= ev.returned_date)]
    assert back.user_id.nunique() == returned.sum()  # a returner shows up again


def test_users_and_truth_files(small, written):
    users = pd.read_csv(written / "landing/users/users.csv", dtype=str, keep_default_na=False)
    assert list(users.columns) == ["user_id", "signup_time", "channel", "city_tier"]
    assert len(users) == 300 and set(users.city_tier) <= {"1", "2", "3", "4"}
    truth = pd.read_csv(written / "demo_truth/ground_truth.csv", dtype=str, keep_default_na=False)
    assert truth.user_id.is_unique and len(truth) == 300
    churned = truth.churn_date != ""
    assert (truth.churn_driver[churned] != "").all() and (truth.churn_driver[~churned] == "").all()
    assert {"engagement", "price_sensitivity", "value"} <= set(truth.columns)
    assert set(small.events.user_id) <= set(users.user_id)


def test_cli_prints_a_summary(tmp_path, capsys):
    main(["--users", "50", "--days", "10", "--end-date", "2025-06-30", "--out", str(tmp_path)])
    line = capsys.readouterr().out.strip()
    assert line.startswith("users=50 events=") and "events/s=" in line
    assert len(list((tmp_path / "landing/events").iterdir())) == 10
    assert np.isfinite(float(line.split("seconds=")[1].split()[0]))


def test_a_chunked_demo_writes_each_chunk_apart_with_ids_that_never_collide(tmp_path):
    from demo.stream import write_in_chunks

    rows = write_in_chunks(250, 20, END, seed=3, out_dir=tmp_path, chunk_users=100, bad_row_rate=0.0)
    day_files = sorted(p.name for p in (tmp_path / "landing/events").glob("date=*/*.csv"))
    assert {name for name in day_files} == {"events-0000.csv", "events-0001.csv", "events-0002.csv"}
    events = pd.concat(pd.read_csv(p, dtype=str) for p in (tmp_path / "landing/events").glob("date=*/*.csv"))
    assert len(events) == rows and events["event_id"].is_unique
    users = pd.read_csv(tmp_path / "landing/users/users.csv", dtype=str)
    truth = pd.read_csv(tmp_path / "demo_truth/ground_truth.csv", dtype=str)
    assert len(users) == len(truth) == 250 and users["user_id"].is_unique
    assert set(events["user_id"]) <= set(users["user_id"])
    # A chunk is the one-piece generator with its own seed stream, ids prefixed.
    second = generate(100, 20, END, seed=[3, 1]).events
    mine = events[events["user_id"].str.startswith("c0001-")]
    assert len(mine) == len(second)
