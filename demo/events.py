"""The event log the simulation appends to, and its conversion to the raw-event contract.

The simulation works on integer codes (user number, seconds since window start, type code, ...)
because that keeps each day's work in numpy; ids and strings are only made once at the end,
as Arrow arrays built from numpy buffers, so even tens of millions of rows stay fast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from demo.population import CHANNELS

EVENT_TYPES = np.array(
    ["signup", "session_start", "page_view", "product_view", "search", "add_to_cart", "order",
     "refund", "cs_contact", "complaint", "delivery", "coupon_issued", "coupon_redeemed",
     "message_sent", "message_opened", "review", "share", "checkout_abandoned"]
)  # fmt: skip
T = {name: np.int8(code) for code, name in enumerate(EVENT_TYPES)}
COLUMNS = ["event_id", "user_id", "event_time", "event_type", "channel", "session_id", "order_id",
           "item_id", "category", "amount", "page_load_ms", "response_seconds",
           "delivery_minutes", "rating", "text"]  # fmt: skip
CATEGORIES = np.array(
    ["fresh", "grocery", "beauty", "apparel", "electronics", "home", "baby", "pets"]
)
N_ITEMS = 3000

# Free text, grouped by what went wrong; behaviour.py picks an index range per cause.
TEXTS = np.array([
    # delivery 0-5
    "物流太慢了", "快递三天还没到", "配送太慢，等了好几天", "delivery is late again",
    "package still not arrived", "courier never called me",
    # service 6-11
    "客服一直不回复", "客服态度很差", "退款一直没到账", "nobody answers my chat",
    "waited an hour for support", "refund still not received",
    # page 12-16
    "页面一直加载不出来", "打开商品页要等很久", "page keeps loading forever", "app is so slow",
    "checkout page crashed",
    # other complaints 17-21
    "商品和描述不符", "价格太贵了", "优惠券用不了", "quality is bad", "wrong item delivered",
    # bad review 22-26
    "质量不好", "包装破损", "一般般", "arrived late", "not as described",
    # good review 27-32
    "很好用", "物流很快，好评", "性价比高", "great quality", "will buy again",
    "fast delivery thanks!",
])  # fmt: skip
TEXT_POOLS = {"delivery": (0, 6), "service": (6, 12), "page": (12, 17), "other": (17, 22),
              "bad_review": (22, 27), "good_review": (27, 33)}  # fmt: skip

# Retention sends (demo/actions.py) name their action and incentive in the text column, so the
# campaign's own messages and coupons can be told from the background marketing. Appended
# after the free texts: the codes above keep their meaning.
RETENTION_ACTIONS = ("automated_guide", "incentive", "personal_outreach")
INCENTIVE_TYPES = ("first_order_coupon", "no_threshold_coupon", "spend_threshold_coupon",
                   "category_coupon", "return_gift_pack", "priority_service", "exclusive_perks",
                   "tips_message")  # fmt: skip
RETENTION_TEXT0 = len(TEXTS)  # code of "retention:<action>" is RETENTION_TEXT0 + action * 9
TEXTS = np.concatenate([TEXTS, [f"retention:{a}{i}" for a in RETENTION_ACTIONS
                                for i in ["", *(f":{t}" for t in INCENTIVE_TYPES)]]])  # fmt: skip

# Internal column -> (dtype, value meaning "absent").
_FIELDS = {
    "user": (np.int32, -1), "t": (np.int64, 0), "type": (np.int8, -1), "channel": (np.int8, -1),
    "session": (np.int64, -1), "order": (np.int64, -1), "item": (np.int32, -1),
    "amount": (np.float64, np.nan), "page_load_ms": (np.int32, -1),
    "response_seconds": (np.int32, -1), "delivery_minutes": (np.int32, -1),
    "rating": (np.int8, -1), "text": (np.int16, -1),
}  # fmt: skip


class EventLog:
    """Append-only batches of events; one `add` per event type per day, never per event.

    keep: type codes to record, None for all. The Monte-Carlo runs of demo/campaign.py only
    need orders and session starts, and skipping the rest keeps their memory small.
    """

    def __init__(self, keep=None) -> None:
        self._batches: list[dict[str, np.ndarray]] = []
        self._keep = None if keep is None else np.asarray(keep, np.int8)

    def add(self, etype, user, t, channel, **cols) -> None:
        """etype: a type name, or an array of type codes for mixed batches."""
        if not len(user):
            return
        code = T[etype] if isinstance(etype, str) else etype
        batch = {"type": code, "user": user, "t": t, "channel": channel, **cols}
        if self._keep is not None:
            rows = np.isin(code, self._keep)
            if not rows.any():
                return
            if not rows.all():  # only mixed batches get here
                batch = {k: v[rows] if np.ndim(v) else v for k, v in batch.items()}
        self._batches.append(batch)

    def extend(self, arrays: dict[str, np.ndarray]) -> None:
        """Add events in the form `arrays` returns (e.g. follow-ups carried over from a run)."""
        if len(arrays["user"]):
            self._batches.append(dict(arrays))

    def arrays(self) -> dict[str, np.ndarray]:
        """One array per internal column, absent values filled in."""
        return stack_batches(self._batches, _FIELDS)


def to_frame(ev: dict[str, np.ndarray], keep: np.ndarray, user_ids: np.ndarray,
             start: pd.Timestamp, item_category: np.ndarray, first_id: int = 1,
             channels: np.ndarray = CHANNELS) -> pd.DataFrame:  # fmt: skip
    """Keep `keep` rows in time order, number them from first_id and render the contract's
    columns. A continued world passes its next event number, so ids never repeat across runs,
    and its channel labels, which retention sends may have extended (sms, phone, ...).

    Strings become Arrow-backed pandas columns and nullable ints pandas Int64, both built
    without a per-row Python step.
    """
    rows = np.flatnonzero(keep)
    rows = rows[np.argsort(ev["t"][rows], kind="stable")]
    ev = {k: v[rows] for k, v in ev.items()}
    no_item = ev["item"] < 0
    strings = {
        "event_id": _ids("e", np.arange(first_id, first_id + len(rows)), 8),
        "user_id": _lookup(user_ids, ev["user"]),
        "event_type": _lookup(EVENT_TYPES, ev["type"]),
        "channel": _lookup(np.asarray(channels), ev["channel"]),
        "session_id": _ids("s", ev["session"], 9),
        "order_id": _ids("o", ev["order"], 8),
        "item_id": _ids("i", ev["item"] + 1, 5, absent=no_item),
        "category": _lookup(CATEGORIES, np.where(no_item, -1, item_category[ev["item"]])),
        "text": _lookup(TEXTS, ev["text"]),
    }
    frame = pa.table(strings).to_pandas()  # large_string -> pandas "str" without a copy
    frame["event_time"] = np.datetime64(start.to_datetime64(), "s") + ev["t"].astype("m8[s]")
    frame["amount"] = ev["amount"]
    for name in ("page_load_ms", "response_seconds", "delivery_minutes", "rating"):
        frame[name] = pd.arrays.IntegerArray(ev[name].astype(np.int64), ev[name] < 0)
    return frame[COLUMNS]


def _lookup(labels: np.ndarray, codes: np.ndarray) -> pa.Array:
    """labels[codes] as a large_string array, null where code < 0."""
    codes = pa.array(codes.astype(np.int64), mask=codes < 0)
    return pa.array(labels, pa.large_string()).take(codes)


def _ids(prefix: str, numbers: np.ndarray, width: int, absent=None) -> pa.Array:
    """prefix + zero-padded number (e00000042) assembled as bytes in numpy, only for present
    rows: formatting row by row would dominate the run time at 100M events."""
    absent = numbers < 0 if absent is None else absent
    present = numbers[~absent]
    width = max(width, len(str(int(present.max(initial=0)))))
    chars = np.empty((width + 1, len(present)), np.uint8)  # one row per character position
    chars[0] = ord(prefix)
    rest = present.astype(np.uint32 if width < 10 else np.uint64)
    for pos in range(width, 0, -1):  # last digit first; a scalar divisor keeps numpy fast
        quotient = rest // 10
        chars[pos] = rest - quotient * 10 + ord("0")
        rest = quotient
    offsets = np.zeros(len(numbers) + 1, np.int64)
    np.cumsum(np.where(absent, 0, width + 1), out=offsets[1:])
    valid = np.packbits(~absent, bitorder="little")
    data = np.ascontiguousarray(chars.T)
    buffers = [pa.py_buffer(valid), pa.py_buffer(offsets), pa.py_buffer(data)]
    return pa.Array.from_buffers(pa.large_string(), len(numbers), buffers, int(absent.sum()))


def stack_batches(batches: list[dict], fields: dict) -> dict[str, np.ndarray]:
    """Batches of event columns as one array per field ({name: (dtype, missing value)});
    a field a batch lacks gets the missing value."""
    total = sum(len(b["user"]) for b in batches)
    out = {name: np.full(total, missing, dtype) for name, (dtype, missing) in fields.items()}
    pos = 0
    for b in batches:
        n = len(b["user"])
        for name, values in b.items():
            out[name][pos : pos + n] = values
        pos += n
    return out
