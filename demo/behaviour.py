"""What active users do on one day, as whole-array operations over that day's users.

Each function emits its events into the log and returns the per-user experiences that the
churn hazard in simulate.py reacts to (slow pages, slow replies, late parcels, complaints,
checkouts abandoned at the price).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from demo.events import CATEGORIES, N_ITEMS, TEXT_POOLS, EventLog, T
from demo.population import DAY, OFFLINE, Population

SLOW_PAGE_MS = 3000
SLOW_REPLY_S = 180
LATE_MINUTES = 2880
# Sessions start mostly in the evening (index = UTC hour).
_HOURS = np.array([1, .5, .3, .2, .2, .3, .8, 1.5, 2, 2, 2, 2.2, 2.5, 2, 1.8, 1.8, 2, 2.3, 2.8,
                   3.2, 3.5, 3.2, 2.5, 1.5])  # fmt: skip
_BROWSE = np.array([T["page_view"], T["product_view"], T["search"], T["add_to_cart"]])
_BROWSE_P = [0.40, 0.33, 0.17, 0.10]
_BALK = 0.5  # chance a session without an order is a checkout abandoned, at full price pressure
_LOADS = (T["page_view"], T["product_view"])
_ITEMS = (T["product_view"], T["add_to_cart"])


@dataclass
class Ctx:
    """What every behaviour needs: the population, randomness, the log and id counters."""

    pop: Population
    rng: np.random.Generator
    log: EventLog
    day: int = 0
    next_id: dict[str, int] = field(default_factory=lambda: {"session": 1, "order": 1})
    # Churn drivers (rows of simulate.DRIVERS) this world does not have: a counterfactual
    # world for the true excess churn of each driver (demo/counterfactual.py).
    without: tuple[int, ...] = ()
    item_category: np.ndarray = field(init=False)
    item_cdf: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.item_category = self.rng.integers(0, len(CATEGORIES), N_ITEMS)
        weight = np.cumsum(1.0 / (np.arange(N_ITEMS) + 20.0))  # a long tail of popular items
        self.item_cdf = weight / weight[-1]

    @property
    def day_start(self) -> int:
        return self.day * DAY

    def new_ids(self, kind: str, n: int) -> np.ndarray:
        first = self.next_id[kind]
        self.next_id[kind] = first + n
        return np.arange(first, first + n, dtype=np.int64)

    def items(self, n: int) -> np.ndarray:
        return np.searchsorted(self.item_cdf, self.rng.random(n)).astype(np.int32)

    def clamp(self, t: np.ndarray) -> np.ndarray:
        """Keep same-day follow-ups inside the day, so each day file holds only that day."""
        return np.minimum(t, self.day_start + DAY - 1)

    def text(self, pools: list[str], which: np.ndarray) -> np.ndarray:
        """One random text per row from the pool `pools[which]`."""
        lo = np.array([TEXT_POOLS[p][0] for p in pools])[which]
        hi = np.array([TEXT_POOLS[p][1] for p in pools])[which]
        return (lo + self.rng.random(len(which)) * (hi - lo)).astype(np.int16)


def remote_channel(ctx: Ctx, users: np.ndarray) -> np.ndarray:
    """Channel for service and marketing: offline shoppers are reached in the mini program."""
    ch = ctx.pop.channel[users]
    return np.where(ch == OFFLINE, 1, ch).astype(np.int8)


def visits(ctx: Ctx, users, n_sess, earliest, order_prob, price_pressure):
    """The day's sessions of `users` (arrays aligned with users, n_sess sessions each).

    Online sessions browse first; offline visits are a store trip that may end in an order.
    An online session without an order may end at the checkout, abandoned at the total, as
    often as price_pressure (0..1) times _BALK: the trace a missed discount leaves.
    Returns slow page loads and abandoned checkouts per user, and the purchases as (user,
    time, channel, session).
    """
    rng, pop, log = ctx.rng, ctx.pop, ctx.log
    owner = np.repeat(np.arange(len(users)), n_sess)
    user = users[owner]
    keep_main = rng.random(len(user)) < 0.8
    chan = np.where(keep_main, pop.channel[user], rng.choice(3, len(user), p=[0.5, 0.3, 0.2]))
    online = chan != OFFLINE
    web_hour = rng.choice(24, len(user), p=_HOURS / _HOURS.sum())
    hour = np.where(online, web_hour, rng.integers(9, 21, len(user)))  # shops open 9-21
    start = ctx.day_start + hour * 3600 + rng.integers(0, 3600, len(user))
    start = np.maximum(start, earliest[owner] + rng.integers(60, 1800, len(user)))
    start = np.minimum(start, ctx.day_start + DAY - 900)
    sid = np.full(len(user), -1, np.int64)
    end = start.copy()
    slow = np.zeros(len(user))
    sid[online], end[online], slow[online] = _browse(ctx, user[online], start[online], chan[online])
    # Slow pages lose the sale; offline trips mostly end at the till.
    p = np.where(online, order_prob[owner] * np.where(slow > 0, 0.5, 1.0),
                 np.minimum(0.9, 5 * order_prob[owner]))  # fmt: skip
    buys = rng.random(len(user)) < p
    balk = online & ~buys & (rng.random(len(user)) < _BALK * price_pressure[owner])
    log.add("checkout_abandoned", user[balk], ctx.clamp(end[balk] + 20), chan[balk],
            session=sid[balk], item=ctx.items(int(balk.sum())))
    slow_per_user = np.bincount(owner, weights=slow, minlength=len(users))
    balks_per_user = np.bincount(owner, weights=balk, minlength=len(users))
    order_t = ctx.clamp(end[buys] + 30)
    return slow_per_user, balks_per_user, (user[buys], order_t, chan[buys].astype(np.int8), sid[buys])


def _browse(ctx: Ctx, user, start, chan):
    """Session start, then page/product views, searches and carts a few seconds apart."""
    rng, pop, log = ctx.rng, ctx.pop, ctx.log
    n = len(user)
    sid = ctx.new_ids("session", n)
    log.add("session_start", user, start, chan, session=sid)
    k = 1 + rng.poisson(3.0, n)
    owner = np.repeat(np.arange(n), k)
    gaps = rng.exponential(35.0, len(owner)) + 3
    csum = np.cumsum(gaps)
    first = np.cumsum(k) - k
    offs = csum - np.repeat(csum[first] - gaps[first], k)
    t = ctx.clamp(start[owner] + offs.astype(np.int64))
    kind = rng.choice(_BROWSE, len(owner), p=_BROWSE_P)
    load = pop.page_load_ms[user[owner]] * rng.lognormal(0, 0.45, len(owner))
    load = np.where(np.isin(kind, _LOADS), load, -1)
    item = np.where(np.isin(kind, _ITEMS), ctx.items(len(owner)), -1)
    log.add(kind, user[owner], t, chan[owner], session=sid[owner], item=item, page_load_ms=load)
    shares = rng.random(n) < 0.03
    log.add("share", user[shares], t[first + k - 1][shares], chan[shares], session=sid[shares])
    slow = np.bincount(owner, weights=load > SLOW_PAGE_MS, minlength=n)
    return sid, t[first + k - 1], slow
