"""Retention actions sent from a plan, and how each user responds to them.

The pipeline publishes a plan (one row per chosen user, `treatment` or `control`); the demo
sends the treatment rows on the day after the decision date and users respond according to
their hidden traits, so the true effect differs by user and can be checked against what the
pipeline measures. Control users, and everyone outside the plan, get nothing extra; the
background marketing of shop.py goes on for everyone, unchanged.

What is sent (events at send_hour plus up to 15 minutes, on the plan's channel, with
"retention:<action>[:<incentive_type>]" in the text column):

- automated_guide: one message_sent, whatever its incentive_type.
- incentive: coupon_issued for a coupon (return_gift_pack: three); message_sent for
  priority_service, exclusive_perks, tips_message and a missing or unknown incentive_type.
- personal_outreach: message_sent, plus coupon_issued when its incentive_type is a coupon.

Who notices: an active user opens a message with the background marketing's chance,
0.15 + 0.3 * min(engagement, 1), half that on a break; churned users open nothing. A
personal outreach gets through to 80% of users (churned ones too) and counts as opened.
Coupons are held by every recipient. Opens are logged as message_opened, and an opened
message relieves price pressure (fewer checkouts abandoned at the total, so less price-driven
churn) like any opened marketing message.

How users respond (ps = price_sensitivity, eng = min(engagement, 1)):

- automated_guide and tips_message, if opened: 1.5x sessions for 7 days; a user on a break
  ends it with chance 0.5 * eng. Small: most users do not open, and more visits only add
  orders at the user's own order rate.
- coupons (first_order, no_threshold, spend_threshold, category): the coupon is held for
  coupon_validity_days (default 14). While held, each session's order chance is multiplied by
  1 + 1.2 * ps * power (power 1.0; spend_threshold 0.8, category 0.6: a condition or one
  category pulls less), and the coupon count that relieves price pressure goes up. For the
  first 7 days it also draws the user in: sessions x (1 + 1.5 * ps^2). A user on
  a break ends it with chance 0.5 * ps; a churned user comes back (win-back, from the next
  day) with chance 0.2 * ps. Price-insensitive users barely respond.
- return_gift_pack: three coupons (a redemption uses one, the pack lasts until all are used or
  it expires), break end 0.7 * ps, win-back 0.35 * ps.
- priority_service / exclusive_perks (no discount; meant for valuable users), if noticed:
  grievances (decayed bad-experience counts; not the abandoned checkouts, which only a
  discount eases) cut to 30%, order chance x (1 + 0.6 * (1 - ps))
  for 14 days, break end 0.3 * (1 - ps); a churned user is won back with 0.1 * (1 - ps).
  The less price-driven the user, the more they respond.
- personal_outreach, if the person gets through: grievances cut to 10%, a break ends with
  chance 0.7, a churned user is won back with chance 0.15; plus its incentive_type's effect
  (a coupon is held even if the call did not get through).

Chances from several effects combine as independent tries. A won-back user returns like the
simulation's natural returners: grievances and breaks cleared, and they stay.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from demo.behaviour import Ctx, remote_channel
from demo.events import INCENTIVE_TYPES, RETENTION_ACTIONS, RETENTION_TEXT0

GUIDE, INCENTIVE, OUTREACH = range(3)
ARMS = ("treatment", "control")
# Per incentive code: 0 = none or unknown, k = INCENTIVE_TYPES[k - 1].
_COUPONS = np.array([0, 1, 1, 1, 1, 3, 0, 0, 0])
_POWER = np.array([1.0, 1.0, 1.0, 0.8, 0.6, 1.0, 1.0, 1.0, 1.0])
_PERKS = np.array([0, 0, 0, 0, 0, 0, 1, 1, 0], bool)
_TIPS = len(INCENTIVE_TYPES)
_DEFAULT_VALIDITY, _DEFAULT_HOUR = 14, 10
_OWN = (None, "preferred")  # channel values meaning "the user's own" (offline: mini program)
_OPEN_AWAY = 0.5  # users on a break open messages half as often
_REACH = 0.8  # a personal outreach gets through
_NUDGE, _NUDGE_DAYS = 1.5, 7
_PULL, _PULL_DAYS = 1.5, 7  # a held coupon draws a price-sensitive user in: 1 + 1.5 ps^2
_PERK_KEEP, _PERK_DAYS, _OUTREACH_KEEP = 0.3, 14, 0.1  # share of grievances left


@dataclass
class Sends:
    """One day's retention sends, one row per user."""

    user: np.ndarray  # user number (index into the population)
    action: np.ndarray  # code into RETENTION_ACTIONS
    incentive: np.ndarray  # 0 none or unknown, k = INCENTIVE_TYPES[k - 1]
    validity: np.ndarray  # days a coupon is held
    channel: np.ndarray  # code into the world's channel labels
    hour: np.ndarray  # UTC hour of the send

    def __len__(self) -> int:
        return len(self.user)

    def take(self, rows) -> Sends:
        return Sends(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    def on(self, users: np.ndarray) -> Sends:
        """The same sends addressed to other user numbers (row for row): used for the copies
        of the plan's users in the Monte-Carlo runs."""
        return Sends(**{f.name: getattr(self, f.name) for f in fields(self)} | {"user": users})


def normalize_plan(plan: pd.DataFrame) -> pd.DataFrame:
    """The plan's columns with defaults filled: incentive_type and segment "none" when
    missing, coupon_validity_days 14, send_hour 10, channel None (the user's own channel;
    "preferred" means the same)."""
    missing = {"user_id", "arm", "action"} - set(plan.columns)
    if missing:
        raise ValueError(f"plan lacks columns {sorted(missing)}")
    out = pd.DataFrame({"user_id": plan["user_id"].astype(str), "arm": plan["arm"].astype(str),
                        "action": plan["action"].astype(str)})  # fmt: skip
    for name, default in [("incentive_type", "none"), ("segment", "none"), ("channel", None)]:
        col = plan[name] if name in plan else pd.Series(None, index=plan.index, dtype=object)
        out[name] = col.astype(object).where(col.notna(), default)
        out[name] = out[name].map(lambda v: v if v is None else str(v))
    for name, default, lo, hi in [("coupon_validity_days", _DEFAULT_VALIDITY, 1, 365),
                                  ("send_hour", _DEFAULT_HOUR, 0, 23)]:  # fmt: skip
        col = pd.to_numeric(plan[name], errors="coerce") if name in plan else None
        values = np.full(len(plan), default) if col is None else col.fillna(default).to_numpy()
        out[name] = np.clip(values, lo, hi).astype(np.int64)
    bad_arm = ~out.arm.isin(ARMS)
    bad_action = ~out.action.isin(RETENTION_ACTIONS)
    if bad_arm.any() or bad_action.any():
        raise ValueError(f"unknown arm {set(out.arm[bad_arm])} or action {set(out.action[bad_action])}")
    if out.user_id.duplicated().any():
        raise ValueError("plan has more than one row for a user")
    return out.reset_index(drop=True)


def sends_from_plan(plan: pd.DataFrame, world) -> Sends:
    """Codes for every row of a normalized plan (both arms); new channel labels are added to
    the world's. Raises for user ids the world does not know."""
    user = pd.Index(world.pop.user_ids).get_indexer(plan["user_id"])
    if (user < 0).any():
        raise ValueError(f"plan users not in the world: {list(plan.user_id[user < 0][:5])}")
    for label in plan["channel"].dropna().unique():
        if label not in world.channels and label not in _OWN:
            world.channels.append(label)
    own = remote_channel(world.ctx, user)
    named = plan["channel"].map(lambda c: -1 if c in _OWN else world.channels.index(c))
    incentive = pd.Categorical(plan["incentive_type"], categories=INCENTIVE_TYPES).codes + 1
    return Sends(
        user=user.astype(np.int64),
        action=pd.Categorical(plan["action"], categories=RETENTION_ACTIONS).codes.astype(np.int8),
        incentive=incentive.astype(np.int8),
        validity=plan["coupon_validity_days"].to_numpy(np.int64),
        channel=np.where(named.to_numpy() >= 0, named.to_numpy(), own).astype(np.int8),
        hour=plan["send_hour"].to_numpy(np.int64),
    )


def apply(ctx: Ctx, st, s: Sends) -> None:
    """Send `s` on ctx.day and apply each user's response to the state (see the module doc).

    Runs after the day's visits and marketing and before the churn draw, like the background
    marketing: a coupon sent today is used from tomorrow, and from tomorrow fewer checkouts are
    abandoned at the price; the price hazard eases as the ones already abandoned fade.
    """
    rng, pop, log, d, n, u = ctx.rng, ctx.pop, ctx.log, ctx.day, len(s), s.user
    inc = s.incentive.astype(np.int64)
    text = (RETENTION_TEXT0 + 9 * s.action + inc).astype(np.int16)
    t = ctx.day_start + s.hour * 3600 + rng.integers(0, 900, n)
    n_coupons = np.where(s.action == GUIDE, 0, _COUPONS[inc])
    message = (n_coupons == 0) | (s.action == OUTREACH)
    log.add("message_sent", u[message], t[message], s.channel[message], text=text[message])
    row = np.repeat(np.arange(n), n_coupons)
    nth = np.arange(len(row)) - np.repeat(np.cumsum(n_coupons) - n_coupons, n_coupons)
    log.add("coupon_issued", u[row], t[row] + nth, s.channel[row], text=text[row])

    active = st.active[u]
    gone = ~active & (st.churn_day[u] >= 0)
    away = active & (st.away_until[u] >= d)
    eng, ps = np.minimum(pop.engagement[u], 1.0), pop.price_sensitivity[u]
    person = (s.action == OUTREACH) & (rng.random(n) < _REACH)
    open_p = (0.15 + 0.3 * eng) * np.where(away, _OPEN_AWAY, 1.0)
    opened = message & active & ((rng.random(n) < open_p) | person)
    t_open = ctx.clamp(t + 30 + rng.exponential(2400, n).astype(np.int64))
    log.add("message_opened", u[opened], t_open[opened], s.channel[opened], text=text[opened])
    st.msg[u[opened]] += 1

    noticed = np.where(s.action == OUTREACH, person, opened)
    nudge = noticed & ((s.action == GUIDE) | (inc == _TIPS))
    _visits(st, u[nudge], _NUDGE, d, _NUDGE_DAYS)
    perks = _PERKS[inc] & (s.action != GUIDE)
    eased = perks & noticed
    st.bad[:, u[eased]] *= _PERK_KEEP
    st.bad[:, u[person]] *= _OUTREACH_KEEP
    st.buy_boost[u[eased]], st.buy_until[u[eased]] = 1 + 0.6 * (1 - ps[eased]), d + _PERK_DAYS
    coupon, gift = n_coupons > 0, n_coupons > 1
    held = u[coupon]
    st.coupon_until[held] = np.maximum(st.coupon_until[held], d + s.validity[coupon])
    st.coupon_power[held] = _POWER[inc[coupon]]
    st.spare_coupons[held] = n_coupons[coupon] - 1
    st.coupon[held] += n_coupons[coupon]
    _visits(st, held, 1 + _PULL * ps[coupon] ** 2, d, _PULL_DAYS)

    # Every effect that applies is one more try at ending a break or winning the user back.
    end_p = _any(nudge * 0.5 * eng, coupon * np.where(gift, 0.7, 0.5) * ps,
                 eased * 0.3 * (1 - ps), person * 0.7)  # fmt: skip
    win_p = _any(coupon * np.where(gift, 0.35, 0.2) * ps, perks * 0.1 * (1 - ps), person * 0.15)
    ends = away & (rng.random(n) < end_p)
    st.away_until[u[ends]] = d  # present from tomorrow
    won = gone & (rng.random(n) < win_p)
    st.back_on[u[won]] = d + 1


def _visits(st, users: np.ndarray, boost, d: int, days: int) -> None:
    """More sessions for `days` days from tomorrow; with two pulls the stronger and the longer
    wins (close enough for a boost that is the same order of magnitude either way)."""
    live = st.visit_until[users] >= d
    st.visit_boost[users] = np.maximum(np.where(live, st.visit_boost[users], 1.0), boost)
    st.visit_until[users] = np.maximum(np.where(live, st.visit_until[users], -1), d + days)


def _any(*chances: np.ndarray) -> np.ndarray:
    """Chance that at least one of independent tries succeeds."""
    return 1 - np.prod([1 - p for p in chances], axis=0)
