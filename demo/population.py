"""Who the demo users are: hidden traits that drive their behaviour and their churn.

Every trait is drawn up front from one generator so a seed fixes the whole population. The
simulation reads these arrays; only user_id, signup_time, channel and city_tier are ever shown
to the pipeline, the rest is ground truth for checking the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

DAY = 86_400
CHANNELS = np.array(["app", "mini_program", "web", "offline"])
OFFLINE = 3
# Share of users by main channel (app, mini_program, web, offline).
CHANNEL_SHARE = [0.45, 0.27, 0.18, 0.10]
# Share of users that signed up before the window (no signup event, already active on day 0).
EXISTING_SHARE = 0.6
# Existing users signed up up to two years before the window.
MAX_TENURE_DAYS = 730


@dataclass(frozen=True)
class Population:
    """One entry per user, index = user number; times are seconds since the window start."""

    signup_sec: np.ndarray  # int64, negative for users who existed before the window
    channel: np.ndarray  # int8 code into CHANNELS
    city_tier: np.ndarray  # int8, 1 (big city) .. 4
    engagement: np.ndarray  # expected sessions per day when nothing is wrong
    value: np.ndarray  # multiplies order propensity and order value (mean ~1)
    price_sensitivity: np.ndarray  # 0..1, how much a missing discount pushes them away
    page_load_ms: np.ndarray  # median page load on this user's device/network
    reply_seconds: np.ndarray  # median customer-service first reply they get
    late_prob: np.ndarray  # chance an online delivery to them is late (> 48 h)

    @property
    def size(self) -> int:
        return len(self.signup_sec)

    @property
    def signup_day(self) -> np.ndarray:
        return self.signup_sec // DAY

    @cached_property
    def user_ids(self) -> np.ndarray:
        return np.array([f"u{i:06d}" for i in range(1, self.size + 1)])


def draw_population(n_users: int, n_days: int, rng: np.random.Generator) -> Population:
    existing = rng.random(n_users) < EXISTING_SHARE
    signup_day = np.where(
        existing,
        -rng.integers(1, MAX_TENURE_DAYS + 1, n_users),
        rng.integers(0, n_days, n_users),
    )
    # Signups cluster in the daytime; start no later than 22:00 so a first session fits that day.
    signup_sec = signup_day * DAY + rng.integers(7 * 3600, 22 * 3600, n_users)
    city_tier = rng.choice(np.arange(1, 5), n_users, p=[0.2, 0.3, 0.3, 0.2]).astype(np.int8)
    return Population(
        signup_sec=signup_sec.astype(np.int64),
        channel=rng.choice(4, n_users, p=CHANNEL_SHARE).astype(np.int8),
        city_tier=city_tier,
        engagement=np.clip(rng.lognormal(np.log(0.45), 1.0, n_users), 0.02, 5.0),
        value=rng.lognormal(-0.18, 0.6, n_users),
        price_sensitivity=rng.beta(2.0, 3.0, n_users),
        page_load_ms=_experience(rng, n_users, share_bad=0.2, good=800.0, bad=3600.0),
        reply_seconds=_experience(rng, n_users, share_bad=0.2, good=50.0, bad=420.0),
        # Far-away cities get late parcels more often.
        late_prob=np.where(rng.random(n_users) < 0.1 + 0.06 * city_tier, 0.5, 0.04),
    )


def _experience(rng, n: int, share_bad: float, good: float, bad: float) -> np.ndarray:
    """Per-user median of a latency: most users get `good`, an unlucky share gets `bad`."""
    base = np.where(rng.random(n) < share_bad, bad, good)
    return base * rng.lognormal(0.0, 0.15, n)


def users_frame(pop: Population, start: pd.Timestamp) -> pd.DataFrame:
    """The user table the shop would export: no hidden traits."""
    return pd.DataFrame(
        {
            "user_id": pop.user_ids,
            "signup_time": start + pd.to_timedelta(pop.signup_sec, unit="s"),
            "channel": CHANNELS[pop.channel],
            "city_tier": pop.city_tier.astype(np.int64),
        }
    )
