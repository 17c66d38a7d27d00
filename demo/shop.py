"""What the shop does around a user's visits: orders and parcels, customer service, marketing.

Like behaviour.py, each function handles all of the day's users at once and returns the
experiences the churn hazard reacts to.
"""

from __future__ import annotations

import numpy as np

from demo.behaviour import LATE_MINUTES, SLOW_REPLY_S, Ctx, remote_channel
from demo.population import DAY, OFFLINE

_COUPON_DISCOUNT = 0.85


def orders(ctx: Ctx, buys, coupon_ok: np.ndarray):
    """Orders (with a coupon redemption when one is held) and their parcels.

    coupon_ok: bool per user (global index). Returns (users who redeemed, late parcels as
    (user, day offset of arrival)).
    """
    rng, pop, log = ctx.rng, ctx.pop, ctx.log
    user, t, chan, sid = buys
    n = len(user)
    amount = np.maximum(rng.lognormal(np.log(38 * pop.value[user]), 0.55, n), 1.0)
    redeem = coupon_ok[user] & (rng.random(n) < 0.7)
    amount = np.round(np.where(redeem, amount * _COUPON_DISCOUNT, amount), 2)
    oid = ctx.new_ids("order", n)
    item = ctx.items(n)
    log.add("order", user, t, chan, session=sid, order=oid, item=item, amount=amount)
    r = redeem
    log.add("coupon_redeemed", user[r], t[r], chan[r], session=sid[r], order=oid[r])
    on = chan != OFFLINE  # offline purchases are carried home, no parcel
    late = _parcels(ctx, user[on], t[on], chan[on], oid[on], item[on], amount[on])
    return user[redeem], late


def _parcels(ctx: Ctx, user, t, chan, oid, item, amount):
    """Delivery 1-3 days after the order, then sometimes a refund or a review.

    Their timestamps may fall on later days; generate.py drops what falls after the window
    or after the user churned. The late ones are reported so the hazard feels them on arrival.
    """
    rng, log, n = ctx.rng, ctx.log, len(user)
    late = rng.random(n) < ctx.pop.late_prob[user]
    on_time = np.minimum(1440 + rng.exponential(420, n), LATE_MINUTES - 1)
    late_by = rng.integers(LATE_MINUTES + 1, 3 * 1440 + 1, n)
    minutes = np.where(late, late_by, on_time).astype(np.int32)
    t_del = t + minutes.astype(np.int64) * 60
    log.add("delivery", user, t_del, chan, order=oid, item=item, delivery_minutes=minutes)
    ref = rng.random(n) < 0.03 + 0.12 * late
    part = np.where(rng.random(n) < 0.7, 1.0, 0.5)
    t_ref = t_del + rng.integers(2 * 3600, 48 * 3600, n)
    log.add("refund", user[ref], t_ref[ref], chan[ref], order=oid[ref], item=item[ref],
            amount=-np.round(amount * part, 2)[ref])  # fmt: skip
    rev = rng.random(n) < 0.10 + 0.12 * late
    rating = np.where(late, rng.choice([1, 2, 3], n, p=[0.5, 0.3, 0.2]),
                      rng.choice([3, 4, 5], n, p=[0.15, 0.35, 0.5]))  # fmt: skip
    text = ctx.text(["bad_review", "good_review"], (rating > 2).astype(int))
    text = np.where(rng.random(n) < 0.35, text, -1)
    t_rev = t_del + rng.integers(3600, 30 * 3600, n)
    log.add("review", user[rev], t_rev[rev], chan[rev], order=oid[rev], item=item[rev],
            rating=rating[rev], text=text[rev])  # fmt: skip
    return user[late], t_del[late] // DAY - ctx.day


def service(ctx: Ctx, users, late_today, slow_loads):
    """Contacts and complaints, both far more likely on a day something went wrong.

    late_today / slow_loads are aligned with users. Returns (slow replies, complaints) per user.
    """
    rng, pop, log, n = ctx.rng, ctx.pop, ctx.log, len(users)
    late, slow_page = late_today > 0, slow_loads >= 3
    contact = rng.random(n) < 0.02 + 0.45 * late + 0.04 * slow_page
    reply = (pop.reply_seconds[users] * rng.lognormal(0, 0.6, n)).astype(np.int32) + 1
    t_cs = ctx.day_start + rng.integers(8 * 3600, 23 * 3600, n)
    ch = remote_channel(ctx, users)
    c = contact
    log.add("cs_contact", users[c], t_cs[c], ch[c], response_seconds=reply[c])
    slow_reply = contact & (reply > SLOW_REPLY_S)
    p = 0.002 + 0.25 * late + 0.3 * slow_reply + 0.03 * slow_page
    comp = rng.random(n) < p
    # The complaint text names the most salient thing that went wrong.
    cause = np.select([late, slow_reply, slow_page], [0, 1, 2], 3)
    text = ctx.text(["delivery", "service", "page", "other"], cause)
    t_comp = ctx.clamp(np.where(contact, t_cs + 600, t_cs))
    log.add("complaint", users[comp], t_comp[comp], ch[comp], response_seconds=reply[comp],
            text=text[comp])  # fmt: skip
    return slow_reply, comp


def marketing(ctx: Ctx, users, present):
    """Coupons and messages to a random slice of active users (a natural experiment).

    Only users not on a break (`present`, aligned with users) open messages.
    Returns (users given a coupon, users who opened a message).
    """
    rng, log, n = ctx.rng, ctx.log, len(users)
    ch = remote_channel(ctx, users)
    cp = rng.random(n) < 0.02
    t_cp = ctx.day_start + rng.integers(9 * 3600, 12 * 3600, n)
    log.add("coupon_issued", users[cp], t_cp[cp], ch[cp])
    ms = rng.random(n) < 0.05
    t_sent = ctx.day_start + rng.integers(10 * 3600, 21 * 3600, n)
    log.add("message_sent", users[ms], t_sent[ms], ch[ms])
    open_p = 0.15 + 0.3 * np.minimum(ctx.pop.engagement[users], 1.0)
    opened = ms & present & (rng.random(n) < open_p)
    t_open = ctx.clamp(t_sent + 30 + rng.exponential(2400, n).astype(np.int64))
    log.add("message_opened", users[opened], t_open[opened], ch[opened])
    return users[cp], users[opened]
