"""A mapping file turns someone's own event log into the raw event contract."""

import difflib
import unicodedata
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import yaml

from pipeline.dbt.vars import SCHEMA as DBT_VARS
from pipeline.raw.contract import CANONICAL_COLUMNS, REQUIRED_COLUMNS


class MappingError(ValueError):
    """The mapping file itself is wrong; nothing can be loaded with it."""


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, str]  # canonical name -> source column name
    event_types: dict[str, str] = field(default_factory=dict)  # source value -> canonical
    defaults: dict[str, str] = field(default_factory=dict)  # canonical -> constant, for absent columns
    timestamp_format: str = "ISO8601"
    timezone: str = "UTC"
    reason_families: dict[str, str] = field(default_factory=dict)  # event type -> cause family
    churn: dict = field(default_factory=dict)  # dbt vars of what churn means for this log


def event_type_key(value: str) -> str:
    """How event types compare: "ＯＲＤＥＲ", "Order " and "order" are one type."""
    return unicodedata.normalize("NFKC", value).strip().lower()


def load_mapping(path: Path) -> Mapping:
    try:
        spec = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise MappingError(f"cannot read mapping file {path}: {err}") from err
    if not isinstance(spec, dict):
        raise MappingError(f"{path}: a mapping file is a YAML mapping (columns:, event_types:, ...), not a {type(spec).__name__}")
    unknown = sorted(set(spec) - set(SECTIONS))
    if unknown:
        raise MappingError(f"{path}: unknown keys {unknown}; a mapping file has {list(SECTIONS)}")
    columns = _names(spec, "columns", path)
    unknown = sorted(set(columns) - set(CANONICAL_COLUMNS))
    if unknown:
        raise MappingError(f"{path}: unknown canonical columns {unknown}; allowed: {CANONICAL_COLUMNS}")
    _check_one_source_each(columns, path)
    defaults = _names(spec, "defaults", path)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns and c not in defaults]
    if missing:
        raise MappingError(f"{path}: required columns {missing} are neither mapped under 'columns:' nor set under 'defaults:'")
    stamp = _names(spec, "timestamp", path)
    unknown = sorted(set(stamp) - {"format", "timezone"})
    if unknown:
        raise MappingError(f"{path}: unknown keys under 'timestamp:' {unknown}; allowed: ['format', 'timezone']")
    return Mapping(
        columns=columns,
        event_types=_event_types(spec, path),
        defaults=defaults,
        timestamp_format=_timestamp_format(stamp.get("format", "ISO8601"), path),
        timezone=_timezone(stamp.get("timezone", "UTC"), path),
        reason_families=_reason_families(spec, path),
        churn=_churn(spec, path),
    )


SECTIONS = ("columns", "event_types", "defaults", "timestamp", "reason_families", "churn")


def _section(spec: dict, key: str, path: Path) -> dict:
    value = spec.get(key) or {}
    if not isinstance(value, dict):
        raise MappingError(f"{path}: '{key}:' must be a mapping of names, got a {type(value).__name__}")
    return value


def _names(spec: dict, key: str, path: Path) -> dict[str, str]:
    """A section of name: value pairs, where every value is one name or constant (not a list)."""
    names = {}
    for name, value in _section(spec, key, path).items():
        if value is None or isinstance(value, (dict, list)):
            raise MappingError(f"{path}: '{key}.{name}' must be a single name or value, got {value!r}")
        names[str(name)] = str(value)
    return names


def _event_types(spec: dict, path: Path) -> dict[str, str]:
    """Source event type -> contract event type, both compared as event_type_key does. A blank
    one is refused: mapped to " ", a type would load as an empty event type, where a row with
    no event type is rejected."""
    types = {}
    for source, target in _names(spec, "event_types", path).items():
        if not event_type_key(source) or not event_type_key(target):
            raise MappingError(f"{path}: 'event_types.{source}' maps {source!r} to {target!r}; an event type "
                               "cannot be blank (leave a type out to keep its own name)")
        types[event_type_key(source)] = event_type_key(target)
    return types


def _check_one_source_each(columns: dict[str, str], path: Path) -> None:
    """Two contract columns from one source column is a slip (say, order_id and item_id both
    'id'): one of them would hold the wrong values. A constant belongs under defaults:."""
    by_source: dict[str, list[str]] = {}
    for canonical, source in columns.items():
        by_source.setdefault(source, []).append(canonical)
    for source, canonicals in by_source.items():
        if len(canonicals) > 1:
            keys = " and ".join(f"'columns.{c}'" for c in canonicals)
            raise MappingError(f"{path}: {keys} both map to the source column '{source}'; map each contract "
                               "column to a column of its own (or drop one)")


def _timezone(value: str, path: Path) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as err:
        close = difflib.get_close_matches(value, zoneinfo.available_timezones(), n=3)
        hint = f"; did you mean {close}?" if close else " (an IANA name such as Europe/Paris or UTC)"
        raise MappingError(f"{path}: 'timestamp.timezone' {value!r} is not a known time zone{hint}") from err
    return value


def _timestamp_format(value: str, path: Path) -> str:
    """ISO8601, mixed (pandas' own) or a strftime pattern that can read back what it writes."""
    if value in ("ISO8601", "mixed"):
        return value
    sample = datetime(2026, 3, 1, 12, 34, 56, tzinfo=timezone.utc)
    try:
        if "%" not in value:
            raise ValueError("it has no %-directive")
        datetime.strptime(sample.strftime(value), value)
    except ValueError as err:
        raise MappingError(f"{path}: 'timestamp.format' {value!r} is not a usable timestamp format ({err}); "
                           "use ISO8601 or a strftime pattern such as '%d/%m/%Y %H:%M'") from err
    return value


def _reason_families(spec: dict, path: Path) -> dict[str, str]:
    """Event type (after mapping) -> the cause family its features are routed to (dbt var reason_families)."""
    families = {event_type_key(k): v for k, v in _names(spec, "reason_families", path).items()}
    if (problem := DBT_VARS["reason_families"].problem(families)) is not None:
        raise MappingError(f"{path}: reason_families {problem}")
    return families


# The mapping's `churn:` keys and the dbt var each sets (CHURN_DBT_VARS still overrides them).
CHURN_KEYS = {"definition": "churn_definition", "horizon_days": "churn_horizon_days",
              "event_types": "churn_event_types"}


def _churn(spec: dict, path: Path) -> dict:
    """What churn means for this log, as dbt vars: a log's owner says it once, in its mapping.
    Each value is checked against the dbt var it sets (pipeline/dbt/vars.py)."""
    churn = _section(spec, "churn", path)
    unknown = sorted(set(churn) - set(CHURN_KEYS))
    if unknown:
        raise MappingError(f"{path}: unknown keys under 'churn:' {unknown}; allowed: {sorted(CHURN_KEYS)}")
    for key, value in churn.items():
        if (problem := DBT_VARS[CHURN_KEYS[key]].problem(value)) is not None:
            raise MappingError(f"{path}: churn.{key} {value!r} {problem}")
    types = churn.get("event_types", [])
    if churn.get("definition") == "no_event_of" and not types:
        raise MappingError(f"{path}: churn.definition no_event_of needs churn.event_types (e.g. [post, order])")
    values = {**churn, "event_types": [event_type_key(t) for t in types]} if types else churn
    return {CHURN_KEYS[key]: value for key, value in values.items()}
