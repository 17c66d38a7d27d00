"""A mapping file turns someone's own event log into the raw event contract."""

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.raw.contract import CANONICAL_COLUMNS, REASON_FAMILIES, REQUIRED_COLUMNS


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
    columns = _section(spec, "columns", path)
    unknown = sorted(set(columns) - set(CANONICAL_COLUMNS))
    if unknown:
        raise MappingError(f"{path}: unknown canonical columns {unknown}; allowed: {CANONICAL_COLUMNS}")
    defaults = {str(k): str(v) for k, v in _section(spec, "defaults", path).items()}
    missing = [c for c in REQUIRED_COLUMNS if c not in columns and c not in defaults]
    if missing:
        raise MappingError(f"{path}: required columns {missing} are neither mapped under 'columns:' nor set under 'defaults:'")
    stamp = _section(spec, "timestamp", path)
    return Mapping(
        columns={k: str(v) for k, v in columns.items()},
        event_types={event_type_key(str(k)): event_type_key(str(v)) for k, v in _section(spec, "event_types", path).items()},
        defaults=defaults,
        timestamp_format=str(stamp.get("format", "ISO8601")),
        timezone=str(stamp.get("timezone", "UTC")),
        reason_families=_reason_families(spec, path),
        churn=_churn(spec, path),
    )


def _section(spec: dict, key: str, path: Path) -> dict:
    value = spec.get(key) or {}
    if not isinstance(value, dict):
        raise MappingError(f"{path}: '{key}:' must be a mapping of names, got a {type(value).__name__}")
    return value


def _reason_families(spec: dict, path: Path) -> dict[str, str]:
    """Event type (after mapping) -> the cause family its features are routed to."""
    families = {event_type_key(str(k)): str(v) for k, v in _section(spec, "reason_families", path).items()}
    wrong = {t: f for t, f in families.items() if f not in REASON_FAMILIES}
    if wrong:
        raise MappingError(f"{path}: reason_families {wrong}: a family is one of {REASON_FAMILIES}")
    return families


# The mapping's `churn:` keys and the dbt var each sets (CHURN_DBT_VARS still overrides them).
CHURN_KEYS = {"definition": "churn_definition", "horizon_days": "churn_horizon_days",
              "event_types": "churn_event_types"}
CHURN_DEFINITIONS = ("no_order", "no_activity", "no_event_of", "subscription")


def _churn(spec: dict, path: Path) -> dict:
    """What churn means for this log, as dbt vars: a log's owner says it once, in its mapping."""
    churn = _section(spec, "churn", path)
    unknown = sorted(set(churn) - set(CHURN_KEYS))
    if unknown:
        raise MappingError(f"{path}: unknown keys under 'churn:' {unknown}; allowed: {sorted(CHURN_KEYS)}")
    if churn.get("definition", "no_order") not in CHURN_DEFINITIONS:
        raise MappingError(f"{path}: churn.definition {churn['definition']!r} is not one of {CHURN_DEFINITIONS}")
    if "horizon_days" in churn and not (isinstance(churn["horizon_days"], int) and churn["horizon_days"] > 0):
        raise MappingError(f"{path}: churn.horizon_days must be a positive whole number of days, got {churn['horizon_days']!r}")
    types = churn.get("event_types", [])
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise MappingError(f"{path}: churn.event_types must be a list of event types, got {types!r}")
    if churn.get("definition") == "no_event_of" and not types:
        raise MappingError(f"{path}: churn.definition no_event_of needs churn.event_types (e.g. [post, order])")
    values = {**churn, "event_types": [event_type_key(t) for t in types]} if types else churn
    return {CHURN_KEYS[key]: value for key, value in values.items()}
