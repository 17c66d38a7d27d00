"""The event log the simulation appends to, and its conversion to the raw-event contract.

The simulation works on integer codes (user number, seconds since window start, type code, ...)
because that keeps each day's work in numpy; ids and strings are only made once at the end,
with Arrow compute so even tens of millions of rows stay fast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from demo.population import CHANNELS, DAY

EVENT_TYPES = np.array(
    ["signup", "session_start", "page_view", "product_view", "search", "add_to_cart", "order",
     "refund", "cs_contact", "complaint", "delivery", "coupon_issued", "coupon_redeemed",
     "message_sent", "message_opened", "review", "share"]
)  # fmt: skip
T = {name: np.int8(code) for code, name in enumerate(EVENT_TYPES)}
COLUMNS = ["event_id", "user_id", "event_time", "event_type", "channel", "session_id", "order_id",
           "item_id", "category", "amount", "page_load_ms", "response_seconds",
           "delivery_minutes", "rating", "text"]  # fmt: skip
CATEGORIES = np.array(["fresh", "grocery", "beauty", "apparel", "electronics", "home", "baby", "pets"])
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
    "很好用", "物流很快，好评", "性价比高", "great quality", "will buy again", "fast delivery, thanks",
])  # fmt: skip
TEXT_POOLS = {"delivery": (0, 6), "service": (6, 12), "page": (12, 17), "other": (17, 22),
              "bad_review": (22, 27), "good_review": (27, 33)}  # fmt: skip

# Internal column -> (dtype, value meaning "absent").
_FIELDS = {
    "user": (np.int32, -1), "t": (np.int64, 0), "type": (np.int8, -1), "channel": (np.int8, -1),
    "session": (np.int64, -1), "order": (np.int64, -1), "item": (np.int32, -1),
    "amount": (np.float64, np.nan), "page_load_ms": (np.int32, -1),
    "response_seconds": (np.int32, -1), "delivery_minutes": (np.int32, -1),
    "rating": (np.int8, -1), "text": (np.int16, -1),
}  # fmt: skip


class EventLog:
    """Append-only batches of events; one `add` per event type per day, never per event."""

    def __init__(self) -> None:
        self._batches: list[dict[str, np.ndarray]] = []

    def add(self, etype, user, t, channel, **cols) -> None:
        """etype: a type name, or an array of type codes for mixed batches."""
        if len(user):
            code = T[etype] if isinstance(etype, str) else etype
            self._batches.append({"type": code, "user": user, "t": t, "channel": channel, **cols})

    def arrays(self) -> dict[str, np.ndarray]:
        sizes = [len(b["user"]) for b in self._batches]
        out = {}
        for name, (dtype, missing) in _FIELDS.items():
            parts = [np.broadcast_to(np.asarray(b.get(name, missing), dtype), n)
                     for b, n in zip(self._batches, sizes)]  # fmt: skip
            out[name] = np.concatenate(parts) if parts else np.empty(0, dtype)
        return out


def to_frame(ev: dict[str, np.ndarray], user_ids: np.ndarray, start: pd.Timestamp,
             item_category: np.ndarray) -> pd.DataFrame:  # fmt: skip
    """Sort by time, number the events and render ids/strings in the contract's column order."""
    order = np.argsort(ev["t"], kind="stable")
    ev = {k: v[order] for k, v in ev.items()}
    start_s = np.datetime64(start.to_datetime64(), "s")
    cols = {
        "event_id": _ids("e", np.arange(1, len(order) + 1), 8),
        "user_id": pa.array(user_ids).take(pa.array(ev["user"])),
        "event_time": pa.array(start_s + ev["t"].astype("timedelta64[s]")),
        "event_type": pa.array(EVENT_TYPES).take(pa.array(ev["type"])),
        "channel": pa.array(CHANNELS).take(pa.array(ev["channel"])),
        "session_id": _ids("s", ev["session"], 9),
        "order_id": _ids("o", ev["order"], 8),
        "item_id": _ids("i", ev["item"] + 1, 5, absent=ev["item"] < 0),
        "category": pa.array(CATEGORIES).take(_masked(item_category[ev["item"]], ev["item"] < 0)),
        "amount": pa.array(ev["amount"], from_pandas=True),
        "page_load_ms": _masked(ev["page_load_ms"]),
        "response_seconds": _masked(ev["response_seconds"]),
        "delivery_minutes": _masked(ev["delivery_minutes"]),
        "rating": _masked(ev["rating"]),
        "text": pa.array(TEXTS).take(_masked(ev["text"])),
    }
    table = pa.table({name: cols[name] for name in COLUMNS})
    return table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)


def _masked(values: np.ndarray, absent: np.ndarray | None = None) -> pa.Array:
    """Int column with -1 (or `absent`) as null, widened to int64 so pandas gets Int64."""
    absent = values < 0 if absent is None else absent
    return pa.array(values.astype(np.int64), mask=absent)


def _ids(prefix: str, numbers: np.ndarray, width: int, absent=None) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(_masked(numbers, absent), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")
