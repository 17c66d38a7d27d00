"""Day-by-day simulation: who is active, what they do, and who churns because of it.

The loop runs over days only; each day works on whole arrays of users. Bad experiences (slow
pages, slow replies, late parcels, complaints, and totals turned down at checkout by users
who miss a discount) are kept as exponentially decaying counts, so the churn hazard reacts
to the recent past and fades again, which is what lets a point-in-time model learn it. Each
grievance leaves its trace in the log: a price-sensitive user's is the checkouts they abandon.

A World holds everything the loop needs to go on (population, state, random generator, id
counters, follow-ups logged for later days), so a history can be continued later, with
retention actions sent on its first new day (demo/campaign.py), and pickled in between.
"""

from __future__ import annotations

import copy
import pickle
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd

from demo import actions, behaviour, shop
from demo.behaviour import Ctx
from demo.events import CHANNELS, RETENTION_TEXT0, EventLog, T, to_frame
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
# The most daily hazard prices turned down at checkout add (decayed count ~1 is ~63% of it).
_PRICE_MAX = 0.012
_RETURN_P = 0.001  # daily chance a churned user comes back
_VANISH_P = 0.75  # new users without an order in their first 7 days
_COUPON_DAYS = 14
_BREAK_P = 0.03  # daily chance an active user takes a break of 1-8 weeks
_BURST = 0.4  # gamma shape of day-to-day activity swings (lower = burstier)
SENDS = (T["message_sent"], T["coupon_issued"])  # the shop's own, not the user's actions


class _State:
    def __init__(self, n: int) -> None:
        self.active = np.zeros(n, bool)
        self.ordered = np.zeros(n, bool)
        self.bad = np.zeros((4, n))  # decayed counts: slow pages, slow replies, late, complaints
        self.coupon = np.zeros(n)  # decayed coupons received or used
        self.msg = np.zeros(n)  # decayed messages opened
        self.balks = np.zeros(n)  # decayed checkouts abandoned at the price
        self.coupon_until = np.full(n, -1)
        self.late_ring = np.zeros((4, n), np.int16)  # late parcels arriving on day d at [d % 4]
        self.away_until = np.full(n, -1)  # last day of a break
        self.strain = np.zeros(n)  # yesterday's experience hazard: unhappy users visit less
        self.churn_day = np.full(n, -1)
        self.driver = np.full(n, -1, np.int8)
        self.return_day = np.full(n, -1)
        # Set only by retention actions (demo/actions.py); neutral values change nothing.
        self.back_on = np.full(n, -1)  # day a won-back user returns
        self.coupon_power = np.ones(n)  # how much of a full coupon's pull the held one has
        self.spare_coupons = np.zeros(n, np.int8)  # further coupons of a gift pack
        self.visit_boost, self.visit_until = np.ones(n), np.full(n, -1)  # sessions x boost
        self.buy_boost, self.buy_until = np.ones(n), np.full(n, -1)  # order chance x boost

    def take(self, idx: np.ndarray) -> _State:
        """The state of users idx (repeats allowed: each repeat is an independent copy)."""
        part = copy.copy(self)
        for name, value in vars(self).items():
            setattr(part, name, value[..., idx])
        return part


class World:
    """The simulated shop, able to go on: step() simulates the next day.

    Times are seconds since `start` (day 0, UTC midnight); `days` have been simulated so far.
    Follow-ups logged for a day not simulated yet (parcels, refunds and reviews of late
    orders) wait in `pending` and are emitted with the run that reaches their day.
    """

    def __init__(self, pop: Population, start: pd.Timestamp, rng: np.random.Generator) -> None:
        self.pop = pop
        self.start = pd.Timestamp(start).normalize()
        self.ctx = Ctx(pop, rng, EventLog())
        self.st = _State(pop.size)
        self.days = 0
        self.pending = EventLog().arrays()
        self.next_event = 1  # number of the next event id written
        self.channels = list(CHANNELS)  # event channel labels; sends may add sms, phone, ...

    def run(self, n_days: int, sends: actions.Sends | None = None, keep=None) -> dict:
        """Simulate n_days more, `sends` going out on the first of them. Returns the events
        that fall in these days (internal arrays, as EventLog.arrays); keep: type codes to log.
        """
        self.ctx.log = EventLog(keep)
        self.ctx.log.extend(self.pending)
        for _ in range(n_days):
            self.step(sends)
            sends = None
        ev, self.ctx.log = self.ctx.log.arrays(), EventLog()
        later = ev["t"] >= self.days * DAY
        self.pending = {k: v[later] for k, v in ev.items()}
        return {k: v[~later] for k, v in ev.items()}

    def step(self, sends: actions.Sends | None = None) -> None:
        d = self.days
        self.ctx.day = d
        weekend = (self.start.day_of_week + d) % 7 >= 5
        _day(self.ctx, self.st, d, weekend, sends)
        self.days += 1

    def present(self, ev: dict[str, np.ndarray]) -> np.ndarray:
        """Mask of the events of users not gone at the time: a churned user leaves no trace
        until they return."""
        never = np.iinfo(np.int64).max
        gone_from = np.where(self.st.churn_day >= 0, self.st.churn_day * DAY, never)[ev["user"]]
        back_at = np.where(self.st.return_day >= 0, self.st.return_day * DAY, never)[ev["user"]]
        return (ev["t"] < gone_from) | (ev["t"] >= back_at)

    def frame(self, ev: dict[str, np.ndarray]) -> pd.DataFrame:
        """What the shop's export shows of `ev` (numbered on from earlier runs): a churned user
        leaves no trace until they return, but what the shop sends them is still logged."""
        user, t = ev["user"], ev["t"]
        sent = np.isin(ev["type"], SENDS) & (ev["text"] >= RETENTION_TEXT0)
        keep = (t < self.days * DAY) & (self.present(ev) | sent)
        out = to_frame(ev, keep, self.pop.user_ids, self.start, self.ctx.item_category,
                       self.next_event, np.array(self.channels))  # fmt: skip
        self.next_event += len(out)
        return out

    def churned(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(churn_day, driver, return_day) as seen so far: -1 for "not (yet)". A churn drawn on
        the last simulated day only shows from the next one, so it is not counted yet."""
        seen = (self.st.churn_day >= 0) & (self.st.churn_day < self.days)
        return (np.where(seen, self.st.churn_day, -1), np.where(seen, self.st.driver, -1),
                self.st.return_day)  # fmt: skip

    def subset(self, idx: np.ndarray, rng: np.random.Generator) -> World:
        """A world of just users idx (repeats are independent copies) with its own generator.
        Users never interact, so each behaves as in the full world; pending follow-ups are
        left out (they change no one's behaviour)."""
        part = copy.copy(self)
        part.pop = Population(**{f.name: getattr(self.pop, f.name)[idx] for f in fields(self.pop)})
        part.ctx = copy.copy(self.ctx)
        part.ctx.pop, part.ctx.rng, part.ctx.log = part.pop, rng, EventLog()
        part.ctx.next_id = dict(self.ctx.next_id)
        part.st = self.st.take(idx)
        part.pending = EventLog().arrays()
        part.channels = list(self.channels)
        return part

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL))

    @staticmethod
    def load(path: Path) -> World:
        world = pickle.loads(Path(path).read_bytes())
        if not isinstance(world, World):
            raise TypeError(f"{path} does not hold a demo World")
        # A world saved before checkouts were abandoned goes on with none abandoned yet.
        vars(world.st).setdefault("balks", np.zeros(world.pop.size))
        return world


def _day(ctx: Ctx, st: _State, d: int, weekend: bool, sends: actions.Sends | None) -> None:
    pop = ctx.pop
    st.bad *= _BAD_DECAY
    st.coupon *= _COUPON_DECAY
    st.msg *= _MSG_DECAY
    st.balks *= _BAD_DECAY
    joined = _admit(ctx, st, d)
    users = np.flatnonzero(st.active)
    late_today = st.late_ring[d % 4, users].astype(float)
    st.late_ring[d % 4] = 0
    st.bad[2, users] += late_today
    present = _present(ctx, st, users, joined, d)
    here = users[present]
    n_sess, order_p, coupon_ok = _intent(ctx, st, here, joined, d, weekend)
    earliest = np.where(pop.signup_day[here] == d, pop.signup_sec[here], d * DAY)
    slow_loads, balks, buys = behaviour.visits(ctx, here, n_sess, earliest, order_p,
                                               _price_pressure(pop, st, here))
    st.ordered[buys[0]] = True
    redeemed, (late_user, late_offset) = shop.orders(ctx, buys, coupon_ok)
    _use_coupons(st, redeemed)
    st.coupon[redeemed] += 1
    np.add.at(st.late_ring, ((d + late_offset) % 4, late_user), 1)
    slow_reply, complained = shop.service(ctx, here, late_today[present], slow_loads)
    given, opened = shop.marketing(ctx, users, present)
    st.coupon_until[given] = np.maximum(st.coupon_until[given], d + _COUPON_DAYS)
    st.coupon_power[given] = 1.0
    st.coupon[given] += 1
    st.msg[opened] += 1
    st.bad[0, here] += slow_loads
    st.bad[1, here] += slow_reply
    st.bad[3, here] += complained
    st.balks[here] += balks
    if sends is not None:
        actions.apply(ctx, st, sends)
    _churn(ctx, st, users, d)


def _use_coupons(st: _State, redeemed: np.ndarray) -> None:
    """A redemption uses the held coupon, unless a gift pack still has a spare one."""
    users, times = np.unique(redeemed, return_counts=True)
    left = st.spare_coupons[users] - times
    st.spare_coupons[users] = np.maximum(left, 0)
    st.coupon_until[users[left < 0]] = -1


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
    lam = lam * np.where(st.visit_until[users] >= d, st.visit_boost[users], 1.0)
    n_sess = rng.poisson(lam / (1 + 40 * st.strain[users]))
    n_sess = np.where(joined[users], np.maximum(n_sess, 1), n_sess)
    coupon_ok = st.coupon_until >= d
    boost = 1 + 1.2 * pop.price_sensitivity[users] * coupon_ok[users] * st.coupon_power[users]
    perks = np.where(st.buy_until[users] >= d, st.buy_boost[users], 1.0)
    order_p = np.minimum(0.6, 0.07 * pop.value[users] * np.where(new, 1.8, 1.0) * boost * perks)
    return n_sess, order_p, coupon_ok


def _price_pressure(pop: Population, st: _State, users: np.ndarray) -> np.ndarray:
    """0..1: how much a price-sensitive user misses a discount, relieved by recent coupons
    and opened messages: how often they turn down the total at checkout (behaviour.visits).
    Each time they do, they lean further towards leaving (the price hazard in _churn)."""
    ps = pop.price_sensitivity[users]
    return ps**2 * np.exp(-(1.5 * st.coupon[users] + 0.7 * st.msg[users]))


def _admit(ctx: Ctx, st: _State, d: int) -> np.ndarray:
    """Activate today's signups (and everyone who existed before day 0) and the returners."""
    sd = ctx.pop.signup_day
    joined = (sd == d) | ((sd < 0) & (d == 0))
    gone = (st.churn_day >= 0) & (st.churn_day < d) & (st.return_day < 0)
    back = gone & ((ctx.rng.random(len(sd)) < _RETURN_P) | (st.back_on == d))
    st.return_day[back] = d
    st.bad[:, back] = 0  # a fresh start: old grievances and breaks are over
    st.balks[back] = 0
    st.away_until[back] = -1
    new = np.flatnonzero(sd == d)
    ctx.log.add("signup", new, ctx.pop.signup_sec[new], ctx.pop.channel[new])
    st.active |= joined | back
    return joined | back


def _churn(ctx: Ctx, st: _State, users: np.ndarray, d: int) -> None:
    """Draw today's churners; their driver is the largest contribution to their hazard."""
    pop, rng = ctx.pop, ctx.rng
    bad = _BAD_MAX * (1 - np.exp(-st.bad[:, users] / _BAD_SCALE))
    price = _PRICE_MAX * -np.expm1(-st.balks[users])
    natural = 0.0004 + 0.0004 / (0.3 + pop.engagement[users])
    parts = np.vstack([bad, price, natural])
    if ctx.without:  # a counterfactual world: the driver neither drives churn nor strains
        parts[list(ctx.without)] = 0
    hazard = parts.sum(axis=0)
    st.strain[users] = parts[: len(bad)].sum(axis=0)
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
