"""Read one landing day's files as text, keeping where every row came from.

Everything is read as strings: typing happens in validation, so that a bad cell becomes a
rejected row with its reason instead of a failed file.
"""

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

SUFFIXES = (".csv", ".parquet", ".jsonl")


class LandingFileError(ValueError):
    """A structural problem: the file cannot be read at all."""


def day_folder(landing_dir: Path, day: str) -> Path:
    return Path(landing_dir) / f"date={day}"


def landing_files(landing_dir: Path, day: str) -> list[Path]:
    folder = day_folder(landing_dir, day)
    return sorted(p for p in folder.glob("*") if p.suffix in SUFFIXES) if folder.is_dir() else []


def landing_days(landing_dir: Path) -> list[str]:
    """Days that have a landing folder, oldest first."""
    return sorted(p.name.removeprefix("date=") for p in Path(landing_dir).glob("date=*") if p.is_dir())


def read_landing_file(path: Path) -> pd.DataFrame:
    """Rows of one file as strings, plus source_file and source_line (and raw_content for JSONL)."""
    readers = {".csv": _read_csv, ".parquet": _read_parquet, ".jsonl": _read_jsonl}
    try:
        frame = readers[path.suffix](path)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, ValueError) as err:
        raise LandingFileError(f"cannot read landing file {path}: {err}") from err
    frame["source_file"] = str(path)
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    frame = frame.replace("", None)
    frame["source_line"] = range(2, len(frame) + 2)  # line 1 is the header
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    frame = pq.read_table(path).to_pandas()
    frame = frame.astype(object).where(frame.notna(), None).map(lambda v: v if v is None else str(v))
    frame["source_line"] = range(1, len(frame) + 1)  # row number within the file
    return frame


def _read_jsonl(path: Path) -> pd.DataFrame:
    """A line that is not a JSON object is kept as a row with a `_parse_error`."""
    records = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                error = None if isinstance(record, dict) else "line is not a JSON object"
            except json.JSONDecodeError as err:
                record, error = {}, f"invalid JSON: {err.msg}"
            record = record if isinstance(record, dict) else {}
            values = {k: None if v is None else _text(v) for k, v in record.items()}
            records.append({**values, "source_line": number, "raw_content": line.rstrip("\n"), "_parse_error": error})
    return pd.DataFrame.from_records(records) if records else pd.DataFrame(columns=["source_line", "raw_content"])


def _text(value) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
