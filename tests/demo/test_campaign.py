"""Continuing the demo world with a retention plan: files, sends, and the true effects."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from demo.campaign import CampaignResult, continue_world, decision_date, main, write
from demo.effects import EFFECT_COLUMNS
from demo.generate import WORLD_FILE, generate
from demo.generate import write as write_history
from demo.simulate import World

END = dt.date(2025, 6, 30)
HISTORY_DAYS, DAYS = 40, 5
BAD_RATE = 0.01
ACTIONS = [("automated_guide", "tips_message", "app"), ("incentive", "return_gift_pack", "sms"),
           ("incentive", "spend_threshold_coupon", "sms"),
           ("personal_outreach", "priority_service", "phone")]  # fmt: skip


def make_plan(events: pd.DataFrame, n: int, seed: int, actions=ACTIONS) -> pd.DataFrame:
    """n random users seen in the last 14 days, a random mix of `actions`, 20% control."""
    last = events.event_time.max().normalize()
    recent = np.sort(events.user_id[events.event_time >= last - pd.Timedelta(days=13)].unique())
    rng = np.random.default_rng(seed)
    users = rng.choice(recent, min(n, len(recent)), replace=False)
    pick = np.array(actions, dtype=object)[rng.integers(0, len(actions), len(users))]
    return pd.DataFrame({
        "user_id": users, "arm": np.where(rng.random(len(users)) < 0.2, "control", "treatment"),
        "action": pick[:, 0], "incentive_type": pick[:, 1], "channel": pick[:, 2],
        "coupon_validity_days": 14, "send_hour": rng.integers(8, 21, len(users)),
        "segment": rng.choice(["at_risk", "vip"], len(users)), "ignored_column": 1,
    })  # fmt: skip


def digest(root: Path, pattern: str) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.glob(pattern))}  # fmt: skip


@pytest.fixture(scope="module")
def history():
    return generate(400, HISTORY_DAYS, END, seed=3)


@pytest.fixture(scope="module")
def out(history, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("campaign")
    write_history(history, folder, BAD_RATE, seed=3)
    return folder


@pytest.fixture(scope="module")
def plan(history) -> pd.DataFrame:
    return make_plan(history.events, 150, seed=1)


@pytest.fixture(scope="module")
def continued(out, plan, tmp_path_factory):
    """The history folder as written, then after a continuation (in a copy)."""
    before = digest(out, "landing/**/*.csv")
    after = tmp_path_factory.mktemp("continued")
    shutil.copytree(out, after, dirs_exist_ok=True)
    world = World.load(after / WORLD_FILE)
    result = continue_world(world, DAYS, plan, reps=6, seed=1)
    write(result, world, after, BAD_RATE, seed=1)
    return before, after, result, world


def test_saving_the_world_leaves_the_history_files_as_they_were(tmp_path):
    write_history(generate(300, 40, END, seed=7), tmp_path, BAD_RATE, seed=7)
    h = hashlib.sha256()
    for name, _ in digest(tmp_path, "landing/**/*.csv").items():
        h.update(name.encode() + (tmp_path / name).read_bytes())
    # The digest of these files as written before the world became resumable, renewed once
    # since: when the shop began to log abandoned checkouts (a change of what is simulated).
    assert h.hexdigest() == "750f93e7eb59e5ad6c34c18f1dd42784b7ef5a3696468f95d8ef3606f35a4735"
    assert (tmp_path / WORLD_FILE).exists()


def test_continuation_only_adds_the_next_days(continued):
    before, after, result, world = continued
    now = digest(after, "landing/**/*.csv")
    assert {k: now[k] for k in before} == before  # earlier days and users untouched
    added = sorted(set(now) - set(before))
    days = pd.date_range(END + dt.timedelta(days=1), periods=DAYS).strftime("%Y-%m-%d")
    assert added == [f"landing/events/date={d}/events.csv" for d in days]
    assert world.days == HISTORY_DAYS + DAYS and result.first_day == HISTORY_DAYS
    ev = result.events
    assert ev.event_time.min() >= pd.Timestamp(days[0])
    assert ev.event_time.max() < pd.Timestamp(days[-1]) + pd.Timedelta(days=1)
    assert ev.event_id.is_unique and ev.event_time.is_monotonic_increasing


def test_new_day_files_carry_the_usual_dirt(continued):
    _, after, result, _ = continued
    files = sorted((after / "landing/events").glob("date=2025-07-*/events.csv"))
    landed = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files])
    assert len(landed) - len(result.events) == pytest.approx(1.5 * BAD_RATE * len(result.events),
                                                             rel=0.1)  # fmt: skip
    assert (landed.user_id == "").any()


def test_ids_follow_the_history_and_late_parcels_arrive(history, continued):
    _, _, result, _ = continued
    last_id = history.events.event_id.str[1:].astype(int).max()
    assert result.events.event_id.str[1:].astype(int).min() == last_id + 1
    # Deliveries of orders placed in the history were kept for the days they arrive on.
    delivered = result.events[result.events.event_type == "delivery"]
    assert delivered.order_id.isin(history.events.order_id).any()


def test_sends_go_to_treatment_rows_only_on_the_first_new_day(plan, continued):
    _, _, result, _ = continued
    ev = result.events
    sent = ev[ev.text.fillna("").str.startswith("retention:")]
    first_day = pd.Timestamp(END) + pd.Timedelta(days=1)
    assert (sent.event_time.dt.normalize() == first_day).all()
    issued = sent[sent.event_type.isin(["message_sent", "coupon_issued"])]
    treated = plan[plan.arm == "treatment"].set_index("user_id")
    assert set(issued.user_id) == set(treated.index)
    assert not sent.user_id.isin(plan.user_id[plan.arm == "control"]).any()
    row = treated.loc[issued.user_id]
    assert (issued.channel.to_numpy() == row.channel.to_numpy()).all()
    assert (issued.event_time.dt.hour.to_numpy() == row.send_hour.to_numpy()).all()
    text = "retention:" + row.action + ":" + row.incentive_type
    assert (issued.text.to_numpy() == text.to_numpy()).all()
    kinds = issued.groupby(["user_id", "event_type"]).size().unstack(fill_value=0)
    kinds = kinds.join(treated.incentive_type)
    coupon_n = {"return_gift_pack": 3, "spend_threshold_coupon": 1}
    assert (kinds.get("coupon_issued", 0) == kinds.incentive_type.map(coupon_n).fillna(0)).all()
    messaged = treated.action.isin(["automated_guide", "personal_outreach"])
    assert (kinds.get("message_sent", 0) == messaged.reindex(kinds.index).astype(int)).all()
    opened = sent[sent.event_type == "message_opened"]
    assert len(opened) and opened.user_id.isin(treated.index[messaged]).all()


def test_effect_files_have_the_documented_rows_and_columns(plan, continued):
    _, after, result, _ = continued
    effects = pd.read_csv(after / "demo_truth/action_effects.csv")
    assert set(EFFECT_COLUMNS) <= set(effects.columns)
    assert (effects.decision_date == str(END)).all()
    overall = effects[effects.action == "all"]
    assert len(overall) == 1 and overall.users.iloc[0] == len(plan)
    per_action = effects[(effects.action != "all") & (effects.incentive_type == "all")]
    assert per_action.users.sum() == len(plan)
    cells = effects[effects.segment != "all"]
    assert len(cells) == len(plan.groupby(["action", "incentive_type", "segment"]))
    assert (effects.mc_std_error_order_uplift > 0).all()
    uplift = effects.true_order_rate_treated - effects.true_order_rate_untreated
    assert np.allclose(uplift, effects.true_order_uplift, atol=2e-5)
    users = pd.read_csv(after / "demo_truth/action_user_effects.csv")
    assert sorted(users.user_id) == sorted(plan.user_id)
    assert {"arm", "status", "order_treated", "order_untreated", "revenue_uplift"} <= set(users)
    truth = pd.read_csv(after / "demo_truth/ground_truth.csv")
    assert {"coupon_response", "perk_response", "message_open_p"} <= set(truth.columns)


def test_true_coupon_effect_is_larger_for_price_sensitive_users():
    demo = generate(1500, 30, END, seed=5)
    coupon = [("incentive", "no_threshold_coupon", "sms")]
    plan = make_plan(demo.events, 800, seed=2, actions=coupon)
    result = continue_world(demo.world, 1, plan, reps=8, seed=3, horizon=14)
    u = result.user_effects
    high = u[u.price_sensitivity > 0.55].order_uplift.mean()
    low = u[u.price_sensitivity < 0.2].order_uplift.mean()
    assert high > 0.1 and high > 3 * low, (high, low)  # about 0.15 against 0.03
    assert result.effects.true_order_uplift.iloc[-1] > 4 * result.effects.mc_std_error_order_uplift.iloc[-1]


def test_a_saved_world_continues_exactly_like_the_one_in_memory(history, out, plan):
    kept = World.load(out / WORLD_FILE)  # the in-memory one of the fixture stays untouched
    loaded = World.load(out / WORLD_FILE)
    a = continue_world(kept, 2, plan, reps=2, seed=9)
    b = continue_world(loaded, 2, plan, reps=2, seed=9)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.effects, b.effects)
    assert history.world.days == HISTORY_DAYS


def test_a_world_saved_before_checkouts_were_abandoned_goes_on(out, plan, tmp_path):
    """A data folder of an older version: its saved world has no abandoned checkouts yet."""
    old = World.load(out / WORLD_FILE)
    del old.st.balks
    old.save(tmp_path / "old.pkl")
    world = World.load(tmp_path / "old.pkl")
    assert not world.st.balks.any() and len(world.st.balks) == world.pop.size
    result = continue_world(world, 2, plan, reps=2, seed=9)
    assert (result.events.event_type == "checkout_abandoned").any()


def test_continuing_twice_advances_the_world(continued, history):
    _, after, first, world = continued
    folder = after.parent / "twice"
    shutil.copytree(after, folder)
    plan = make_plan(pd.concat([history.events, first.events]), 60, seed=4)
    second = continue_world(world, 3, plan, reps=3, seed=2)
    write(second, world, folder, BAD_RATE, seed=2)
    assert world.days == HISTORY_DAYS + DAYS + 3
    assert second.events.event_time.min() >= first.events.event_time.max().normalize()
    assert not set(second.events.event_id) & set(first.events.event_id)
    sent = second.events[second.events.text.fillna("").str.startswith("retention:")]
    assert (sent.event_time.dt.normalize() == pd.Timestamp("2025-07-06")).all()
    effects = pd.read_csv(folder / "demo_truth/action_effects.csv")
    assert sorted(effects.decision_date.unique()) == ["2025-06-30", "2025-07-05"]
    assert len(list((folder / "landing/events").iterdir())) == HISTORY_DAYS + DAYS + 3
    assert World.load(folder / WORLD_FILE).days == world.days


def test_an_empty_plan_just_continues(out):
    world = World.load(out / WORLD_FILE)
    empty = pd.DataFrame(columns=["user_id", "arm", "action"])
    result = continue_world(world, 1, empty)
    assert isinstance(result, CampaignResult) and len(result.effects) == 0
    assert not result.events.text.fillna("").str.startswith("retention:").any()


def test_bad_plans_are_refused(out, plan):
    world = World.load(out / WORLD_FILE)
    for broken in (plan.assign(arm="maybe"), plan.assign(action="carrier_pigeon"),
                   plan.assign(user_id="u999999"), pd.concat([plan, plan.head(1)])):  # fmt: skip
        with pytest.raises(ValueError):
            continue_world(world, 1, broken, reps=2)
    assert world.days == HISTORY_DAYS  # nothing was simulated


def test_cli_reads_the_published_plan_of_the_decision_date(out, plan, tmp_path, capsys):
    shutil.copytree(out, tmp_path, dirs_exist_ok=True)
    assert decision_date(World.load(tmp_path / WORLD_FILE)).date() == END
    older = plan.head(10).assign(decision_date=END - dt.timedelta(days=1))
    table = pd.concat([plan.assign(decision_date=END), older], ignore_index=True)
    with duckdb.connect(str(tmp_path / "serving.duckdb")) as con:
        con.register("t", table)
        con.execute("create table action_assignments as select * from t")
    main(["--out", str(tmp_path), "--days", "2", "--reps", "2", "--horizon", "3"])
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith(f"decision_date={END} plan={len(plan)} ")
    effects = pd.read_csv(tmp_path / "demo_truth/action_effects.csv")
    assert effects.users[effects.action == "all"].item() == len(plan)
    assert (effects.outcome_end == "2025-07-03").all()
    assert len(list((tmp_path / "landing/events").iterdir())) == HISTORY_DAYS + 2
