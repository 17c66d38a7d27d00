"""A community app: people post, comment, like, message and join groups, under the app's own
event names (mapped to the pipeline's by mappings/examples/community_app.yml).

Three things make members leave, each leaving a trace in the log before it does:
- social decline: a member's circle drifts away for a few weeks, so their likes, comments and
  messages thin out day by day; the further they have fallen, the likelier they leave;
- errors: a buggy app version or a bad device produces runs of app_error events; like the
  shop's bad experiences these are decaying counts, so a run raises the hazard and then fades;
- muted groups: a group turns hostile for a while, the member mutes and leaves groups
  (mute_group / leave_group), and the lost trust raises the hazard, fading more slowly.
Plus natural churn. A member's driver is the largest part of their hazard on the day they go.
Both the errors and the trust hazard are convex in their count: a single error or a single
mute changes little, a run of them a lot, as for a real member.

A churned member writes nothing more; a small daily chance brings them back for good.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from demo.generate import DemoData
from demo.population import DAY
from demo.worlds import common

TYPES = np.array(["app_open", "post", "comment", "like", "share", "message", "join_group",
                  "leave_group", "mute_group", "app_error"])  # fmt: skip
C = {name: np.int8(code) for code, name in enumerate(TYPES)}
CHANNELS = np.array(["app", "web"])
DRIVERS = np.array(["social_decline", "errors", "muted_groups", "natural"])
FAMILY = {"social_decline": "falling_engagement", "errors": "experience",
          "muted_groups": "trust", "natural": "other"}  # fmt: skip

# Social actions in a session and their mix (a like is cheap, a post is not).
_SOCIAL = np.array([C["like"], C["comment"], C["message"], C["post"], C["share"]])
_SOCIAL_P = [0.45, 0.22, 0.18, 0.08, 0.07]
_DRIFT_P = 0.0022  # daily chance a member's circle starts drifting away (for 2-9 weeks)
_DRIFT_RATE = (0.93, 0.975)  # daily factor on their social level while it drifts
_RECOVER = 0.04  # share of the gap to their normal level regained per day after a drift
_BUG_P = 0.0035  # daily chance of a buggy spell (new app version, broken phone): 2-10 days
_BUG_ERRORS = 1.5  # app errors per session during a buggy spell
_HOSTILE_P = 0.0012  # daily chance a group of theirs turns hostile for 3-20 days
_ERR_DECAY, _TRUST_DECAY = 0.8, 0.92  # per day: errors are forgotten faster than distrust
_ERR_MAX, _ERR_HALF = 0.06, 3.0  # hazard = max * n^2 / (n^2 + half^2) for a decayed count n
_TRUST_MAX, _TRUST_HALF = 0.04, 2.0
_SOCIAL_MAX = 0.035  # hazard at a social level of 0 (it grows with the squared fall)
_BREAK_P = 0.008  # daily chance of a quiet break of 1-6 weeks: no events, but not gone
_RETURN_P = 0.001
_BURST = 0.5  # gamma shape of day-to-day activity swings


class _Members:
    """Hidden traits, drawn up front from the one generator."""

    def __init__(self, n: int, n_days: int, rng: np.random.Generator) -> None:
        self.signup_sec = common.signup_seconds(n, n_days, rng)
        self.signup_day = self.signup_sec // DAY
        self.channel = (rng.random(n) < 0.3).astype(np.int8)  # 0 app, 1 web
        self.engagement = np.clip(rng.lognormal(np.log(0.5), 0.8, n), 0.05, 4.0)  # sessions/day
        self.sociability = np.clip(rng.lognormal(np.log(2.5), 0.5, n), 0.3, 12.0)  # per session
        # Most devices rarely fail; an unlucky share (old phones, flaky networks) often does.
        self.error_rate = np.where(rng.random(n) < 0.15, 0.12, 0.02) * rng.lognormal(0, 0.3, n)


class _State:
    def __init__(self, n: int) -> None:
        self.active = np.zeros(n, bool)
        self.social = np.ones(n)  # share of their usual interaction left
        self.drift_until = np.full(n, -1)  # last day of a drift
        self.drift_rate = np.ones(n)
        self.bug_until = np.full(n, -1)
        self.hostile_until = np.full(n, -1)
        self.errors = np.zeros(n)  # decayed app_error count
        self.trust = np.zeros(n)  # decayed mutes and leaves
        self.strain = np.zeros(n)  # yesterday's errors + trust hazard: unhappy members open less
        self.away_until = np.full(n, -1)
        self.churn_day = np.full(n, -1)
        self.driver = np.full(n, -1, np.int8)
        self.return_day = np.full(n, -1)


def generate(n_users: int, n_days: int, end_date: dt.date, seed: int) -> DemoData:
    """Simulate n_days ending on end_date (inclusive, UTC); the seed fixes everything."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(end_date) - pd.Timedelta(days=n_days - 1)
    pop = _Members(n_users, n_days, rng)
    st = _State(n_users)
    log = common.Log(("session", "channel"))
    next_session = [1]
    for d in range(n_days):
        weekend = (start.day_of_week + d) % 7 >= 5
        _day(pop, st, log, rng, d, weekend, next_session)
    ids = common.user_ids(n_users)
    events = common.to_frame(log.arrays(), TYPES, ids, start, CHANNELS)
    users = pd.DataFrame({"user_id": ids,
                          "signup_time": start + pd.to_timedelta(pop.signup_sec, unit="s"),
                          "channel": CHANNELS[pop.channel]})  # fmt: skip
    return DemoData(events, users, _truth(pop, st, start, ids, n_days))


def _truth(pop: _Members, st: _State, start, ids, n_days: int) -> pd.DataFrame:
    """churn_date is the first day without the member (a churn drawn on the last day only
    shows the next day, so it is not counted); returners keep it and get returned_date."""
    seen = (st.churn_day >= 0) & (st.churn_day < n_days)
    churn_day = np.where(seen, st.churn_day, -1)
    driver = common.labels(DRIVERS, np.where(seen, st.driver, -1))
    return pd.DataFrame({
        "user_id": ids,
        "signup_date": common.dates(start, pop.signup_day),
        "churn_date": common.dates(start, churn_day),
        "churn_driver": driver,
        "driver_family": driver.map(FAMILY),
        "returned_date": common.dates(start, np.where(seen, st.return_day, -1)),
        "engagement": pop.engagement.round(4),
        "sociability": pop.sociability.round(4),
        "error_rate": pop.error_rate.round(4),
    })  # fmt: skip


def _day(pop: _Members, st: _State, log: common.Log, rng, d: int, weekend: bool,
         next_session: list[int]) -> None:  # fmt: skip
    st.errors *= _ERR_DECAY
    st.trust *= _TRUST_DECAY
    joined = _admit(pop, st, rng, d)
    users = np.flatnonzero(st.active)
    _moods(st, rng, users, d)
    here = users[_present(st, rng, users, joined, d)]
    n_err, n_trust = _sessions(pop, st, log, rng, here, joined[here], d, weekend, next_session)
    st.errors[here] += n_err
    st.trust[here] += n_trust
    _churn(pop, st, rng, users, d)


def _admit(pop: _Members, st: _State, rng, d: int) -> np.ndarray:
    """Today's signups (and everyone who existed before day 0) and the returners."""
    sd = pop.signup_day
    joined = (sd == d) | ((sd < 0) & (d == 0))
    gone = (st.churn_day >= 0) & (st.churn_day < d) & (st.return_day < 0)
    back = gone & (rng.random(len(sd)) < _RETURN_P)
    st.return_day[back] = d
    st.social[back], st.drift_until[back] = 1.0, -1  # a fresh start
    st.errors[back], st.trust[back], st.away_until[back] = 0.0, 0.0, -1
    st.active |= joined | back
    return joined | back


def _moods(st: _State, rng, users: np.ndarray, d: int) -> None:
    """Start and run drifts, buggy spells and hostile groups."""
    n = len(users)
    calm = st.drift_until[users] < d
    drift = users[calm & (rng.random(n) < _DRIFT_P)]
    st.drift_until[drift] = d + rng.integers(14, 64, len(drift))
    st.drift_rate[drift] = rng.uniform(*_DRIFT_RATE, len(drift))
    drifting = st.drift_until[users] >= d
    level = st.social[users]
    st.social[users] = np.where(drifting, level * st.drift_rate[users],
                                level + _RECOVER * (1 - level))  # fmt: skip
    bug = users[(st.bug_until[users] < d) & (rng.random(n) < _BUG_P)]
    st.bug_until[bug] = d + rng.integers(1, 10, len(bug))
    hostile = users[(st.hostile_until[users] < d) & (rng.random(n) < _HOSTILE_P)]
    st.hostile_until[hostile] = d + rng.integers(2, 20, len(hostile))


def _present(st: _State, rng, users, joined, d: int) -> np.ndarray:
    """Members not on a break: breaks look like churn from outside but end on their own."""
    begin = (st.away_until[users] < d) & ~joined[users] & (rng.random(len(users)) < _BREAK_P)
    st.away_until[users[begin]] = d + rng.integers(7, 43, begin.sum())
    return st.away_until[users] < d


def _sessions(pop, st, log, rng, users, new_today, d: int, weekend: bool, next_session):
    """The day's sessions of `users`: app_open, then social actions, group moves and errors
    in a random order a few seconds to minutes apart. Returns errors and mutes + leaves per
    user."""
    n = len(users)
    fresh = (pop.signup_day[users] >= d - 6) & (pop.signup_day[users] >= 0)
    mood = rng.gamma(_BURST, 1 / _BURST, n)
    lam = pop.engagement[users] * mood * (1.15 if weekend else 1.0) * np.where(fresh, 1.5, 1.0)
    lam *= (0.35 + 0.65 * st.social[users]) / (1 + 25 * st.strain[users])
    n_sess = rng.poisson(lam)
    n_sess = np.where(new_today, np.maximum(n_sess, 1), n_sess)
    sess_user = np.repeat(np.arange(n), n_sess)  # index into users
    user = users[sess_user]
    k = len(user)
    sid = np.arange(next_session[0], next_session[0] + k, dtype=np.int64)
    next_session[0] += k
    on_main = rng.random(k) < 0.85
    chan = np.where(on_main, pop.channel[user], 1 - pop.channel[user]).astype(np.int8)
    earliest = np.where(pop.signup_day[user] == d, pop.signup_sec[user], d * DAY)
    start = common.session_starts(rng, d, earliest)
    log.add(C["app_open"], user, start, session=sid, channel=chan)

    bug = st.bug_until[user] >= d
    hostile = st.hostile_until[user] >= d
    fresh_s = fresh[sess_user]
    counts = {
        "social": rng.poisson(pop.sociability[user] * st.social[user]),
        "app_error": rng.poisson(pop.error_rate[user] + _BUG_ERRORS * bug),
        "mute_group": rng.random(k) < 0.01 + 0.45 * hostile,
        "leave_group": rng.random(k) < 0.006 + 0.15 * hostile,
        "join_group": rng.random(k) < 0.03 + 0.25 * fresh_s,
    }
    owner = np.concatenate([np.repeat(np.arange(k), c) for c in counts.values()])
    kind = np.concatenate([
        rng.choice(_SOCIAL, counts["social"].sum(), p=_SOCIAL_P),
        *(np.full(int(np.sum(counts[name])), C[name]) for name in list(counts)[1:]),
    ])  # fmt: skip
    owner, kind = common.in_session_order(rng, owner, kind)
    t = common.follow(rng, start, owner, 40.0, d)
    log.add(kind, user[owner], t, session=sid[owner], channel=chan[owner])
    per_user = lambda c: np.bincount(sess_user, weights=c, minlength=n)  # noqa: E731
    trust_hits = counts["mute_group"] + 1.5 * counts["leave_group"]
    return per_user(counts["app_error"]), per_user(trust_hits)


def _churn(pop: _Members, st: _State, rng, users: np.ndarray, d: int) -> None:
    """Draw today's churners; their driver is the largest part of their hazard."""
    social = _SOCIAL_MAX * (1 - st.social[users]) ** 2
    e2, t2 = st.errors[users] ** 2, st.trust[users] ** 2
    errors = _ERR_MAX * e2 / (e2 + _ERR_HALF**2)
    trust = _TRUST_MAX * t2 / (t2 + _TRUST_HALF**2)
    fresh = (pop.signup_day[users] >= d - 13) & (pop.signup_day[users] >= 0)
    natural = (0.0004 + 0.0003 / (0.3 + pop.engagement[users])) * np.where(fresh, 3.0, 1.0)
    parts = np.vstack([social, errors, trust, natural])
    st.strain[users] = errors + trust
    came_back = st.return_day[users] >= 0  # returners stay for the rest of the window
    churn = (rng.random(len(users)) < -np.expm1(-parts.sum(axis=0))) & ~came_back
    out = users[churn]
    st.active[out] = False
    st.churn_day[out] = d + 1
    st.driver[out] = parts[:, churn].argmax(axis=0)
