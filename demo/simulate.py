"""Day-by-day simulation: who is active, what they do, and who churns because of it.

The loop runs over days only; each day works on whole arrays of users. Bad experiences are
kept as exponentially decaying counts, so the churn hazard reacts to the recent past and
fades again, which is what lets a point-in-time model learn it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demo import behaviour, shop
from demo.behaviour import Ctx
from demo.events import EventLog
from demo.population import DAY, Population

DRIVERS = np.array(["page_load", "service", "delivery", "complaint", "price", "natural",
                    "never_converted"])  # fmt: skip
NEVER_CONVERTED = 6
# Per bad-experience kind (page, service, delivery, complaint): the most daily hazard it can
# add and the count at which it is ~63% of that. Sized so each kind roughly doubles churn.
_BAD_MAX = np.array([0.015, 0.050, 0.040, 0.060])[:, None]
_BAD_SCALE = np.array([6.0, 1.0, 1.0, 1.0])[:, None]
_BAD_DECAY = 0.8  # per day: a bad week is mostly forgotten a fortnight later
_COUPON_DECAY, _MSG_DECAY = 0.93, 0.85
_RETURN_P = 0.001  # daily chance a churned user comes back
_VANISH_P = 0.75  # new users without an order in their first 7 days
_COUPON_DAYS = 14
_BREAK_P = 0.03  # daily chance an active user takes a break of 1-8 weeks
_BURST = 0.4  # gamma shape of day-to-day activity swings (lower = burstier)


@dataclass
class Simulation:
    events: dict[str, np.ndarray]
    churn_day: np.ndarray  # first day without the user, -1 if they never churned
    driver: np.ndarray  # code into DRIVERS, -1 if never churned
    return_day: np.ndarray  # day they came back, -1 if they did not
    item_category: np.ndarray


class _State:
    def __init__(self, n: int) -> None:
        self.active = np.zeros(n, bool)
        self.ordered = np.zeros(n, bool)
        self.bad = np.zeros((4, n))  # decayed counts: slow pages, slow replies, late, complaints
        self.coupon = np.zeros(n)  # decayed coupons received or used
        self.msg = np.zeros(n)  # decayed messages opened
        self.coupon_until = np.full(n, -1)
        self.late_ring = np.zeros((4, n), np.int16)  # late parcels arriving on day d at [d % 4]
        self.away_until = np.full(n, -1)  # last day of a break
        self.strain = np.zeros(n)  # yesterday's experience hazard: unhappy users visit less
        self.churn_day = np.full(n, -1)
        self.driver = np.full(n, -1, np.int8)
        self.return_day = np.full(n, -1)


def simulate(pop: Population, n_days: int, first_weekday: int, rng) -> Simulation:
    ctx = Ctx(pop, rng, EventLog())
    st = _State(pop.size)
    for d in range(n_days):
        ctx.day = d
        weekend = (first_weekday + d) % 7 >= 5
        _day(ctx, st, d, weekend, last=d == n_days - 1)
    return Simulation(ctx.log.arrays(), st.churn_day, st.driver, st.return_day, ctx.item_category)


def _day(ctx: Ctx, st: _State, d: int, weekend: bool, last: bool) -> None:
    pop = ctx.pop
    st.bad *= _BAD_DECAY
    st.coupon *= _COUPON_DECAY
    st.msg *= _MSG_DECAY
    joined = _admit(ctx, st, d)
    users = np.flatnonzero(st.active)
    late_today = st.late_ring[d % 4, users].astype(float)
    st.late_ring[d % 4] = 0
    st.bad[2, users] += late_today
    present = _present(ctx, st, users, joined, d)
    here = users[present]
    n_sess, order_p, coupon_ok = _intent(ctx, st, here, joined, d, weekend)
    earliest = np.where(pop.signup_day[here] == d, pop.signup_sec[here], d * DAY)
    slow_loads, buys = behaviour.visits(ctx, here, n_sess, earliest, order_p)
    st.ordered[buys[0]] = True
    redeemed, (late_user, late_offset) = shop.orders(ctx, buys, coupon_ok)
    st.coupon_until[redeemed] = -1
    st.coupon[redeemed] += 1
    np.add.at(st.late_ring, ((d + late_offset) % 4, late_user), 1)
    slow_reply, complained = shop.service(ctx, here, late_today[present], slow_loads)
    given, opened = shop.marketing(ctx, users, present)
    st.coupon_until[given] = d + _COUPON_DAYS
    st.coupon[given] += 1
    st.msg[opened] += 1
    st.bad[0, here] += slow_loads
    st.bad[1, here] += slow_reply
    st.bad[3, here] += complained
    if not last:  # a churn decided on the last day would only show after the window
        _churn(ctx, st, users, d)


def _present(ctx: Ctx, st: _State, users, joined, d: int) -> np.ndarray:
    """Mask of users not on a break. Breaks (holidays, busy weeks) look like churn from the
    outside but end on their own, which keeps "no events lately" from being a sure sign."""
    rng = ctx.rng
    start = (st.away_until[users] < d) & ~joined[users] & (rng.random(len(users)) < _BREAK_P)
    st.away_until[users[start]] = d + rng.integers(7, 60, start.sum())
    return st.away_until[users] < d


def _intent(ctx: Ctx, st: _State, users, joined, d: int, weekend: bool):
    """Sessions today and order chance per session: bursty, higher in the first week,
    lower when recent experiences were bad, higher with a coupon for price-sensitive users."""
    pop, rng = ctx.pop, ctx.rng
    new = (pop.signup_day[users] >= d - 6) & (pop.signup_day[users] >= 0)
    mood = rng.gamma(_BURST, 1 / _BURST, len(users))  # same mean, more quiet days
    lam = pop.engagement[users] * mood * (1.2 if weekend else 1.0) * np.where(new, 1.5, 1.0)
    n_sess = rng.poisson(lam / (1 + 40 * st.strain[users]))
    n_sess = np.where(joined[users], np.maximum(n_sess, 1), n_sess)
    coupon_ok = st.coupon_until >= d
    boost = 1 + 1.2 * pop.price_sensitivity[users] * coupon_ok[users]
    order_p = np.minimum(0.6, 0.07 * pop.value[users] * np.where(new, 1.8, 1.0) * boost)
    return n_sess, order_p, coupon_ok


def _admit(ctx: Ctx, st: _State, d: int) -> np.ndarray:
    """Activate today's signups (and everyone who existed before day 0) and the returners."""
    sd = ctx.pop.signup_day
    joined = (sd == d) | ((sd < 0) & (d == 0))
    gone = (st.churn_day >= 0) & (st.churn_day < d) & (st.return_day < 0)
    back = gone & (ctx.rng.random(len(sd)) < _RETURN_P)
    st.return_day[back] = d
    st.bad[:, back] = 0  # a fresh start: old grievances and breaks are over
    st.away_until[back] = -1
    new = np.flatnonzero(sd == d)
    ctx.log.add("signup", new, ctx.pop.signup_sec[new], ctx.pop.channel[new])
    st.active |= joined | back
    return joined | back


def _churn(ctx: Ctx, st: _State, users: np.ndarray, d: int) -> None:
    """Draw today's churners; their driver is the largest contribution to their hazard."""
    pop, rng = ctx.pop, ctx.rng
    bad = _BAD_MAX * (1 - np.exp(-st.bad[:, users] / _BAD_SCALE))
    ps = pop.price_sensitivity[users]
    price = 0.006 * ps**2 * np.exp(-(1.5 * st.coupon[users] + 0.7 * st.msg[users]))
    natural = 0.0004 + 0.0004 / (0.3 + pop.engagement[users])
    parts = np.vstack([bad, price, natural])
    hazard = parts.sum(axis=0)
    st.strain[users] = bad.sum(axis=0)
    came_back = st.return_day[users] >= 0  # returners stay for the rest of the window
    churn = (rng.random(len(users)) < -np.expm1(-hazard)) & ~came_back
    driver = parts.argmax(axis=0).astype(np.int8)
    sd = pop.signup_day[users]
    vanish = (sd >= 0) & (d == sd + 6) & ~st.ordered[users] & ~came_back
    vanish &= rng.random(len(users)) < _VANISH_P
    driver[vanish] = NEVER_CONVERTED
    churn |= vanish
    out = users[churn]
    st.active[out] = False
    st.churn_day[out] = d + 1
    st.driver[out] = driver[churn]
    st.late_ring[:, out] = 0
