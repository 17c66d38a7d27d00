"""The community and subscription worlds: their own event names, silence after churn, and
churn stories that show in the log before the churn, as a point-in-time model needs."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from demo import worlds
from demo.generate import main, write
from demo.worlds import community, subscription

END = dt.date(2025, 6, 30)
BILLING = ["subscribe", "renew", "cancel"]


def _make(world: str, users: int, days: int, seed: int):
    return worlds.generate(world, users, days, END, seed)


@pytest.fixture(scope="module")
def small_community():
    return _make("community", 300, 60, 3)


@pytest.fixture(scope="module")
def small_subscription():
    return _make("subscription", 300, 60, 3)


# Big enough that each driver has dozens of churners; still well under a second each.
@pytest.fixture(scope="module")
def big_community():
    return _make("community", 2000, 90, 11)


@pytest.fixture(scope="module")
def big_subscription():
    return _make("subscription", 2000, 90, 11)


@pytest.mark.parametrize("world", ["community", "subscription"])
def test_same_seed_same_demo_other_seed_differs(world):
    a, b, c = _make(world, 300, 60, 3), _make(world, 300, 60, 3), _make(world, 300, 60, 4)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert not a.events.equals(c.events)


def test_community_logs_its_own_event_types(small_community):
    ev = small_community.events
    assert list(ev.columns) == ["user_id", "event_time", "event_type", "session_id", "channel"]
    assert set(ev.event_type) == set(community.TYPES)
    assert set(ev.channel) == {"app", "web"}
    assert ev.event_time.is_monotonic_increasing and ev.notna().all().all()
    # Every session opens with app_open.
    first = ev.groupby("session_id").event_type.first()
    assert (first == "app_open").all()


def test_subscription_logs_its_own_event_types(small_subscription):
    ev = small_subscription.events
    assert list(ev.columns) == ["user_id", "event_time", "event_type", "session_id", "amount",
                                "response_seconds"]  # fmt: skip
    assert set(ev.event_type) == set(subscription.TYPES)
    billed = ev.event_type.isin(["subscribe", "renew"])
    assert (ev.amount[billed] > 0).all() and ev.amount[~billed].isna().all()
    ticket = ev.event_type == "support_ticket"
    assert (ev.response_seconds[ticket] > 0).all() and ev.response_seconds[~ticket].isna().all()
    assert ev.session_id[ev.event_type.isin(BILLING)].isna().all()
    assert ev.session_id[~ev.event_type.isin(BILLING)].notna().all()


@pytest.mark.parametrize("fixture", ["big_community", "big_subscription"])
def test_truth_columns_and_drivers(fixture, request):
    demo = request.getfixturevalue(fixture)
    truth = demo.truth
    module = community if fixture == "big_community" else subscription
    assert truth.user_id.is_unique and set(demo.events.user_id) <= set(truth.user_id)
    churned = truth.churn_date.notna()
    assert 0.1 < churned.mean() < 0.5
    assert truth.churn_driver[churned].notna().all() and truth.churn_driver[~churned].isna().all()
    assert set(truth.churn_driver.dropna()) == set(module.DRIVERS)
    assert (truth.driver_family[churned] == truth.churn_driver[churned].map(module.FAMILY)).all()
    back = truth.returned_date.notna()
    assert 0 < back.sum() < 0.2 * churned.sum() and not (back & ~churned).any()


def test_community_churners_are_silent_until_they_return(big_community):
    truth = big_community.truth.set_index("user_id")
    ev = big_community.events.join(truth[["churn_date", "returned_date"]], on="user_id")
    after_churn = ev.event_time >= ev.churn_date
    before_return = ev.returned_date.isna() | (ev.event_time < ev.returned_date)
    assert not (after_churn & before_return).any()
    back = ev[ev.returned_date.notna() & (ev.event_time >= ev.returned_date)]
    assert back.user_id.nunique() == truth.returned_date.notna().sum()


def test_subscribers_use_the_service_until_their_paid_period_ends(big_subscription):
    truth = big_subscription.truth.set_index("user_id")
    churned = truth[truth.churn_date.notna()]
    assert (churned.access_end_date > churned.churn_date).all()
    assert (churned.access_end_date <= churned.churn_date + pd.Timedelta(days=30)).all()
    ev = big_subscription.events.join(truth[["churn_date", "access_end_date", "returned_date"]],
                                      on="user_id")  # fmt: skip
    day = ev.event_time.dt.normalize()
    before_return = ev.returned_date.isna() | (day < ev.returned_date)
    # Nothing at all once access has ended (until a resubscribe).
    assert not ((day >= ev.access_end_date) & before_return).any()
    # One cancel per churner, on its churn date; no renewal after it.
    cancels = ev[ev.event_type == "cancel"]
    assert cancels.user_id.is_unique and set(cancels.user_id) == set(churned.index)
    assert (cancels.event_time.dt.normalize() == cancels.churn_date).all()
    cancelled_at = ev.user_id.map(cancels.set_index("user_id").event_time)
    assert not ((ev.event_type == "renew") & (ev.event_time > cancelled_at) & before_return).any()
    # Between the cancel and the end of access they go on watching.
    between = ev[(ev.event_time > ev.churn_date) & (day < ev.access_end_date)]
    watched = between[between.event_type == "play"].user_id.nunique()
    long_enough = ((churned.access_end_date - churned.churn_date).dt.days >= 10).sum()
    assert watched > 0.6 * long_enough


def _rate_before(ev: pd.DataFrame, truth: pd.DataFrame, types: list[str], days: int,
                 offset: int = 0) -> pd.Series:  # fmt: skip
    """Events of `types` per user and day in the `days` days ending `offset` days before each
    user's reference date (truth.ref), for users signed up before that window."""
    ref = truth.set_index("user_id").ref
    hit = ev[ev.event_type.isin(types)].join(ref, on="user_id")
    hi = hit.ref - pd.Timedelta(days=offset)
    inside = (hit.event_time < hi) & (hit.event_time >= hi - pd.Timedelta(days=days))
    counts = hit[inside].groupby("user_id").size()
    return counts.reindex(truth.user_id, fill_value=0).set_axis(truth.index) / days


def _with_ref(truth: pd.DataFrame, first_day: pd.Timestamp, lookback: int) -> pd.DataFrame:
    """Churners keep their churn date as reference, retained users get the last day + 1;
    only users signed up at least `lookback` days before the reference."""
    last = truth.churn_date.isna() & truth.returned_date.isna()
    ref = truth.churn_date.where(~last, pd.Timestamp(END) + pd.Timedelta(days=1))
    out = truth.assign(ref=ref, group=truth.churn_driver.fillna("retained"))
    start = ref - pd.Timedelta(days=lookback)
    return out[(start >= first_day) & (out.signup_date <= start)]


def _first_day(demo) -> pd.Timestamp:
    return demo.events.event_time.min().normalize()


def test_community_errors_and_mutes_precede_churn(big_community):
    ev, truth = big_community.events, big_community.truth
    t = _with_ref(truth, _first_day(big_community), 30)
    group = t.group
    errors = _rate_before(ev, t, ["app_error"], 30)
    mutes = _rate_before(ev, t, ["mute_group", "leave_group"], 30)
    assert (group == "errors").sum() >= 20 and (group == "muted_groups").sum() >= 20
    retained = group == "retained"
    assert errors[group == "errors"].mean() > 4 * errors[retained].mean()
    assert errors[group == "errors"].mean() > 3 * errors[group == "natural"].mean()
    assert mutes[group == "muted_groups"].mean() > 4 * mutes[retained].mean()
    assert mutes[group == "muted_groups"].mean() > 3 * mutes[group == "natural"].mean()
    # Most errors-churners had a run of errors in their last two weeks, few retained users do.
    recent = _rate_before(ev, t, ["app_error"], 14) * 14 >= 3
    assert recent[group == "errors"].mean() > 0.5 > 0.15 > recent[retained].mean()


def test_community_social_decline_shows_as_falling_interaction(big_community):
    ev, truth = big_community.events, big_community.truth
    t = _with_ref(truth, _first_day(big_community), 44)
    social = ["like", "comment", "message", "post"]
    late, early = _rate_before(ev, t, social, 14), _rate_before(ev, t, social, 30, offset=14)

    def ratio(mask):  # pooled over the group: late rate / early rate
        return late[mask].sum() / early[mask].sum()

    assert (t.group == "social_decline").sum() >= 20
    assert ratio(t.group == "social_decline") < 0.6
    assert ratio(t.group == "retained") > 0.85
    assert ratio(t.group == "social_decline") < ratio(t.group == "natural") - 0.2


def test_subscription_errors_and_low_usage_precede_the_cancel(big_subscription):
    ev, truth = big_subscription.events, big_subscription.truth
    t = _with_ref(truth, _first_day(big_subscription), 44)
    group, retained = t.group, t.group == "retained"
    errors = _rate_before(ev, t, ["playback_error"], 30)
    assert (group == "playback_errors").sum() >= 20 and (group == "low_usage").sum() >= 20
    assert errors[group == "playback_errors"].mean() > 4 * errors[retained].mean()
    tickets = _rate_before(ev, t, ["support_ticket"], 30)
    assert tickets[group == "playback_errors"].mean() > 2 * tickets[retained].mean()
    late, early = _rate_before(ev, t, ["play"], 14), _rate_before(ev, t, ["play"], 30, offset=14)
    falling = late[group == "low_usage"].sum() / early[group == "low_usage"].sum()
    steady = late[retained].sum() / early[retained].sum()
    assert falling < 0.7 < 0.85 < steady


def test_price_cancels_come_just_before_a_renewal(big_subscription):
    truth = big_subscription.truth
    churned = truth[truth.churn_date.notna()]
    notice = (churned.access_end_date - churned.churn_date).dt.days
    price = churned.churn_driver == "price"
    assert price.sum() >= 20
    assert (notice[price] <= 5).all() and notice[~price].mean() > 10
    assert churned.price_sensitivity[price].mean() > truth.price_sensitivity.mean() + 0.1


def test_spells_agree_with_billing_events(big_subscription):
    spells, ev = big_subscription.subscriptions, big_subscription.events
    first, last = _first_day(big_subscription), pd.Timestamp(END)
    assert list(spells.columns) == ["user_id", "start", "end", "plan", "price"]
    assert set(spells.user_id) == set(big_subscription.truth.user_id)
    billing = ev[ev.event_type.isin(BILLING)].assign(day=lambda e: e.event_time.dt.normalize())
    got = {(u, d, k) for u, d, k in zip(billing.user_id, billing.day, billing.event_type)}
    want = set()
    for s in spells.itertuples():
        stop = s.end if pd.notna(s.end) else last + pd.Timedelta(days=1)
        if s.start >= first:
            want.add((s.user_id, s.start, "subscribe"))
        for k in range(1, 400):
            day = s.start + pd.Timedelta(days=30 * k)
            if day >= stop:
                break
            if day >= first:
                want.add((s.user_id, day, "renew"))
    assert {x for x in got if x[2] != "cancel"} == want
    # Each ended spell has its cancel in its last paid period; a live spell may have one too.
    ended = spells[spells.end.notna()]
    cancel = billing[billing.event_type == "cancel"].set_index("user_id").day
    c = ended.user_id.map(cancel)
    assert c.notna().all()
    assert ((c < ended.end) & (c >= ended.end - pd.Timedelta(days=30))).all()
    # The spell's price is the last amount billed in it (when it was billed inside the window).
    paid = billing[billing.event_type != "cancel"].groupby("user_id").amount.last()
    latest = spells.groupby("user_id").tail(1).set_index("user_id")
    billed = latest.index.intersection(paid.index)
    assert np.allclose(latest.price[billed], paid[billed])
    truth = big_subscription.truth.set_index("user_id")
    assert (ended.set_index("user_id").end == truth.access_end_date[ended.user_id]).all()
    assert (spells.groupby("user_id").size() - 1 == truth.returned_date.notna()).all()


def test_cli_writes_each_world_and_clears_the_last(tmp_path, capsys):
    out = tmp_path / "demo"
    common = ["--users", "60", "--days", "10", "--end-date", "2025-06-30", "--out", str(out)]
    main(["--world", "subscription", *common])
    spells = pd.read_csv(out / "landing/subscriptions/subscriptions.csv", dtype=str,
                         keep_default_na=False)  # fmt: skip
    assert list(spells.columns) == ["user_id", "start", "end", "plan", "price"]
    truth = pd.read_csv(out / "demo_truth/ground_truth.csv", dtype=str, keep_default_na=False)
    assert {"user_id", "signup_date", "churn_date", "churn_driver", "driver_family",
            "returned_date", "access_end_date"} <= set(truth.columns)  # fmt: skip
    main(["--world", "community", *common])
    assert capsys.readouterr().out.count("users=60 events=") == 2
    assert not (out / "landing/subscriptions").exists()
    assert not (out / "demo_truth/world.pkl").exists()
    days = sorted((out / "landing/events").glob("date=*/events.csv"))
    assert len(days) == 10
    rows = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in days])
    assert list(rows.columns) == ["user_id", "event_time", "event_type", "session_id", "channel"]
    assert rows.event_time.str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    assert set(rows.event_type) <= set(community.TYPES) and "mute_group" in set(community.TYPES)


def test_dirt_can_be_asked_for(small_subscription, tmp_path):
    rows = write(small_subscription, tmp_path, bad_row_rate=0.02, seed=3)
    n = len(small_subscription.events)
    assert rows == n + round(0.01 * n) + round(0.02 * n)
    files = (tmp_path / "landing/events").glob("date=*/events.csv")
    landed = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files])
    bad_time = pd.to_datetime(landed.event_time, format="ISO8601", errors="coerce", utc=True).isna()
    bad_amount = (landed.amount != "") & pd.to_numeric(landed.amount, errors="coerce").isna()
    assert (landed.user_id == "").any() and bad_time.any() and bad_amount.any()
