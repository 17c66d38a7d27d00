"""What the community and subscription worlds share: signup times, session times within a day,
a compact event log, and turning that log and the truth into frames.

As in the shop, the day loop works on integer codes (user number, seconds since the window
start, type code) so each day is a handful of numpy operations; strings are made once, at the
end, with the shop's Arrow helpers. The log holds only the columns a world writes, because a
million events times every shop column would be memory spent on nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from demo.events import _ids, _lookup, stack_batches
from demo.population import DAY, EXISTING_SHARE, MAX_TENURE_DAYS

# When sessions start (index = UTC hour): a little at lunch, mostly in the evening.
_HOURS = np.array([1, .5, .3, .2, .2, .3, .8, 1.5, 2, 2, 2, 2.2, 2.5, 2, 1.8, 1.8, 2, 2.3, 2.8,
                   3.2, 3.5, 3.2, 2.5, 1.5])  # fmt: skip
_HOURS_P = _HOURS / _HOURS.sum()

# Internal column -> (dtype, value meaning "absent").
_FIELDS = {
    "user": (np.int32, -1), "t": (np.int64, 0), "type": (np.int8, -1),
    "session": (np.int64, -1), "channel": (np.int8, -1), "amount": (np.float64, np.nan),
    "response_seconds": (np.int32, -1),
}  # fmt: skip


def signup_seconds(n_users: int, n_days: int, rng: np.random.Generator) -> np.ndarray:
    """Like the shop's population: most users existed before the window (negative times),
    the rest sign up on a uniform day inside it, in the daytime."""
    existing = rng.random(n_users) < EXISTING_SHARE
    day = np.where(existing, -rng.integers(1, MAX_TENURE_DAYS + 1, n_users),
                   rng.integers(0, n_days, n_users))  # fmt: skip
    return (day * DAY + rng.integers(7 * 3600, 22 * 3600, n_users)).astype(np.int64)


def user_ids(n: int) -> np.ndarray:
    return np.array([f"u{i:06d}" for i in range(1, n + 1)])


def session_starts(rng: np.random.Generator, d: int, earliest: np.ndarray) -> np.ndarray:
    """One start time per session on day d, not before `earliest` (per session: a new user's
    signup) and early enough that the session's events fit in the day."""
    n = len(earliest)
    t = d * DAY + rng.choice(24, n, p=_HOURS_P) * 3600 + rng.integers(0, 3600, n)
    t = np.maximum(t, earliest + rng.integers(60, 1800, n))
    return np.minimum(t, d * DAY + DAY - 900)


def follow(rng: np.random.Generator, start: np.ndarray, owner: np.ndarray, mean_gap: float,
           d: int) -> np.ndarray:  # fmt: skip
    """Times of events that follow their session's start a few seconds to minutes apart.

    owner: the session of each event, ascending (sessions may have none). Times stay inside
    day d so each day file holds only that day."""
    gaps = rng.exponential(mean_gap, len(owner)) + 3
    before = np.concatenate([[0.0], np.cumsum(gaps)])  # sum of all gaps before event i
    counts = np.bincount(owner, minlength=len(start))
    first = np.cumsum(counts) - counts
    offset = before[1:] - np.repeat(before[first], counts)
    return np.minimum(start[owner] + offset.astype(np.int64), d * DAY + DAY - 1)


def in_session_order(rng: np.random.Generator, owner: np.ndarray, kind: np.ndarray):
    """Events of several kinds per session, grouped by session in a random order within it."""
    order = np.lexsort((rng.random(len(owner)), owner))
    return owner[order], kind[order]


class Log:
    """Append-only batches of events; one `add` per event kind (or mixed batch) per day."""

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.fields = {k: _FIELDS[k] for k in ("user", "t", "type", *columns)}
        self._batches: list[dict] = []

    def add(self, etype, user, t, **cols) -> None:
        """etype: a type code, or an array of codes for a mixed batch."""
        if len(user):
            self._batches.append({"type": etype, "user": user, "t": t, **cols})

    def arrays(self) -> dict[str, np.ndarray]:
        out, self._batches = stack_batches(self._batches, self.fields), []
        return out


def to_frame(ev: dict[str, np.ndarray], type_names: np.ndarray, ids: np.ndarray,
             start: pd.Timestamp, channels: np.ndarray | None = None) -> pd.DataFrame:  # fmt: skip
    """The export in time order: user_id, event_time (naive UTC), event_type, session_id,
    then whichever of channel, amount, response_seconds the log has."""
    order = np.argsort(ev["t"], kind="stable")
    ev = {k: v[order] for k, v in ev.items()}
    strings = {"user_id": _lookup(ids, ev["user"]), "event_type": _lookup(type_names, ev["type"]),
               "session_id": _ids("s", ev["session"], 9)}  # fmt: skip
    if "channel" in ev:
        strings["channel"] = _lookup(channels, ev["channel"])
    frame = pa.table(strings).to_pandas()
    first = np.datetime64(start.to_datetime64(), "s")
    frame.insert(1, "event_time", first + ev["t"].astype("m8[s]"))
    if "amount" in ev:
        frame["amount"] = ev["amount"]
    if "response_seconds" in ev:
        r = ev["response_seconds"]
        frame["response_seconds"] = pd.arrays.IntegerArray(r.astype(np.int64), r < 0)
    return frame


def dates(start: pd.Timestamp, days: np.ndarray) -> pd.Series:
    """Day numbers as dates; -1 ("never") becomes empty."""
    return start + pd.to_timedelta(pd.Series(np.where(days == -1, np.nan, days)), unit="D")


def labels(names: np.ndarray, codes: np.ndarray) -> pd.Series:
    """names[codes] as strings, missing where code < 0."""
    return pd.Series(np.where(codes >= 0, names[np.maximum(codes, 0)], None), dtype="str")
