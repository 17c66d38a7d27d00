"""A mapping file turns someone's own event log into the raw event contract."""

import unicodedata
from dataclasses import dataclass, field
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
    """Event type (after mapping) -> the cause family its features are routed to (dbt var reason_families)."""
    families = {event_type_key(str(k)): v for k, v in _section(spec, "reason_families", path).items()}
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
