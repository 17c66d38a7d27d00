"""Bad values (issue 12): each kind of bad input gets the outcome a user expects, and no day
loses a row: rows read = loaded + rejected + duplicates (conflicts are counted among the
duplicates and listed in raw.event_conflicts). Fast: no pipeline run, an in-memory DuckDB."""

import gzip
import json
import re
from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import pipeline.raw.validate as validate_module
from pipeline.raw.load import prepare_day, write_day
from pipeline.raw.mapping import MappingError, load_mapping
import pipeline.raw.read as read_module
from pipeline.raw.contract import TEXT_COLUMNS
from pipeline.raw.read import ARROW_TEXT, LandingFileError, ignored_files
from pipeline.settings import DEFAULT_MAPPING_FILE

DAY, NEXT_DAY, FIRST_DAY = "2026-03-01", "2026-03-02", "2026-01-01"
HEADER = "event_id,user_id,event_time,event_type,amount,page_load_ms,text\n"
GOOD_ROW = "e0,u0,2026-03-01 09:00:00,visit,,,\n"


@dataclass(frozen=True)
class Rejected:
    reason: str  # the rejection reason contains this


@dataclass(frozen=True)
class Loaded:
    values: dict  # the loaded row of event e1 has these values


def land(tmp_path, name: str, content: str | bytes, day: str = DAY):
    path = tmp_path / "landing" / f"date={day}" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return tmp_path / "landing"


def load(con, landing, day=DAY, mapping_file=DEFAULT_MAPPING_FILE):
    return write_day(con, prepare_day(landing, day, load_mapping(mapping_file), first_day=FIRST_DAY))


def assert_nothing_lost(con):
    """Per day, in raw.event_loads and in the tables themselves."""
    for day, read, loaded, rejected, dups, conflicts in con.sql(
        "select landing_date, rows_read, rows_loaded, rows_rejected, duplicates_dropped, conflicts "
        "from raw.event_loads"
    ).fetchall():
        assert read == loaded + rejected + dups, day
        assert one(con, "select count(*) from raw.events where landing_date = ?", [day])[0] == loaded
        assert one(con, "select count(*) from raw.events_rejected where landing_date = ?", [day])[0] == rejected
        assert one(con, "select count(*) from raw.event_conflicts where landing_date = ?", [day])[0] == conflicts <= dups


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        yield connection


def one(con, sql: str, params=()):
    rows = con.execute(sql, list(params)).fetchall()
    return rows[0] if rows else None


CSV_CASES = {
    # name: (the row of the case, as in the file; expected outcome)
    "amount 1e308": ("{id},u1,2026-03-01 10:00:00,order,1e308,,", Rejected("amount is not a finite number below 1e+12")),
    "amount inf": ("{id},u1,2026-03-01 10:00:00,order,inf,,", Rejected("amount is not a finite number")),
    "amount -inf": ("{id},u1,2026-03-01 10:00:00,order,-inf,,", Rejected("amount is not a finite number")),
    "amount nan": ("{id},u1,2026-03-01 10:00:00,order,nan,,", Rejected("amount is not a number: nan")),
    "amount 1e22": ("{id},u1,2026-03-01 10:00:00,order,1e22,,", Rejected("amount is not a finite number")),
    "amount just below the bound": ("{id},u1,2026-03-01 10:00:00,order,999999999999.5,,", Loaded({"amount": 999999999999.5})),
    "duration inf": ("{id},u1,2026-03-01 10:00:00,page_view,,inf,", Rejected("page_load_ms is not a finite number")),
    "duration 1e15": ("{id},u1,2026-03-01 10:00:00,page_view,,1e15,", Rejected("page_load_ms is not a finite number")),
    "event in 2099": ("{id},u1,2099-01-01 00:00:00,order,5,,", Rejected("event_time is after the landing day 2026-03-01")),
    "event 3 days late": ("{id},u1,2026-03-04 00:00:00,order,5,,", Rejected("event_time is after the landing day")),
    "event within the 1-day tolerance": ("{id},u1,2026-03-02 23:00:00,order,5,,",
                                         Loaded({"event_time": pd.Timestamp("2026-03-02 23:00")})),
    "event before the first day": ("{id},u1,2025-12-31 23:59:00,order,5,,", Rejected("before the first day 2026-01-01")),
    "a late event after the first day": ("{id},u1,2026-01-05 08:00:00,order,5,,",
                                         Loaded({"event_time": pd.Timestamp("2026-01-05 08:00")})),
    "nanosecond timestamp": ("{id},u1,2026-03-01T10:00:00.123456789,order,5,,",
                             Loaded({"event_time": pd.Timestamp("2026-03-01 10:00:00.123456")})),
    "nanoseconds with an offset": ("{id},u1,2026-03-01T10:00:00.123456789+01:00,order,5,,",
                                   Loaded({"event_time": pd.Timestamp("2026-03-01 09:00:00.123456")})),
    "year 99999": ("{id},u1,99999-01-01 00:00:00,order,5,,", Rejected("event_time is not a valid timestamp")),
    "too few fields": ("{id},u1,2026-03-01 10:00:00,order", Rejected("expected 7 fields (as in the header), found 4")),
    "too many fields": ("{id},u1,2026-03-01 10:00:00,order,5,,,extra", Rejected("expected 7 fields (as in the header), found 8")),
    "full-width event type": ("{id},u1,2026-03-01 10:00:00,ＯＲＤＥＲ,5,,", Loaded({"event_type": "order"})),
    "event type with a trailing space": ("{id},u1,2026-03-01 10:00:00,order ,5,,", Loaded({"event_type": "order"})),
    "user id with spaces": ("{id}, u1 ,2026-03-01 10:00:00,order,5,,", Loaded({"user_id": "u1"})),
    "full-width user id": ("{id},ｕ１,2026-03-01 10:00:00,order,5,,", Loaded({"user_id": "u1"})),
    "user id with a decomposed accent": ("{id},re\u0301n,2026-03-01 10:00:00,order,5,,", Loaded({"user_id": "r\u00e9n"})),
    "event type in Greek capitals": ("{id},u1,2026-03-01 10:00:00,ΑΓΟΡΑΣ,5,,", Loaded({"event_type": "αγορας"})),
    "blank user id": ("{id},  ,2026-03-01 10:00:00,order,5,,", Rejected("user_id is missing")),
    "event id with spaces": (" {id} ,u1,2026-03-01 10:00:00,order,5,,", Loaded({"event_id": "{id}"})),
    "amount with spaces": ("{id},u1,2026-03-01 10:00:00,order, 12.5 ,,", Loaded({"amount": 12.5})),
    "negative amount (a refund)": ("{id},u1,2026-03-01 10:00:00,refund,-12.5,,", Loaded({"amount": -12.5})),
    "unknown event type, mixed case": ("{id},u1,2026-03-01 10:00:00,Wishlist_Add ,,,", Loaded({"event_type": "wishlist_add"})),
    "time zone offset far east": ("{id},u1,2026-03-02T07:00:00+14:00,order,5,,", Loaded({"event_time": pd.Timestamp("2026-03-01 17:00")})),
    "timestamp with 12 fractional digits": ("{id},u1,2026-03-01T10:00:00.123456789012,order,5,,",
                                            Loaded({"event_time": pd.Timestamp("2026-03-01 10:00:00.123456")})),
}


def test_each_bad_value_gets_its_outcome_and_nothing_is_lost(tmp_path, con):
    """All cases in one file (one load keeps the test fast): case i is event c<i> on line i + 2."""
    rows = [row.format(id=f"c{i}") for i, (row, _) in enumerate(CSV_CASES.values())]
    load(con, land(tmp_path, "a.csv", HEADER + "".join(f"{row}\n" for row in rows)))
    rejected = dict(con.execute("select source_line, reason from raw.events_rejected").fetchall())
    loaded = con.execute("select * from raw.events").df().set_index("event_id", drop=False)
    wrong = {}
    for i, (name, (_, expected)) in enumerate(CSV_CASES.items()):
        event_id, line = f"c{i}", i + 2
        if isinstance(expected, Rejected):
            if expected.reason not in rejected.get(line, ""):
                wrong[name] = f"line {line}: expected a rejection with {expected.reason!r}, got {rejected.get(line)!r}"
        else:
            want = {k: v.format(id=event_id) if isinstance(v, str) else v for k, v in expected.values.items()}
            got = loaded.loc[event_id, list(want)].to_dict() if event_id in loaded.index else rejected.get(line)
            if got != want:
                wrong[name] = f"line {line}: expected loaded {want}, got {got}"
    assert not wrong
    assert len(loaded) + len(rejected) == len(CSV_CASES)
    assert_nothing_lost(con)


def test_source_lines_stay_right_after_a_quoted_multi_line_field(tmp_path, con):
    rows = 'e1,u1,2026-03-01 10:00:00,review,,,"first line\nsecond, line"\n\ne2,u2,2026-03-01 11:00:00,order,x,,\n'
    load(con, land(tmp_path, "a.csv", HEADER + rows))
    assert one(con, "select text from raw.events")[0] == "first line\nsecond, line"
    assert con.sql("select source_line, reason from raw.events_rejected").fetchall() == [(5, "amount is not a number: x")]


def test_a_short_row_keeps_its_text_as_raw_content(tmp_path, con):
    load(con, land(tmp_path, "a.csv", HEADER + GOOD_ROW + 'e1,"u,1",2026-03-01\n'))
    assert one(con, "select raw_content from raw.events_rejected")[0] == 'e1,"u,1",2026-03-01'


def test_an_event_id_repeated_with_other_content_is_a_conflict_and_the_first_is_kept(tmp_path, con):
    rows = ("e1,u1,2026-03-01 10:00:00,order,5,,\n"
            "e1,u1,2026-03-01 10:00:00,order,5,,\n"  # the same again: a plain duplicate
            "e1,u1,2026-03-01 10:00:00,order,7,,hi\n")  # other content: a conflict
    stats = load(con, land(tmp_path, "a.csv", HEADER + rows))
    assert (stats.rows_loaded, stats.duplicates_dropped, stats.conflicts) == (1, 2, 1)
    assert con.sql("select amount from raw.events").fetchall() == [(5.0,)]
    conflict = con.sql("select source_line, event_id, user_id, differs_in, kept_source_line, raw_content "
                       "from raw.event_conflicts").df().iloc[0]
    assert (conflict.source_line, conflict.event_id, conflict.user_id, conflict.differs_in, conflict.kept_source_line) \
        == (4, "e1", "u1", "text,amount", 2)
    assert json.loads(conflict.raw_content)["amount"] == 7.0
    assert_nothing_lost(con)


@pytest.mark.parametrize("later_amount, conflicts", [("5", 0), ("9", 1)], ids=["same content", "other content"])
def test_an_event_in_two_landing_days_is_loaded_once_even_when_days_are_reloaded(tmp_path, con, later_amount, conflicts):
    land(tmp_path, "a.csv", HEADER + "e1,u1,2026-03-01 10:00:00,order,5,,\n")
    landing = land(tmp_path, "b.csv", HEADER + f"e1,u1,2026-03-01 10:00:00,order,{later_amount},,\n"
                   "e2,u2,2026-03-02 10:00:00,order,1,,\n", day=NEXT_DAY)
    for day in (DAY, NEXT_DAY, DAY, NEXT_DAY, DAY):  # re-runs in any order
        load(con, landing, day)
        assert one(con, "select count(*) from raw.events where event_id = 'e1'")[0] == 1
        assert_nothing_lost(con)
    assert one(con, "select landing_date::varchar, amount from raw.events where event_id = 'e1'") == (DAY, 5.0)
    later = one(con, "select duplicates_dropped, conflicts from raw.event_loads where landing_date = ?", [NEXT_DAY])
    assert later == (1, conflicts)
    if conflicts:
        assert one(con, "select differs_in, kept_landing_date::varchar from raw.event_conflicts") == ("amount", DAY)


def _parquet(path, columns: dict):
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)


PARQUET_CASES = {
    # name: (user_id column, event_time column, expected (user_id, event_time) of the first row)
    "float ids with nulls": (pa.array([123.0, None], pa.float64()), ["2026-03-01 10:00:00"] * 2,
                             ("123", pd.Timestamp("2026-03-01 10:00"))),
    "bytes ids": (pa.array([b"u777", b"u1"], pa.binary()), ["2026-03-01 10:00:00"] * 2,
                  ("u777", pd.Timestamp("2026-03-01 10:00"))),
    "integer ids": (pa.array([5, 6], pa.int64()), ["2026-03-01 10:00:00"] * 2, ("5", pd.Timestamp("2026-03-01 10:00"))),
    "timestamp column": (["t1", "t2"], pa.array([pd.Timestamp("2026-03-01 10:00:00")] * 2, pa.timestamp("us")),
                         ("t1", pd.Timestamp("2026-03-01 10:00"))),
    "timestamp[ns] with a zone": (["z1", "z2"], pa.array([pd.Timestamp("2026-03-01 10:00:00.123456789", tz="Asia/Shanghai")] * 2,
                                                         pa.timestamp("ns", tz="Asia/Shanghai")),
                                  ("z1", pd.Timestamp("2026-03-01 02:00:00.123456"))),
}


def test_parquet_typed_columns_read_as_a_person_would_write_them(tmp_path, con):
    """One file per case, in one day."""
    folder = tmp_path / "landing" / f"date={DAY}"
    for i, (user_ids, times, _) in enumerate(PARQUET_CASES.values()):
        _parquet(folder / f"case{i}.parquet", {"user_id": user_ids, "event_time": times, "event_type": ["order", "order"]})
    load(con, tmp_path / "landing")
    firsts = con.execute("select source_file, user_id, event_time from raw.events where source_line = 1").fetchall()
    got = {file.rsplit("/", 1)[1]: (user_id, pd.Timestamp(time)) for file, user_id, time in firsts}
    assert got == {f"case{i}.parquet": expected for i, (_, _, expected) in enumerate(PARQUET_CASES.values())}
    # The null id of "float ids with nulls" is rejected, not lost.
    assert one(con, "select source_file, reason from raw.events_rejected")[1] == "user_id is missing"
    assert_nothing_lost(con)


def test_parquet_floats_read_as_python_writes_them():
    column = pa.chunked_array([pa.array([123.0, 12.5, float("nan"), None, 1e20, -0.0, float("inf"), 2.0**53])])
    assert pd.array(read_module._column_text(column), dtype=ARROW_TEXT).tolist() == [
        "123", "12.5", "nan", pd.NA, "1e+20", "0", "inf", "9007199254740992.0"]
    single = pa.chunked_array([pa.array([0.1, 19.99, 3.0], pa.float32())])  # as written, not widened
    assert pd.array(read_module._column_text(single), dtype=ARROW_TEXT).tolist() == ["0.1", "19.99", "3"]


def test_typed_parquet_timestamps_work_with_a_custom_format_mapping(tmp_path, con):
    mapping = tmp_path / "m.yml"
    mapping.write_text("columns: {user_id: user_id, event_time: event_time, event_type: event_type}\n"
                       "timestamp: {format: '%d/%m/%Y %H:%M', timezone: Europe/Paris}\n")
    _parquet(tmp_path / "landing" / f"date={DAY}" / "a.parquet",
             {"user_id": ["u1"], "event_time": pa.array([pd.Timestamp("2026-03-01 10:00")], pa.timestamp("us")),
              "event_type": ["order"]})
    load(con, tmp_path / "landing", mapping_file=mapping)
    assert one(con, "select event_time from raw.events")[0] == pd.Timestamp("2026-03-01 09:00")  # Paris is UTC+1


def _row(i: int) -> dict:
    return {"event_id": f"e{i}", "user_id": f"u{i}", "event_time": "2026-03-01 10:00:00", "event_type": "order"}


def _csv(i: int, sep: str = ",") -> str:
    return sep.join(_row(i)) + "\n" + sep.join(_row(i).values()) + "\n"


FILE_KINDS = {
    # name: (file name inside the day folder, its bytes for case i)
    "upper-case suffix": ("EVENTS.CSV", lambda i: _csv(i).encode()),
    "gzip CSV": ("events.csv.gz", lambda i: gzip.compress(_csv(i).encode())),
    "TSV": ("events.tsv", lambda i: _csv(i, "\t").encode()),
    "JSON array": ("array.json", lambda i: json.dumps([_row(i)]).encode()),
    "JSON lines in .json": ("lines.json", lambda i: (json.dumps(_row(i)) + "\n").encode()),
    "pretty-printed JSON object": ("object.json", lambda i: json.dumps(_row(i), indent=2).encode()),
    "gzip JSON lines": ("events.jsonl.gz", lambda i: gzip.compress((json.dumps(_row(i)) + "\n").encode())),
    "NDJSON": ("events.ndjson", lambda i: (json.dumps(_row(i)) + "\n").encode()),
    "file in a sub-folder": ("part-1/events.csv", lambda i: _csv(i).encode()),
    "byte-order mark": ("bom.csv", lambda i: b"\xef\xbb\xbf" + _csv(i).encode()),
}


EMPTY_FILES = {"empty.csv": b"", "header-only.csv": b"a,b\n", "empty.jsonl": b"", "empty-array.json": b"[]",
               "empty.csv.gz": gzip.compress(b"")}


def test_every_readable_kind_of_file_is_read(tmp_path, con):
    """One file per kind, in one day: each holds one event, u<i> for kind i; empty files load nothing."""
    for i, (name, content) in enumerate(FILE_KINDS.values()):
        landing = land(tmp_path, name, content(i))
    for name, content in EMPTY_FILES.items():
        land(tmp_path, name, content)
    stats = load(con, landing)
    assert stats.files == len(FILE_KINDS) + len(EMPTY_FILES) and stats.rows_read == len(FILE_KINDS)
    assert stats.rows_rejected == 0
    got = dict(con.execute("select user_id, source_file from raw.events where event_time = '2026-03-01 10:00'").fetchall())
    missing = {kind: name for i, (kind, (name, _)) in enumerate(FILE_KINDS.items())
               if not got.get(f"u{i}", "").endswith(name)}
    assert not missing


def test_text_stays_in_arrow_from_every_kind_of_file(tmp_path):
    """The loader's speed rests on this: no Python string per cell between the reader and
    DuckDB, whichever kind of file (and reader) a row came from."""
    for i, (name, content) in enumerate(FILE_KINDS.values()):
        landing = land(tmp_path, name, content(i))
    events = prepare_day(landing, DAY, load_mapping(DEFAULT_MAPPING_FILE), first_day=FIRST_DAY).events
    assert len(events) == len(FILE_KINDS)
    assert {c: events[c].dtype for c in TEXT_COLUMNS} == {c: ARROW_TEXT for c in TEXT_COLUMNS}


@pytest.mark.parametrize("name", ["events.xlsx", "notes.txt", "events.parquet.gz", "README"])
def test_a_file_of_another_kind_fails_the_day_naming_it(tmp_path, name):
    landing = land(tmp_path, name, "whatever")
    with pytest.raises(LandingFileError, match=re.escape(name) + ".*not a kind of file the loader reads"):
        prepare_day(landing, DAY, load_mapping(DEFAULT_MAPPING_FILE))


def test_hidden_and_marker_files_are_not_read_but_listed(tmp_path, con):
    for name in (".DS_Store", "_SUCCESS", ".upload/events.csv"):
        land(tmp_path, name, "junk")
    landing = land(tmp_path, "events.csv", _csv(0))
    assert load(con, landing).files == 1
    assert sorted(p.name for p in ignored_files(landing, DAY)) == [".DS_Store", "_SUCCESS", "events.csv"]


def test_an_unexpected_failure_while_validating_names_the_file(tmp_path, monkeypatch):
    def broken(*args):
        raise TypeError("something nobody foresaw")

    monkeypatch.setattr(validate_module, "parse_times", broken)
    with pytest.raises(LandingFileError, match=r"a\.csv.*TypeError: something nobody foresaw"):
        prepare_day(land(tmp_path, "a.csv", _csv(0)), DAY, load_mapping(DEFAULT_MAPPING_FILE))


REQUIRED = "columns: {user_id: u, event_time: t, event_type: e}\n"
MAPPING_ERRORS = {
    # name: (mapping YAML, the error names this key / value)
    "two contract columns from one source": ("columns: {user_id: u, event_time: t, event_type: e, order_id: id, item_id: id}\n",
                                             "'columns.order_id' and 'columns.item_id' both map to the source column 'id'"),
    "list instead of columns": ("columns: [u, t, e]\n", "'columns:' must be a mapping"),
    "list as a column's source": ("columns: {user_id: [u, v], event_time: t, event_type: e}\n", "'columns.user_id'"),
    "list instead of event_types": (REQUIRED + "event_types: [a, b]\n", "'event_types:' must be a mapping"),
    "list as an event type": (REQUIRED + "event_types: {buy: [order]}\n", "'event_types.buy'"),
    "list instead of timestamp": (REQUIRED + "timestamp: [ISO8601]\n", "'timestamp:' must be a mapping"),
    "list instead of defaults": (REQUIRED + "defaults: [web]\n", "'defaults:' must be a mapping"),
    "list instead of reason_families": (REQUIRED + "reason_families: [trust]\n", "'reason_families:' must be a mapping"),
    "misspelt time zone": (REQUIRED + "timestamp: {timezone: Europe/Pariss}\n",
                           "'timestamp.timezone' 'Europe/Pariss' is not a known time zone; did you mean ['Europe/Paris'"),
    "bad timestamp directive": (REQUIRED + "timestamp: {format: '%Y-%m-%d %Q'}\n", "'timestamp.format' '%Y-%m-%d %Q'"),
    "timestamp format without directives": (REQUIRED + "timestamp: {format: YYYY-MM-DD}\n", "'timestamp.format' 'YYYY-MM-DD'"),
    "misspelt section": (REQUIRED + "event_type: {buy: order}\n", "unknown keys ['event_type']"),
    "unknown timestamp key": (REQUIRED + "timestamp: {zone: UTC}\n", "unknown keys under 'timestamp:' ['zone']"),
}


@pytest.mark.parametrize("text, names", MAPPING_ERRORS.values(), ids=MAPPING_ERRORS.keys())
def test_a_mapping_error_names_the_file_and_the_key(tmp_path, text, names):
    mapping = tmp_path / "my_mapping.yml"
    mapping.write_text(text)
    with pytest.raises(MappingError) as error:
        load_mapping(mapping)
    assert str(error.value).startswith(f"{mapping}: ") and names in str(error.value)


def test_a_csv_header_naming_a_column_twice_fails_the_day_naming_file_and_column(tmp_path):
    landing = land(tmp_path, "twice.csv", "user_id,event_time,event_type,user_id\nu1,2026-03-01 10:00:00,order,u2\n")
    with pytest.raises(LandingFileError, match=r"twice\.csv: the header names columns \['user_id'\] more than once"):
        prepare_day(landing, DAY, load_mapping(DEFAULT_MAPPING_FILE))


@pytest.mark.parametrize("name", ["own.csv", "own.parquet"])
def test_a_column_named_as_one_the_loader_adds_fails_the_day_naming_file_and_column(tmp_path, name):
    # Taken for the reader's own "_parse_error", an empty cell rejected its row and a null user
    # id loaded; now the file is refused before any row is read.
    rows = pd.DataFrame({"user_id": ["u1", None], "event_time": ["2026-03-01 10:00:00"] * 2,
                         "event_type": ["order"] * 2, "_parse_error": ["", "oops"]})
    folder = tmp_path / "landing" / f"date={DAY}"
    folder.mkdir(parents=True)
    if name.endswith(".csv"):
        rows.to_csv(folder / name, index=False)
    else:
        pq.write_table(pa.Table.from_pandas(rows, preserve_index=False), folder / name)
    with pytest.raises(LandingFileError, match=rf"{re.escape(name)}: columns \['_parse_error'\] have the names of "
                                               "columns the loader adds"):
        prepare_day(tmp_path / "landing", DAY, load_mapping(DEFAULT_MAPPING_FILE))


# Quoted delimiters and quotes, quotes inside a bare field, spaces, a byte-order mark, Windows
# line ends, empty fields, text in other scripts: what Arrow reads must be what the csv module reads.
PLAIN_CSV_VARIANTS = {
    "quotes": HEADER + 'e1,"u,1",2026-03-01 10:00:00,order,5,,"say ""hi"", twice"\ne2,u2,2026-03-01,visit,,,\n',
    "bare quotes and spaces": HEADER + 'e1, u1 ,2026-03-01 10:00:00,order,5,,a "quoted" word\ne2,u2,,,,,\n',
    "bom and crlf": "\ufeff" + HEADER.replace("\n", "\r\n") + "e1,u1,2026-03-01 10:00:00,order,5,,物流\r\n",
    "no final line end": HEADER + "e1,u1,2026-03-01 10:00:00,order,5,,ok",
    "header only": HEADER,
}


@pytest.mark.parametrize("content", PLAIN_CSV_VARIANTS.values(), ids=PLAIN_CSV_VARIANTS.keys())
def test_the_fast_csv_reader_reads_a_plain_file_as_the_csv_module_does(tmp_path, content):
    path = tmp_path / "a.csv"
    path.write_bytes(content.encode("utf-8"))
    fast = read_module._read_plain_delimited(path.read_bytes(), ",")
    assert fast is not None, "a plain file is read by Arrow"
    pd.testing.assert_frame_equal(fast, read_module._read_delimited_by_record(path, open, ","), check_dtype=False,
                                  check_index_type=False)


@pytest.mark.parametrize("content", [HEADER + GOOD_ROW + "\n" + GOOD_ROW, HEADER + GOOD_ROW + 'e9,u9,,,,,"two\nlines"\n',
                                     HEADER + GOOD_ROW + "e9,u9\n", HEADER.encode() + b"e9,\xff\xfe,,,,,\n"],
                         ids=["blank line", "field over two lines", "short row", "not utf-8"])
def test_files_that_are_not_plain_are_left_to_the_csv_module(content):
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    assert read_module._read_plain_delimited(data, ",") is None


# JSON lines that Arrow reads (scalars of every kind, missing keys, ISO times, escapes, other
# scripts, a byte-order mark, Windows line ends): each row must be what json.loads per line gives.
PLAIN_JSONL_VARIANTS = {
    "scalars": '{"user_id": "u1", "amount": 12.5, "n": 3, "ok": true, "gone": null}\n'
               '{"user_id": "u2", "amount": 3.0, "n": -7, "ok": false}\n'
               '{"user_id": "u3", "amount": -0.0, "extra": "only here"}\n{"user_id": "u4", "amount": 1e-05}\n',
    "iso times stay text": '{"event_time": "2026-03-01T10:00:00Z", "day": "2026-03-01"}\n'
                           '{"event_time": "2026-03-01 10:00:00.123456789", "day": "2026-03-02"}\n',
    "escapes and scripts": '{"text": "say \\"hi\\"", "c": "物流", "e": "\\u00e9", "smile": "\\ud83d\\ude00"}\n',
    "bom, crlf, no final line end": '\ufeff{"user_id": "u1"}\r\n{"user_id": "u2"}',
}
# Files the line-by-line reader must read: it keeps each bad line as a row with its reason.
OTHER_JSONL = {
    "blank line": '{"a": "1"}\n\n{"a": "2"}\n',
    "not an object": '{"a": "1"}\n[1, 2]\n',
    "invalid json": '{"a": "1"}\n{"a": \n',
    "nested value": '{"a": {"b": 1}}\n',
    "a key twice": '{"a": "1", "a": "2"}\n',
    "number then text": '{"a": 1}\n{"a": "x"}\n',
    "nan": '{"a": NaN}\n',
    "lone carriage return": '{"a":\r 1}\n',
    "large integer": '{"a": 12345678901234567890}\n',
    "lone surrogate": '{"a": "\\ud800"}\n',
    "two objects on a line, then a blank line": '{"a": 1}{"a": 2}\n\n',
    "an object over two lines, two on the next": '{"a":\n1}\n{"a": 2}{"a": 3}\n',
    "a key named as the reader's column": '{"_parse_error": "x", "a": 1}\n',
}


def _by_line(path) -> pd.DataFrame:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return read_module._records(enumerate(handle, start=1))


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.drop(columns=["_parse_error"], errors="ignore").astype(object)
    return frame.where(frame.notna(), None)[sorted(frame.columns)]


@pytest.mark.parametrize("content", PLAIN_JSONL_VARIANTS.values(), ids=PLAIN_JSONL_VARIANTS.keys())
def test_the_fast_json_lines_reader_reads_a_plain_file_as_json_loads_does(tmp_path, content):
    path = tmp_path / "a.jsonl"
    path.write_bytes(content.encode("utf-8"))
    fast = read_module._read_plain_json_lines(path.read_bytes())
    assert fast is not None, "a plain file is read by Arrow"
    slow = _by_line(path)
    assert slow["_parse_error"].isna().all()
    pd.testing.assert_frame_equal(_plain(fast), _plain(slow), check_index_type=False)


@pytest.mark.parametrize("content", OTHER_JSONL.values(), ids=OTHER_JSONL.keys())
def test_json_lines_that_are_not_plain_are_read_line_by_line(tmp_path, content):
    path = tmp_path / "a.jsonl"
    path.write_bytes(content.encode("utf-8", "surrogatepass"))
    assert read_module._read_plain_json_lines(path.read_bytes()) is None
    pd.testing.assert_frame_equal(read_module.read_landing_file(path).drop(columns="source_file"), _by_line(path))


def test_an_escaped_lone_surrogate_rejects_its_line_not_the_file(tmp_path, con):
    landing = land(tmp_path, "a.jsonl", '{"user_id": "u1", "event_time": "2026-03-01 10:00:00", "event_type": "visit"}\n'
                                        '{"user_id": "\\ud800", "event_time": "2026-03-01 10:00:00", "event_type": "visit"}\n')
    stats = load(con, landing)
    assert (stats.rows_loaded, stats.rows_rejected) == (1, 1)
    assert "lone surrogate" in one(con, "select reason from raw.events_rejected where source_line = 2")[0]
