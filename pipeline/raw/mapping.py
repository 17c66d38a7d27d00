"""A mapping file turns someone's own event log into the raw event contract."""

from dataclasses import dataclass, field
from pathlib import Path

import yaml

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


def load_mapping(path: Path) -> Mapping:
    try:
        spec = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise MappingError(f"cannot read mapping file {path}: {err}") from err
    columns = spec.get("columns") or {}
    unknown = sorted(set(columns) - set(CANONICAL_COLUMNS))
    if unknown:
        raise MappingError(f"{path}: unknown canonical columns {unknown}; allowed: {CANONICAL_COLUMNS}")
    defaults = {str(k): str(v) for k, v in (spec.get("defaults") or {}).items()}
    missing = [c for c in REQUIRED_COLUMNS if c not in columns and c not in defaults]
    if missing:
        raise MappingError(f"{path}: required columns {missing} are neither mapped under 'columns:' nor set under 'defaults:'")
    stamp = spec.get("timestamp") or {}
    return Mapping(
        columns={k: str(v) for k, v in columns.items()},
        event_types={str(k): str(v) for k, v in (spec.get("event_types") or {}).items()},
        defaults=defaults,
        timestamp_format=str(stamp.get("format", "ISO8601")),
        timezone=str(stamp.get("timezone", "UTC")),
    )
