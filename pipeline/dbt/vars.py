"""The dbt vars a user may set, with their type and allowed values, and their validation.

Settings are values, never SQL: `CHURN_DBT_VARS`, the mapping's `churn:` and `reason_families:`
and the per-run vars are checked here before any run starts, and a bad one is refused with a
message naming the var, the value and what is allowed. The SQL side quotes or type-checks
every var again (dbt_project/macros/typed_vars.sql), for `dbt build --vars` typed by hand.

Every var of dbt_project/dbt_project.yml has an entry (tests/pipeline/test_dbt_vars.py).
"""

import datetime as dt
import difflib
import math
import unicodedata
from dataclasses import dataclass

from pipeline.raw.contract import REASON_FAMILIES

CHURN_DEFINITIONS = ("no_order", "no_activity", "no_event_of", "subscription")
LABEL_MAX_CHARS = 100


class DbtVarError(ValueError):
    """A dbt var is unknown or has a value outside its type or range."""


@dataclass(frozen=True)
class Number:
    low: float | None = None
    high: float | None = None
    whole: bool = False  # a count of days, users, hours: an integer
    nullable: bool = False

    def problem(self, value) -> str | None:
        if value is None and self.nullable:
            return None
        kind = "a whole number" if self.whole else "a number"
        if isinstance(value, bool) or not isinstance(value, int | float) or (self.whole and not isinstance(value, int)):
            return f"is not {kind}" + (" (or null)" if self.nullable else "")
        if not math.isfinite(value):
            return "is not a finite number"
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            return f"is outside {self.low if self.low is not None else '-inf'}..{self.high if self.high is not None else 'inf'}"
        return None


@dataclass(frozen=True)
class Date:
    nullable: bool = False

    def problem(self, value) -> str | None:
        if (value is None and self.nullable) or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
            return None
        try:
            if isinstance(value, str) and len(value) == 10:
                dt.date.fromisoformat(value)
                return None
        except ValueError:
            pass
        return "is not a date YYYY-MM-DD" + (" (or null)" if self.nullable else "")


@dataclass(frozen=True)
class Choice:
    choices: tuple[str, ...]

    def problem(self, value) -> str | None:
        return None if value in self.choices else f"is not one of {', '.join(self.choices)}"


@dataclass(frozen=True)
class Label:
    """Free text shown to people (an experiment name, an event type): any characters but
    control characters, quoted wherever it reaches SQL, so "Spring '26 test" is fine."""

    def problem(self, value) -> str | None:
        return label_problem(value)


@dataclass(frozen=True)
class Labels:
    def problem(self, value) -> str | None:
        if not isinstance(value, list):
            return "is not a list of event types, e.g. [post, order]"
        return next((f"has an item {item!r} that {p}" for item in value if (p := label_problem(item))), None)


@dataclass(frozen=True)
class Families:
    def problem(self, value) -> str | None:
        if not isinstance(value, dict):
            return "is not a mapping of event type: cause family"
        for event_type, family in value.items():
            if p := label_problem(event_type):
                return f"has an event type {event_type!r} that {p}"
            if family not in REASON_FAMILIES:
                return f"maps {event_type!r} to {family!r}, not one of {', '.join(REASON_FAMILIES)}"
        return None


def label_problem(value) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "is not a non-empty text"
    if len(value) > LABEL_MAX_CHARS:
        return f"is longer than {LABEL_MAX_CHARS} characters"
    if any(unicodedata.category(c) == "Cc" for c in value):
        return "holds control characters (line breaks, tabs, ...)"
    return None


COUNT, DAYS, SHARE = Number(low=0, whole=True), Number(low=1, whole=True), Number(low=0, high=1)
DAYS_OF_WEEK = Number(low=0, high=7, whole=True)

# Every var of dbt_project/dbt_project.yml (documented there) and what it may be.
SCHEMA = {
    # run window: Dagster passes start_date / end_date; as_of_date null = latest day with events
    "start_date": Date(nullable=True), "end_date": Date(nullable=True), "as_of_date": Date(nullable=True),
    # labels and the training spine
    "churn_horizon_days": Number(low=1, high=3650, whole=True),
    "churn_definition": Choice(CHURN_DEFINITIONS),
    "churn_event_types": Labels(),
    "observation_interval_days": DAYS,
    "observation_anchor_date": Date(),
    "observation_history_days": Number(low=0, high=3650, whole=True),
    "spine_max_inactive_days": Number(low=1, whole=True, nullable=True),
    "per_date_windows_from_rows": Number(low=0, whole=True),
    # any event log
    "feature_event_types": COUNT,
    "reason_families": Families(),
    # experience signals
    "page_load_noticeable_ms": Number(low=0), "page_load_slow_ms": Number(low=0), "page_load_very_slow_ms": Number(low=0),
    "slow_response_seconds": Number(low=0), "late_delivery_minutes": Number(low=0),
    # RFM, value tiers and silent subtypes
    "rfm_window_days": DAYS,
    "vip_top_share": SHARE, "potential_growth_factor": Number(low=0), "potential_browse_sessions_30d": COUNT,
    "new_user_order_days": COUNT, "low_frequency_orders_30d": COUNT, "lapsed_days": DAYS,
    "high_value_quantile": SHARE,
    # lifecycle stages
    "exploring_days": COUNT, "exploring_max_active_days": DAYS_OF_WEEK,
    "growing_min_active_days_7d": DAYS_OF_WEEK, "mature_min_active_days_7d": DAYS_OF_WEEK,
    "silent_days": DAYS, "churned_days": DAYS,
    # early warnings and intent
    "warning_recent_days": DAYS, "warning_baseline_days": DAYS,
    "session_drop_share": SHARE, "time_in_app_drop_share": SHARE, "overdue_gap_factor": Number(low=0),
    "warning_min_baseline_sessions_per_week": Number(low=0),
    "repeat_view_min": DAYS, "repeat_view_days": DAYS,
    # actions
    "capacity_level_1": COUNT, "capacity_level_2": COUNT, "capacity_level_3": COUNT,
    "daily_budget": Number(low=0), "contact_cooldown_days": COUNT, "holdout_share": SHARE,
    "outcome_window_days": DAYS, "local_utc_offset_hours": Number(low=-12, high=14),
    "default_send_hour": Number(low=0, high=23, whole=True), "gross_margin": SHARE,
    "ab_test_name": Label(), "ab_test_share_b": SHARE,
    "uplift_confidence_z": Number(low=0), "uplift_min_users_per_arm": DAYS,
}


def check_var(name: str, value, where: str) -> None:
    """Raise DbtVarError("<where>: <name> <value> <what is wrong>") unless `value` is allowed."""
    spec = SCHEMA.get(name)
    if spec is None:
        close = difflib.get_close_matches(name, SCHEMA, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise DbtVarError(f"{where}: {name!r} is not a dbt var (dbt_project/dbt_project.yml lists them){hint}")
    if (problem := spec.problem(value)) is not None:
        raise DbtVarError(f"{where}: {name} {value!r} {problem}")


def check_vars(values, where: str) -> dict:
    """Every var of `values` (a dict, e.g. parsed CHURN_DBT_VARS) against SCHEMA; returns it."""
    if not isinstance(values, dict):
        raise DbtVarError(f"{where}: must be a JSON object of dbt vars, e.g. {{\"churn_horizon_days\": 45}}, "
                          f"got a {type(values).__name__}")
    for name, value in values.items():
        check_var(name, value, where)
    return values


def check_together(values: dict, where: str) -> dict:
    """What one var needs of another, on the vars a run gets (mapping, overrides, per run)."""
    if values.get("churn_definition") == "no_event_of" and not values.get("churn_event_types"):
        raise DbtVarError(f"{where}: churn_definition no_event_of needs churn_event_types, "
                          "a list of the event types that count as staying, e.g. [post, order]")
    return values
