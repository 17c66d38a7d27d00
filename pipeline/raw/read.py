"""Read one landing day's files as text, keeping where every row came from.

Everything is read as strings: typing happens in validation, so that a bad cell becomes a
rejected row with its reason instead of a failed file. A row the reader itself cannot take
(a CSV row with the wrong number of fields, a JSON line that is not an object) carries a
`_parse_error` and its `raw_content`, and validation rejects it with that reason.

Kinds read (suffix in any case): .csv, .tsv, .json (an array of objects, one object, or JSON
lines), .jsonl / .ndjson, .parquet; the text kinds also gzip-compressed (.csv.gz ...).
Sub-folders of a day folder are read too. Names starting with "." or "_" (OS and editor
leftovers, uploads in progress, Spark's _SUCCESS) are not read and are listed by
`ignored_files`, which the loader logs; any other file fails the day, naming the file.
"""

import codecs
import csv
import gzip
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

# Suffix (lower case, after a .gz) -> how the file is read.
KINDS = {".csv": "csv", ".tsv": "tsv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
READABLE = ".csv, .tsv, .json, .jsonl, .ndjson, .parquet (the text kinds also as .gz), in any case"
# The csv module refuses fields over 128 KiB by default; a long review text is not an error.
csv.field_size_limit(64 * 2**20)
# Text stays in Arrow from the reader to DuckDB (validation included): a Python string per cell
# was most of a day's load, and DuckDB reads Arrow columns as they are.
ARROW_TEXT = pd.ArrowDtype(pa.string())
# Floats at most this large are whole numbers exactly: 123.0 (an id column with nulls) reads "123".
_EXACT_INTEGER = 2**53


class LandingFileError(ValueError):
    """A structural problem: the file cannot be read at all."""


# The columns the reader adds to a file's rows. A CSV or Parquet column of one of these names
# would be taken for the reader's own (a "_parse_error" column rejected every row); JSON keys
# of these names give way to the reader's.
OWN_COLUMNS = ("source_file", "source_line", "raw_content", "_parse_error")


def _refuse_own_columns(path: Path, names) -> None:
    present = set(names)
    clash = [name for name in OWN_COLUMNS if name in present]
    if clash:
        raise LandingFileError(f"{path}: columns {clash} have the names of columns the loader adds to every row "
                               f"({', '.join(OWN_COLUMNS)}); rename them in the file")


def day_folder(landing_dir: Path, day: str) -> Path:
    return Path(landing_dir) / f"date={day}"


def landing_files(landing_dir: Path, day: str) -> list[Path]:
    """Every file of a day, sub-folders included, except hidden ones (see `ignored_files`)."""
    return [p for p in _all_files(landing_dir, day) if not _hidden(p, landing_dir, day)]


def ignored_files(landing_dir: Path, day: str) -> list[Path]:
    """Files of a day that are not read because their name (or a folder's) starts with "." or "_"."""
    return [p for p in _all_files(landing_dir, day) if _hidden(p, landing_dir, day)]


def _all_files(landing_dir: Path, day: str) -> list[Path]:
    folder = day_folder(landing_dir, day)
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def _hidden(path: Path, landing_dir: Path, day: str) -> bool:
    return any(part.startswith((".", "_")) for part in path.relative_to(day_folder(landing_dir, day)).parts)


def landing_days(landing_dir: Path) -> list[str]:
    """Days that have a landing folder, oldest first."""
    return sorted(p.name.removeprefix("date=") for p in Path(landing_dir).glob("date=*") if p.is_dir())


def file_kind(path: Path) -> tuple[str, bool] | None:
    """(kind, gzip-compressed) of a landing file, or None for a kind that is not read."""
    name = path.name.lower()
    compressed = name.endswith(".gz")
    kind = KINDS.get(Path(name.removesuffix(".gz")).suffix)
    if kind is None or (compressed and kind == "parquet"):
        return None
    return kind, compressed


def read_landing_file(path: Path) -> pd.DataFrame:
    """Rows of one file as strings, plus source_file and source_line (and raw_content where kept)."""
    kind = file_kind(path)
    if kind is None:
        raise LandingFileError(f"cannot read landing file {path}: not a kind of file the loader reads "
                               f"({READABLE}); move it out of the day folder or rename it")
    kind, compressed = kind
    opener = gzip.open if compressed else open
    try:
        frame = _READERS[kind](path, opener)
    except (OSError, EOFError, UnicodeDecodeError, csv.Error, pa.ArrowException, ValueError, TypeError, KeyError,
            IndexError) as err:  # whatever the cause, the message names the file
        if isinstance(err, LandingFileError):
            raise
        raise LandingFileError(f"cannot read landing file {path}: {err}") from err
    frame["source_file"] = str(path)
    return frame


def _text_handle(path: Path, opener):
    # utf-8-sig: a byte-order mark (Excel's exports) is not part of the first column's name.
    return opener(path, "rt", encoding="utf-8-sig", newline="")


def _read_delimited(path: Path, opener, delimiter: str) -> pd.DataFrame:
    """CSV/TSV: the usual file by Arrow's parser, any other by the csv module, row for row the same."""
    with opener(path, "rb") as handle:
        frame = _read_plain_delimited(handle.read(), delimiter)
    return frame if frame is not None else _read_delimited_by_record(path, opener, delimiter)


def _read_plain_delimited(data: bytes, delimiter: str) -> pd.DataFrame | None:
    """A file of one record per line, each as wide as the header, read by Arrow (several times
    faster than the csv module on a large day). None for anything else (a blank line, a field
    spanning lines, a row of the wrong width, text that is not UTF-8): the csv module reads
    those and says what is wrong with each row."""
    data = data.removeprefix(codecs.BOM_UTF8)
    first = data.split(b"\n", 1)[0]
    try:
        header = next(csv.reader([first.decode("utf-8").rstrip("\r")], delimiter=delimiter), [])
    except (UnicodeDecodeError, csv.Error):
        return None
    if not header or len(set(header)) < len(header) or set(header) & set(OWN_COLUMNS):
        return None
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(data),
            read_options=pa_csv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter),
            convert_options=pa_csv.ConvertOptions(column_types={name: pa.string() for name in header},
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid:
        return None
    if table.num_rows != lines - 1:  # a blank line or a quoted field over several lines
        return None
    frame = pd.DataFrame({name: pd.array(table.column(i), dtype=ARROW_TEXT) for i, name in enumerate(header)})
    frame["source_line"] = np.arange(2, table.num_rows + 2)
    return frame


def _read_delimited_by_record(path: Path, opener, delimiter: str) -> pd.DataFrame:
    """CSV/TSV with the csv module: it tells how many fields each record has (pandas would pad
    a short row with nulls silently) and where it starts (a quoted field may span lines)."""
    with _text_handle(path, opener) as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, None) or []
        records = list(reader)
        if reader.line_num == 1 + len(records):  # the usual case: one line per record
            lines = np.arange(2, len(records) + 2)
        else:
            lines = _record_lines(path, opener, delimiter)
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise LandingFileError(f"{path}: the header names columns {repeated} more than once")
    _refuse_own_columns(path, header)
    found = np.fromiter(map(len, records), dtype=np.int64, count=len(records))
    rows = [records[i] for i in np.flatnonzero(found)] if (found == 0).any() else records  # blank lines are not rows
    lines, found = lines[found > 0], found[found > 0]
    width = len(header)
    wrong = np.flatnonzero(found != width)
    # Rows of the wrong width are cut or padded to the header's (their raw text is kept below).
    cells = [r[:width] + [None] * (width - len(r)) for r in rows] if len(wrong) else rows
    frame = pd.DataFrame(cells, dtype=object) if rows else pd.DataFrame(columns=range(width), dtype=object)
    frame = frame.reindex(columns=range(width)).set_axis(header, axis=1)
    frame["source_line"] = lines
    if len(wrong):  # rare: the per-row work is only for these
        errors, texts = [None] * len(rows), [None] * len(rows)
        for i in wrong:
            errors[i] = f"expected {width} fields (as in the header), found {found[i]}"
            texts[i] = _as_line(rows[i], delimiter)
        frame["_parse_error"], frame["raw_content"] = errors, texts
    return frame


def _record_lines(path: Path, opener, delimiter: str) -> np.ndarray:
    """The line each record starts on, when some quoted field spans lines."""
    with _text_handle(path, opener) as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        next(reader, None)
        starts, start = [], reader.line_num + 1
        for _ in reader:
            starts.append(start)
            start = reader.line_num + 1
    return np.array(starts, dtype=np.int64)


def _as_line(fields: list[str], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(fields)
    return out.getvalue()


def _read_parquet(path: Path, opener) -> pd.DataFrame:
    table = pq.read_table(path)
    _refuse_own_columns(path, table.column_names)
    frame = pd.DataFrame({name: pd.array(_column_text(table.column(name)), dtype=ARROW_TEXT)
                          for name in table.column_names})
    frame["source_line"] = np.arange(1, len(frame) + 1)  # row number within the file
    return frame


def _column_text(column: pa.ChunkedArray) -> list | pd.Series | pa.ChunkedArray:
    """A typed Parquet column as text, as a person would write it (nulls stay None)."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = column.cast(kind.value_type), kind.value_type
    if pa.types.is_floating(kind):  # a NaN stored as a value (not a null) reads "nan"
        return _float_text(column.to_numpy(), ~column.is_null().to_numpy(zero_copy_only=False))
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        return [None if v is None else v.decode("utf-8", "backslashreplace") for v in column.to_pylist()]
    if pa.types.is_nested(kind):
        return [None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in column.to_pylist()]
    try:  # strings, integers, decimals, booleans, dates, timestamps (ISO text; with a zone, "Z")
        return pc.cast(column, pa.string())
    except pa.ArrowNotImplementedError:
        return [None if v is None else str(v) for v in column.to_pylist()]


def _read_json(path: Path, opener) -> pd.DataFrame:
    """A JSON array of objects (or one object); anything else is read as JSON lines."""
    with _text_handle(path, opener) as handle:
        text = handle.read()
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return _records(enumerate(text.splitlines(), start=1))
    items = document if isinstance(document, list) else [document]
    # source_line is the element's number within the array.
    return _records((number, json.dumps(item, ensure_ascii=False)) for number, item in enumerate(items, start=1))


def _read_jsonl(path: Path, opener) -> pd.DataFrame:
    """JSON lines: the usual file by Arrow's parser, any other line by line, row for row the same."""
    with opener(path, "rb") as handle:
        data = handle.read()  # once: a .gz file is not decompressed again for the fallback
    frame = _read_plain_json_lines(data)
    if frame is not None:
        return frame
    # As a text file opened with newline="" splits it (\n, \r\n or a lone \r end a line).
    return _records(enumerate(io.StringIO(data.decode("utf-8-sig"), newline=""), start=1))


def _read_plain_json_lines(data: bytes) -> pd.DataFrame | None:
    """JSON lines, each an object of scalars (text, numbers, true/false, null), read by Arrow's
    parser: about four times faster than json.loads per line. None for anything else (a blank
    line, a lone carriage return, a line that is not one object, a key twice, nested values, a
    field that is a number in one row and text in another, NaN, text that is not UTF-8, a key
    named as one of the reader's own columns): the line-by-line reader reads those and says
    what is wrong with each row."""
    data = data.removeprefix(codecs.BOM_UTF8)
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    if not data.strip() or data.count(b"\r") != data.count(b"\r\n"):
        return None
    try:
        text = data.decode("utf-8")
        table = pa_json.read_json(pa.py_buffer(data))
        dated = [field.name for field in table.schema if pa.types.is_temporal(field.type)]
        if dated:  # Arrow reads ISO dates as timestamps: those fields again, as the text they are
            table = pa_json.read_json(pa.py_buffer(data), parse_options=pa_json.ParseOptions(
                explicit_schema=pa.schema([(name, pa.string()) for name in dated]), unexpected_field_behavior="infer"))
    except (UnicodeDecodeError, pa.ArrowInvalid):
        return None
    line_texts = pc.list_flatten(pc.split_pattern(pa.array([text]), "\n"))[:lines]
    # As many objects as lines, and every line closing one (a "}" at a line's end cannot be in a
    # string): one object per line, so each row is its line.
    if table.num_rows != lines or not pc.all(pc.ends_with(pc.utf8_rtrim_whitespace(line_texts), "}")).as_py():
        return None
    if set(table.column_names) & set(OWN_COLUMNS):
        return None  # the line-by-line reader's own columns win over such keys
    columns = {name: _json_text(column) for name, column in zip(table.column_names, table.columns)}
    if any(values is None for values in columns.values()):
        return None
    frame = pd.DataFrame({name: pd.array(values, dtype=ARROW_TEXT) for name, values in columns.items()})
    frame["source_line"] = np.arange(1, lines + 1)
    frame["raw_content"] = pd.array(pc.utf8_rtrim(line_texts, "\r"), dtype=ARROW_TEXT)
    return frame


def _json_text(column: pa.ChunkedArray) -> pa.Array | pa.ChunkedArray | None:
    """A scalar JSON field as `_text` writes it, or None when that is not sure."""
    kind = column.type
    if pa.types.is_string(kind):
        return column
    if pa.types.is_null(kind):
        return pa.nulls(len(column), pa.string())
    if pa.types.is_boolean(kind) or pa.types.is_int64(kind):
        return pc.cast(column, pa.string())  # true / false, as JSON writes them; integers in decimal
    if not pa.types.is_float64(kind):
        return None  # nested values: the line-by-line reader writes them as JSON text
    values, present = column.to_numpy(), ~column.is_null().to_numpy(zero_copy_only=False)
    if not np.all(np.abs(values[present]) < _EXACT_INTEGER):
        return None  # a large integer Arrow read as a float
    return _float_text(values, present)


def _float_text(values: np.ndarray, present: np.ndarray) -> pa.Array:
    """Floats as `_text` writes them: whole numbers (below 2**53) as integers, "123"; any other
    in Python's shortest form ("12.5", "1e+20", "nan"); nulls where not present."""
    text = np.full(len(values), None, dtype=object)
    whole = present & np.isfinite(values)
    whole[whole] = (np.abs(values[whole]) < _EXACT_INTEGER) & (values[whole] == np.floor(values[whole]))
    text[whole] = pc.cast(pa.array(values[whole].astype(np.int64)), pa.string()).to_numpy(zero_copy_only=False)
    rest = np.flatnonzero(present & ~whole)
    text[rest] = [str(value) for value in values[rest]]  # numpy's own: a float32 0.1 is "0.1"
    return pa.array(text, pa.string())


def _records(numbered_lines) -> pd.DataFrame:
    """A line that is not a JSON object is kept as a row with a `_parse_error`."""
    records = []
    for number, line in numbered_lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            error = None if isinstance(record, dict) else "not a JSON object"
        except json.JSONDecodeError as err:
            record, error = {}, f"invalid JSON: {err.msg}"
        record = record if isinstance(record, dict) else {}
        values = {k: None if v is None else _text(v) for k, v in record.items()}
        if "\\u" in line and not _is_text(values):
            values, error = {}, "invalid JSON: an escaped lone surrogate (\\ud800-\\udfff) is not text"
        records.append({**values, "source_line": number, "raw_content": line.rstrip("\r\n"), "_parse_error": error})
    return pd.DataFrame.from_records(records) if records else pd.DataFrame(columns=["source_line", "raw_content"])


def _is_text(values: dict) -> bool:
    """Whether keys and values can be stored as UTF-8 (json.loads lets "\\ud800" through)."""
    try:
        for key, value in values.items():
            key.encode("utf-8")
            if value is not None:
                value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT_INTEGER:
        return str(int(value))  # 123.0 -> "123", as for Parquet
    if isinstance(value, (dict, list, bool)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


_READERS = {
    "csv": lambda path, opener: _read_delimited(path, opener, ","),
    "tsv": lambda path, opener: _read_delimited(path, opener, "\t"),
    "parquet": _read_parquet,
    "json": _read_json,
    "jsonl": _read_jsonl,
}
