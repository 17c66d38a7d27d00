"""A streaming subscription: members pay monthly, watch, and decide now and then not to renew.

Billing: `subscribe` starts a 30-day paid period, `renew` (at the period boundary, same time
of day) starts the next one, both with the price paid as `amount`. Churn is a `cancel`: the
member decides not to renew, on a day inside the period they have paid for, and keeps
watching until that period ends (access_end_date); after it they are gone. A few come back
later with a new `subscribe`, and stay for the rest of the window.

Why members cancel, each visible in the log beforehand:
- price: price-sensitive members reconsider in the days before a renewal, the more so the
  more they pay, and more again once the price rise announced a third into the window makes
  their next renewal dearer (visible as a higher amount on renew events);
- playback errors: bad devices and buggy spells give runs of playback_error events (and
  support tickets); a decaying count, convex in the hazard, as in the community world;
- low usage: the member runs out of things to watch, their plays thin out over weeks;
- natural.
The driver is the largest part of the cancel hazard on the day they cancel.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from demo.generate import DemoData
from demo.population import DAY
from demo.worlds import common

TYPES = np.array(["subscribe", "renew", "cancel", "app_open", "play", "browse", "search", "rate",
                  "playback_error", "support_ticket"])  # fmt: skip
C = {name: np.int8(code) for code, name in enumerate(TYPES)}
DRIVERS = np.array(["price", "playback_errors", "low_usage", "natural"])
FAMILY = {"price": "value_or_price", "playback_errors": "experience",
          "low_usage": "falling_engagement", "natural": "other"}  # fmt: skip
PERIOD = 30  # days per paid period
PLANS = np.array(["basic", "standard", "premium"])
_PLAN_P = [0.35, 0.45, 0.20]
_PRICE = np.array([7.99, 12.99, 17.99])
_RAISED = np.array([7.99, 14.99, 19.99])  # from the rise day on (renewals and new subscribers)
_NEAR_RENEWAL = 5  # days before a renewal in which price-sensitive members reconsider
_PRICE_MAX = 0.02  # daily hazard then, for the most sensitive member at 10.00 a month
_LULL_P = 0.0024  # daily chance a member runs out of things to watch, for 2-9 weeks
_LULL_RATE = (0.92, 0.97)  # daily factor on their interest during a lull
_RECOVER = 0.05
_USAGE_MAX = 0.03  # hazard at interest 0 (it grows with the squared fall)
_BUG_P = 0.003  # daily chance of a buggy spell (a player version, a bad router): 2-9 days
_BUG_ERRORS = 0.8  # extra playback errors per play during one
_ERR_DECAY, _ERR_MAX, _ERR_HALF = 0.8, 0.05, 3.0
_TICKET_P = 0.3  # chance a session with playback errors ends in a support ticket
_RESUBSCRIBE_P = 0.001  # daily chance a lapsed member subscribes again
_BURST = 0.5


class _Members:
    """Hidden traits, drawn up front from the one generator."""

    def __init__(self, n: int, n_days: int, rng: np.random.Generator) -> None:
        self.signup_sec = common.signup_seconds(n, n_days, rng)
        self.signup_day = self.signup_sec // DAY
        self.plan = rng.choice(3, n, p=_PLAN_P).astype(np.int8)
        self.engagement = np.clip(rng.lognormal(np.log(0.4), 0.7, n), 0.05, 4.0)  # sessions/day
        self.price_sensitivity = rng.beta(2.0, 3.0, n)
        self.error_rate = np.where(rng.random(n) < 0.15, 0.10, 0.01) * rng.lognormal(0, 0.3, n)
        self.reply_seconds = np.where(rng.random(n) < 0.2, 7200.0, 900.0)  # support's first reply


class _State:
    def __init__(self, n: int) -> None:
        self.access = np.zeros(n, bool)  # has a paid period running
        self.cancelled = np.zeros(n, bool)  # ... that will not be renewed
        self.period_end = np.full(n, -1)  # day the paid period ends (renewal or access end)
        self.bill_sec = np.zeros(n, np.int64)  # time of day of their billing
        self.paid = np.zeros(n)  # price of the running period
        self.spell_start = np.full(n, -1)
        self.interest = np.ones(n)
        self.lull_until = np.full(n, -1)
        self.lull_rate = np.ones(n)
        self.bug_until = np.full(n, -1)
        self.errors = np.zeros(n)
        self.strain = np.zeros(n)
        self.churn_day = np.full(n, -1)  # day of the cancel
        self.access_end = np.full(n, -1)
        self.driver = np.full(n, -1, np.int8)
        self.return_day = np.full(n, -1)
        self.spells: list[tuple[np.ndarray, ...]] = []  # ended: (user, start, end, price)


def generate(n_users: int, n_days: int, end_date: dt.date, seed: int) -> DemoData:
    """Simulate n_days ending on end_date (inclusive, UTC); the seed fixes everything."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(end_date) - pd.Timedelta(days=n_days - 1)
    pop = _Members(n_users, n_days, rng)
    st = _State(n_users)
    log = common.Log(("session", "amount", "response_seconds"))
    next_session = [1]
    rise_day = n_days // 3
    for d in range(n_days):
        weekend = (start.day_of_week + d) % 7 >= 5
        prices = _RAISED if d >= rise_day else _PRICE
        _day(pop, st, log, rng, d, weekend, prices, next_session)
    ids = common.user_ids(n_users)
    events = common.to_frame(log.arrays(), TYPES, ids, start)
    users = pd.DataFrame({"user_id": ids,
                          "signup_time": start + pd.to_timedelta(pop.signup_sec, unit="s"),
                          "plan": PLANS[pop.plan]})  # fmt: skip
    truth = _truth(pop, st, start, ids)
    return DemoData(events, users, truth, subscriptions=_spells(pop, st, start, ids))


def _truth(pop: _Members, st: _State, start, ids) -> pd.DataFrame:
    """churn_date is the day of the cancel, access_end_date the first day without access (it
    may lie after the history's end); a member who subscribes again keeps both and gets
    returned_date, the day of their new subscribe."""
    driver = common.labels(DRIVERS, st.driver)
    return pd.DataFrame({
        "user_id": ids,
        "signup_date": common.dates(start, pop.signup_day),
        "churn_date": common.dates(start, st.churn_day),
        "churn_driver": driver,
        "driver_family": driver.map(FAMILY),
        "access_end_date": common.dates(start, st.access_end),
        "returned_date": common.dates(start, st.return_day),
        "plan": PLANS[pop.plan],
        "engagement": pop.engagement.round(4),
        "price_sensitivity": pop.price_sensitivity.round(4),
        "error_rate": pop.error_rate.round(4),
    })  # fmt: skip


def _spells(pop: _Members, st: _State, start, ids) -> pd.DataFrame:
    """One row per subscription spell; end is the first day without access, empty while the
    spell is still running at the end of the history; price is the last one paid."""
    live = np.flatnonzero(st.access)
    ended = [np.concatenate(parts) for parts in zip(*st.spells)] if st.spells else [[]] * 4
    user = np.concatenate([ended[0], live]).astype(np.int64)
    first = np.concatenate([ended[1], st.spell_start[live]]).astype(np.int64)
    end = np.concatenate([ended[2], np.full(len(live), -1)]).astype(np.int64)
    price = np.concatenate([ended[3], st.paid[live]])
    order = np.lexsort((first, user))
    return pd.DataFrame({
        "user_id": ids[user[order]],
        "start": common.dates(start, first[order]),
        "end": common.dates(start, end[order]),
        "plan": PLANS[pop.plan[user[order]]],
        "price": price[order].round(2),
    })  # fmt: skip


def _day(pop, st: _State, log: common.Log, rng, d: int, weekend: bool, prices: np.ndarray,
         next_session: list[int]) -> None:  # fmt: skip
    st.errors *= _ERR_DECAY
    _billing(pop, st, log, rng, d, prices)
    users = np.flatnonzero(st.access)
    _moods(st, rng, users, d)
    n_err = _sessions(pop, st, log, rng, users, d, weekend, next_session)
    st.errors[users] += n_err
    _cancel(pop, st, log, rng, users, d, prices)


def _billing(pop, st: _State, log: common.Log, rng, d: int, prices: np.ndarray) -> None:
    """Period boundaries (renew, or access ends after a cancel), new and returning subscribers."""
    due = np.flatnonzero(st.access & (st.period_end == d))
    ends = due[st.cancelled[due]]
    st.spells.append((ends, st.spell_start[ends], np.full(len(ends), d), st.paid[ends]))
    st.access[ends] = False
    renew = due[~st.cancelled[due]]
    st.paid[renew] = prices[pop.plan[renew]]
    st.period_end[renew] = d + PERIOD
    log.add(C["renew"], renew, d * DAY + st.bill_sec[renew], amount=st.paid[renew])

    sd = pop.signup_day
    if d == 0:  # members from before the window: mid-period, billed on their signup's rhythm
        old = np.flatnonzero(sd < 0)
        st.access[old], st.spell_start[old] = True, sd[old]
        st.bill_sec[old] = pop.signup_sec[old] % DAY
        st.period_end[old] = sd[old] + PERIOD * -(sd[old] // PERIOD)  # next boundary >= 0
        st.paid[old] = _PRICE[pop.plan[old]]
        renew0 = old[st.period_end[old] == 0]
        st.period_end[renew0] = PERIOD
        log.add(C["renew"], renew0, st.bill_sec[renew0], amount=st.paid[renew0])
    new = np.flatnonzero(sd == d)
    lapsed = np.flatnonzero((st.access_end >= 0) & (st.access_end <= d) & (st.return_day < 0))
    back = lapsed[rng.random(len(lapsed)) < _RESUBSCRIBE_P]
    st.return_day[back] = d
    t_back = d * DAY + rng.integers(8 * 3600, 23 * 3600, len(back))
    t = np.concatenate([pop.signup_sec[new], t_back])
    users = np.concatenate([new, back])
    st.access[users], st.cancelled[users] = True, False
    st.spell_start[users], st.period_end[users] = d, d + PERIOD
    st.bill_sec[users] = t % DAY
    st.paid[users] = prices[pop.plan[users]]
    st.interest[back], st.lull_until[back], st.errors[back] = 1.0, -1, 0.0  # a fresh start
    log.add(C["subscribe"], users, t, amount=st.paid[users])


def _moods(st: _State, rng, users: np.ndarray, d: int) -> None:
    """Start and run lulls (nothing left to watch) and buggy spells."""
    n = len(users)
    lull = users[(st.lull_until[users] < d) & (rng.random(n) < _LULL_P)]
    st.lull_until[lull] = d + rng.integers(14, 64, len(lull))
    st.lull_rate[lull] = rng.uniform(*_LULL_RATE, len(lull))
    level = st.interest[users]
    st.interest[users] = np.where(st.lull_until[users] >= d, level * st.lull_rate[users],
                                  level + _RECOVER * (1 - level))  # fmt: skip
    bug = users[(st.bug_until[users] < d) & (rng.random(n) < _BUG_P)]
    st.bug_until[bug] = d + rng.integers(1, 9, len(bug))


def _sessions(pop, st: _State, log: common.Log, rng, users, d: int, weekend: bool,
              next_session: list[int]) -> np.ndarray:  # fmt: skip
    """The day's sessions: app_open, then plays, browsing, searches, ratings and playback
    errors in a random order; a session with errors may end in a support ticket. Returns
    playback errors per user."""
    n = len(users)
    mood = rng.gamma(_BURST, 1 / _BURST, n)
    interest = st.interest[users]
    lam = pop.engagement[users] * mood * (1.3 if weekend else 1.0) * (0.25 + 0.75 * interest)
    n_sess = rng.poisson(lam / (1 + 15 * st.strain[users]))
    sess_user = np.repeat(np.arange(n), n_sess)
    user = users[sess_user]
    k = len(user)
    sid = np.arange(next_session[0], next_session[0] + k, dtype=np.int64)
    next_session[0] += k
    earliest = np.where(st.spell_start[user] == d, d * DAY + st.bill_sec[user], d * DAY)
    start = common.session_starts(rng, d, earliest)
    log.add(C["app_open"], user, start, session=sid)

    plays = rng.poisson(0.3 + 1.4 * interest[sess_user])
    err_rate = pop.error_rate[user] + _BUG_ERRORS * (st.bug_until[user] >= d)
    counts = {
        "play": plays,
        "browse": rng.poisson(0.8, k),
        "search": rng.poisson(0.4, k),
        "rate": (rng.random(k) < 0.12 * interest[sess_user]).astype(np.int64),
        "playback_error": rng.poisson(err_rate * (plays + 0.3)),
    }
    owner = np.concatenate([np.repeat(np.arange(k), c) for c in counts.values()])
    kind = np.concatenate([np.full(int(c.sum()), C[name]) for name, c in counts.items()])
    owner, kind = common.in_session_order(rng, owner, kind)
    t = common.follow(rng, start, owner, 90.0, d)
    log.add(kind, user[owner], t, session=sid[owner])
    ticket = (counts["playback_error"] > 0) & (rng.random(k) < _TICKET_P)
    ticket |= rng.random(k) < 0.003  # billing and account questions
    per_session = np.bincount(owner, minlength=k)
    last = np.cumsum(per_session) - 1  # each session's last event (owner is ascending)
    t_end = np.where(per_session > 0, np.append(t, 0)[np.maximum(last, 0)], start)[ticket]
    reply = pop.reply_seconds[user[ticket]] * rng.lognormal(0, 0.5, int(ticket.sum()))
    log.add(C["support_ticket"], user[ticket], np.minimum(t_end + 30, d * DAY + DAY - 1),
            session=sid[ticket], response_seconds=reply.astype(np.int32))  # fmt: skip
    return np.bincount(sess_user, weights=counts["playback_error"], minlength=n)


def _cancel(pop, st: _State, log: common.Log, rng, users, d: int, prices: np.ndarray) -> None:
    """Draw today's cancels among members still set to renew (a returner stays for good)."""
    users = users[~st.cancelled[users] & (st.return_day[users] < 0)]
    near = (st.period_end[users] - d) <= _NEAR_RENEWAL
    dearer = np.where(prices[pop.plan[users]] > st.paid[users], 2.0, 1.0)  # the rise is ahead
    ps = pop.price_sensitivity[users]
    price = near * _PRICE_MAX * ps**2 * (st.paid[users] / 10.0) * dearer
    e2 = st.errors[users] ** 2
    errors = _ERR_MAX * e2 / (e2 + _ERR_HALF**2)
    usage = _USAGE_MAX * (1 - st.interest[users]) ** 2
    natural = 0.0004 + 0.0003 / (0.3 + pop.engagement[users])
    parts = np.vstack([price, errors, usage, natural])
    st.strain[users] = errors
    churn = rng.random(len(users)) < -np.expm1(-parts.sum(axis=0))
    out = users[churn]
    st.cancelled[out] = True
    st.churn_day[out] = d
    st.access_end[out] = st.period_end[out]
    st.driver[out] = parts[:, churn].argmax(axis=0)
    # Any time today, but after today's subscribe or renew.
    t = d * DAY + rng.integers(6 * 3600, DAY - 60, len(out))
    billed = d * DAY + st.bill_sec[out]
    billed_today = (st.spell_start[out] == d) | (st.period_end[out] == d + PERIOD)
    t = np.where(billed_today & (t <= billed), np.minimum(billed + 600, d * DAY + DAY - 1), t)
    log.add(C["cancel"], out, t)
