"""The loader: mapping, every validation rule, duplicates, re-running a day, structural errors."""

import json
import textwrap

import duckdb
import pandas as pd
import pytest

from pipeline.raw.load import prepare_day, write_day
from pipeline.raw.mapping import MappingError, load_mapping
from pipeline.raw.read import LandingFileError
from pipeline.settings import DEFAULT_MAPPING_FILE

DAY = "2026-03-01"
HEADER = "event_id,user_id,event_time,event_type,amount,page_load_ms,rating,text\n"


def land(tmp_path, name: str, content: str, day: str = DAY):
    folder = tmp_path / "landing" / f"date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(content, encoding="utf-8")
    return tmp_path / "landing"


def identity():
    return load_mapping(DEFAULT_MAPPING_FILE)


def reasons_by_line(bad: pd.DataFrame) -> dict[int, str]:
    return dict(zip(bad["source_line"], bad["reason"]))


def test_valid_rows_are_typed_and_kept_with_their_origin(tmp_path):
    landing = land(tmp_path, "a.csv", HEADER + "e1,u1,2026-03-01 10:00:00,order,12.50,,,物流太慢了\n")
    good, bad, _, stats = prepare_day(landing, DAY, identity())
    assert (stats.rows_read, stats.rows_loaded, stats.rows_rejected) == (1, 1, 0)
    row = good.iloc[0]
    assert row["amount"] == 12.5 and row["text"] == "物流太慢了"
    assert row["event_time"] == pd.Timestamp("2026-03-01 10:00:00")
    assert row["source_line"] == 2 and row["source_file"].endswith("a.csv")


@pytest.mark.parametrize(
    "line, reason",
    [
        (",2026-03-01 10:00:00,order,1,,,", "user_id is missing"),
        ("u1,,order,1,,,", "event_time is missing"),
        ("u1,yesterday-ish,order,1,,,", "event_time is not a valid timestamp: yesterday-ish"),
        ("u1,2026-03-01 10:00:00,,1,,,", "event_type is missing"),
        ("u1,2026-03-01 10:00:00,order,\"12,3x\",,,", "amount is not a number: 12,3x"),
        ("u1,2026-03-01 10:00:00,page_view,,-5,,", "page_load_ms is negative"),
        ("u1,2026-03-01 10:00:00,review,,,9,", "rating is outside 1-5"),
    ],
)
def test_each_validation_rule_rejects_with_its_reason(tmp_path, line, reason):
    landing = land(tmp_path, "a.csv", HEADER + "e1,u0,2026-03-01 09:00:00,visit,,,,\n" + f"e2,{line}\n")
    good, bad, _, stats = prepare_day(landing, DAY, identity())
    assert stats.rows_read == 2 and stats.rows_loaded == 1 and stats.rows_rejected == 1
    assert reasons_by_line(bad) == {3: reason}
    assert json.loads(bad["raw_content"].iloc[0])["event_id"] == "e2"  # the row as it was in the file


def test_a_row_with_several_problems_lists_them_all(tmp_path):
    landing = land(tmp_path, "a.csv", HEADER + "e1,,never,order,abc,,,\n")
    _, bad, _, _ = prepare_day(landing, DAY, identity())
    assert bad["reason"].iloc[0] == (
        "user_id is missing; event_time is not a valid timestamp: never; amount is not a number: abc"
    )


def test_duplicates_by_event_id_and_identical_rows_are_dropped_once_and_counted(tmp_path):
    rows = "e1,u1,2026-03-01 10:00:00,order,5,,,\n"
    land(tmp_path, "a.csv", HEADER + rows + rows + "e1,u1,2026-03-01 10:05:00,order,5,,,\n")
    # Without event_id, only the exact same row twice is a duplicate.
    landing = land(tmp_path, "b.csv", "user_id,event_time,event_type\nu2,2026-03-01 11:00:00,visit\n"
                   "u2,2026-03-01 11:00:00,visit\nu2,2026-03-01 11:00:01,visit\n")
    good, bad, _, stats = prepare_day(landing, DAY, identity())
    assert stats.duplicates_dropped == 3
    assert stats.rows_read == stats.rows_loaded + stats.rows_rejected + stats.duplicates_dropped == 6
    assert sorted(good["user_id"]) == ["u1", "u2", "u2"]


def test_a_repeat_in_a_later_file_of_the_day_is_dropped_and_a_rejected_row_is_no_one_s_repeat(tmp_path):
    land(tmp_path, "a.csv", HEADER + "e1,u1,2026-03-01 10:00:00,order,5,,,\n"
                                     "e2,,2026-03-01 10:00:00,order,5,,,\n")  # no user: rejected
    landing = land(tmp_path, "b.csv", HEADER + "e1,u1,2026-03-01 10:00:00,order,6,,,\n"  # e1 again, another amount
                                               "e2,u2,2026-03-01 10:00:00,order,5,,,\n")
    good, bad, conflicts, stats = prepare_day(landing, DAY, identity())
    # e1 from a.csv (the first file) is kept; e2 loads from b.csv, as the row before it was rejected.
    assert sorted(zip(good["event_id"], good["source_file"].str[-5:], good["amount"])) == \
        [("e1", "a.csv", 5.0), ("e2", "b.csv", 5.0)]
    assert list(bad["source_line"]) == [3] and bad["source_file"].iloc[0].endswith("a.csv")
    assert list(zip(conflicts["source_file"].str[-5:], conflicts["source_line"], conflicts["kept_source_file"].str[-5:],
                    conflicts["kept_source_line"], conflicts["differs_in"])) == [("b.csv", 2, "a.csv", 2, "amount")]
    assert (stats.rows_loaded, stats.rows_rejected, stats.duplicates_dropped, stats.conflicts) == (2, 1, 1, 1)


def test_mapping_renames_columns_maps_event_types_and_converts_time_zones(tmp_path):
    mapping_file = tmp_path / "shop.yml"
    mapping_file.write_text(textwrap.dedent("""
        columns: {user_id: customer, event_time: ts, event_type: action, amount: total}
        event_types: {purchase: order}
        timestamp: {format: "%d/%m/%Y %H:%M", timezone: Asia/Shanghai}
    """))
    landing = land(tmp_path, "shop.csv", "customer,ts,action,total\nc9,01/03/2026 08:30,purchase,99.9\n")
    good, bad, _, stats = prepare_day(landing, DAY, load_mapping(mapping_file))
    assert stats.rows_rejected == 0
    row = good.iloc[0]
    assert (row["user_id"], row["event_type"], row["amount"]) == ("c9", "order", 99.9)
    assert row["event_time"] == pd.Timestamp("2026-03-01 00:30:00")  # 08:30 in Shanghai is 00:30 UTC
    assert pd.isna(row["channel"])  # unmapped optional columns are null


def test_a_mapping_key_with_accents_matches_the_type_however_it_is_encoded(tmp_path):
    """Keys and data compare after NFKC (composed) and Python's lower case (final sigma)."""
    mapping_file = tmp_path / "greek.yml"
    mapping_file.write_text("columns: {user_id: user_id, event_time: event_time, event_type: event_type}\n"
                            "event_types: {ΑΓΟΡΆΣ: order}\n", encoding="utf-8")
    rows = ["ΑΓΟΡΆΣ", "ΑΓΟΡΑ\u0301Σ", "αγοράς", "ΠΡΟΒΟΛΗ"]
    landing = land(tmp_path, "greek.csv", "user_id,event_time,event_type\n"
                   + "".join(f"u{i},2026-03-01 10:00:00,{t}\n" for i, t in enumerate(rows)))
    good, _, _, _ = prepare_day(landing, DAY, load_mapping(mapping_file))
    assert good["event_type"].tolist() == ["order", "order", "order", "προβολη"]


def test_timestamps_with_an_offset_keep_it(tmp_path):
    landing = land(tmp_path, "a.csv", "user_id,event_time,event_type\nu1,2026-03-01T10:00:00+08:00,visit\n"
                   "u2,2026-03-01T10:00:00Z,visit\n")
    good, _, _, _ = prepare_day(landing, DAY, identity())
    assert list(good["event_time"]) == [pd.Timestamp("2026-03-01 02:00"), pd.Timestamp("2026-03-01 10:00")]


def test_jsonl_and_parquet_are_read_and_a_broken_json_line_is_rejected(tmp_path):
    land(tmp_path, "a.jsonl", '{"user_id": "u1", "event_time": "2026-03-01 10:00:00", "event_type": "visit"}\n'
         "{not json\n")
    frame = pd.DataFrame({"user_id": ["u2"], "event_time": ["2026-03-01 11:00:00"], "event_type": ["order"],
                          "amount": [3.5]})
    frame.to_parquet(tmp_path / "landing" / f"date={DAY}" / "b.parquet")
    good, bad, _, stats = prepare_day(tmp_path / "landing", DAY, identity())
    assert sorted(good["user_id"]) == ["u1", "u2"] and good["amount"].max() == 3.5
    assert bad["source_line"].tolist() == [2] and bad["reason"].iloc[0].startswith("invalid JSON")
    assert bad["raw_content"].iloc[0] == "{not json"


def test_a_missing_required_column_fails_naming_the_file_and_column(tmp_path):
    landing = land(tmp_path, "broken.csv", "user_id,event_type\nu1,visit\n")
    with pytest.raises(LandingFileError, match=r"broken\.csv.*'event_time'"):
        prepare_day(landing, DAY, identity())


def test_a_mapping_without_a_required_column_is_refused(tmp_path):
    mapping_file = tmp_path / "m.yml"
    mapping_file.write_text("columns: {user_id: u, event_type: t}\n")
    with pytest.raises(MappingError, match="event_time"):
        load_mapping(mapping_file)


@pytest.mark.parametrize("event_types", ['{purchase: " "}', '{" ": order}', "{purchase: ''}"])
def test_a_mapping_to_or_from_a_blank_event_type_is_refused(tmp_path, event_types):
    mapping_file = tmp_path / "m.yml"
    mapping_file.write_text(f"columns: {{user_id: u, event_type: t, event_time: ts}}\nevent_types: {event_types}\n")
    with pytest.raises(MappingError, match=r"m\.yml: 'event_types\..*cannot be blank"):
        load_mapping(mapping_file)


def test_an_empty_or_missing_day_loads_nothing_without_failing(tmp_path):
    good, bad, _, stats = prepare_day(tmp_path / "landing", DAY, identity())
    assert (len(good), len(bad), stats.rows_read, stats.files) == (0, 0, 0, 0)


def test_rerunning_a_day_replaces_exactly_that_day(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    landing = land(tmp_path, "a.csv", HEADER + "e1,u1,2026-03-01 10:00:00,order,5,,,\n,u2,x,order,,,,\n")
    land(tmp_path, "a.csv", HEADER + "e9,u9,2026-03-02 10:00:00,order,5,,,\n", day="2026-03-02")
    for day in (DAY, "2026-03-02", DAY, DAY):
        write_day(con, prepare_day(landing, day, identity()))
    counts = con.sql("select landing_date::varchar, count(*) from raw.events group by 1 order by 1").fetchall()
    assert counts == [(DAY, 1), ("2026-03-02", 1)]
    assert con.execute("select count(*) from raw.events_rejected").fetchone()[0] == 1
    assert con.execute("select rows_read, rows_loaded, rows_rejected from raw.event_loads "
                   f"where landing_date = '{DAY}'").fetchone() == (2, 1, 1)
