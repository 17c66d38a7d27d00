"""The raw event contract (DESIGN.md, "Data contracts"): column names and their types."""

import unicodedata

REQUIRED_COLUMNS = ("user_id", "event_time", "event_type")

TEXT_COLUMNS = (
    "event_id", "user_id", "event_type", "channel", "session_id", "order_id",
    "item_id", "category", "text", "properties",
)
NUMERIC_COLUMNS = ("amount", "page_load_ms", "response_seconds", "delivery_minutes", "rating")
# Identifiers: NFKC-normalized and trimmed on load, so " u1 " and "ｕ１" are user u1.
ID_COLUMNS = ("event_id", "user_id", "session_id", "order_id", "item_id")

# A number must be finite and smaller than this in size: dbt casts amounts to DECIMAL(28,6), and
# no real amount or duration (1e12 ms is 31 years) comes near it; a larger one is a broken cell.
MAX_ABS_NUMBER = 1e12
CANONICAL_COLUMNS = (*TEXT_COLUMNS[:3], "event_time", *TEXT_COLUMNS[3:], *NUMERIC_COLUMNS)

# Durations that cannot be negative; a negative value is a broken row, not a fast page.
NON_NEGATIVE_COLUMNS = ("page_load_ms", "response_seconds", "delivery_minutes")

EVENT_TYPES = (
    "signup", "session_start", "page_view", "product_view", "search", "add_to_cart", "order",
    "refund", "cs_contact", "complaint", "delivery", "coupon_issued", "coupon_redeemed",
    "message_sent", "message_opened", "review", "share", "error", "subscription_start",
    "subscription_end", "checkout_abandoned",
)

# The cause families a reason is routed to (a mapping's reason_families takes these values).
REASON_FAMILIES = (
    "experience", "service", "logistics", "value_or_price", "falling_engagement", "trust", "other",
)

EVENTS_DDL = """
create schema if not exists raw;
create table if not exists raw.events (
    event_id varchar, user_id varchar not null, event_time timestamp not null,
    event_type varchar not null, channel varchar, session_id varchar, order_id varchar,
    item_id varchar, category varchar, text varchar, properties varchar,
    amount double, page_load_ms double, response_seconds double, delivery_minutes double,
    rating double,
    landing_date date not null, source_file varchar not null, source_line integer not null
);
create table if not exists raw.events_rejected (
    landing_date date not null, source_file varchar not null, source_line integer not null,
    raw_content varchar, reason varchar not null
);
create table if not exists raw.event_loads (
    landing_date date primary key, files integer, rows_read bigint, rows_loaded bigint,
    rows_rejected bigint, duplicates_dropped bigint, loaded_at timestamp
);
-- Added after the first release: a warehouse created before gets the columns here.
alter table raw.event_loads add column if not exists rows_suppressed bigint default 0;
-- Of the duplicates, those whose content differs from the kept row (listed in raw.event_conflicts).
alter table raw.event_loads add column if not exists conflicts bigint default 0;
-- A repeat of an event_id (same day or an earlier one) whose content differs: the first is
-- loaded, this one is kept here, with the columns that differ and where the kept row came from.
-- user_id is a column (not only in raw_content) so that a deletion request finds these rows.
create table if not exists raw.event_conflicts (
    landing_date date not null, source_file varchar not null, source_line integer not null,
    event_id varchar not null, user_id varchar, raw_content varchar, differs_in varchar not null,
    kept_landing_date date, kept_source_file varchar, kept_source_line integer
);
"""

# What raw.event_loads holds, for the COMMENT ON of the serving file (it is not a dbt model).
EVENT_LOADS_DOC = (
    "Grain: one row per landing day loaded: how many files and rows were read, loaded, rejected "
    "(see raw.events_rejected for the reasons), dropped as duplicates and left out for deletion "
    "requests. rows_read = rows_loaded + rows_rejected + duplicates_dropped + rows_suppressed.",
    {
        "landing_date": "The landing folder's day (data/landing/events/date=YYYY-MM-DD).",
        "files": "Landing files read for the day.",
        "rows_read": "Rows in those files.",
        "rows_loaded": "Rows loaded into raw.events.",
        "rows_rejected": "Rows refused by the contract checks, kept with their reason in raw.events_rejected.",
        "duplicates_dropped": "Rows dropped as repeats (same event_id as a row of this or an earlier-loaded day, or identical rows without one).",
        "conflicts": "Of the duplicates, those whose content differs from the kept row (see raw.event_conflicts).",
        "rows_suppressed": "Rows of users who asked to be deleted, left out (see privacy.deletion_audit).",
        "loaded_at": "When the day was last (re)loaded.",
    },
)


def stored_id(value: str) -> str:
    """One identifier as the loader stores it (pipeline/raw/validate.py does a column at once)."""
    return unicodedata.normalize("NFKC", value).strip()
